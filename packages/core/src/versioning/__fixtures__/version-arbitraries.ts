// fast-check generators of realistic versions per scheme, shared by the property and the
// differential tests (real dpkg and rpm).

import fc from 'fast-check';

const smallNumber = fc.oneof(
  fc.constantFrom('0', '1', '2', '9', '10', '01', '007', '20240101'),
  fc.nat({ max: 30 }).map(String),
);
const word = fc.constantFrom('a', 'b', 'z', 'rc', 'alpha', 'beta', 'pre', 'git', 'el', 'deb', 'ubuntu', 'fc', 'p');

function joined(parts: fc.Arbitrary<string>, min: number, max: number, sep: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(parts, sep), { minLength: min, maxLength: max })
    .map((xs) => xs.map(([p, s], i) => (i === xs.length - 1 ? p : p + s)).join(''));
}

/** Characters dpkg accepts in an upstream version (no "-" or ":"), starting with a digit. */
export const debianVersion: fc.Arbitrary<string> = fc
  .tuple(
    fc.option(fc.constantFrom('0', '1', '2', '10'), { nil: undefined }),
    smallNumber,
    joined(fc.oneof(smallNumber, word), 0, 5, fc.constantFrom('.', '+', '~', '', '.')),
    fc.option(joined(fc.oneof(smallNumber, word), 1, 4, fc.constantFrom('.', '+', '~', '')), { nil: undefined }),
  )
  .map(([epoch, first, rest, revision]) => {
    const upstream = rest === '' ? first : `${first}${/^[0-9]/.test(rest) ? '.' : ''}${rest}`;
    const rev = revision === undefined || revision === '' ? '' : `-${/^[A-Za-z0-9]/.test(revision) ? '' : '0'}${revision}`;
    return `${epoch === undefined ? '' : `${epoch}:`}${upstream}${rev}`;
  });

const rpmPart = joined(
  fc.oneof(smallNumber, word, fc.constantFrom('A', 'Z', 'x86')),
  1,
  5,
  fc.constantFrom('.', '.', '', '~', '^', '_', '+'),
);

/** [epoch:]version[-release] with rpm's separators, "~" and "^". */
export const rpmVersion: fc.Arbitrary<string> = fc
  .tuple(
    fc.option(fc.constantFrom('0', '1', '2', '10', '007'), { nil: undefined }),
    rpmPart,
    fc.option(rpmPart, { nil: undefined }),
  )
  .map(([epoch, version, release]) => `${epoch === undefined ? '' : `${epoch}:`}${version}${release === undefined ? '' : `-${release}`}`);

const identifier = fc.oneof(smallNumber.filter((n) => !/^0\d/.test(n)), word, fc.constantFrom('RC', 'x-y', 'beta2'));

/** MAJOR.MINOR.PATCH[-pre][+build], optionally "v"-prefixed. */
export const semverVersion: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', 'v'),
    fc.array(fc.nat({ max: 12 }), { minLength: 3, maxLength: 3 }),
    fc.array(identifier, { maxLength: 3 }),
    fc.array(identifier, { maxLength: 2 }),
  )
  .map(
    ([v, core, pre, build]) =>
      `${v}${core.join('.')}${pre.length ? `-${pre.join('.')}` : ''}${build.length ? `+${build.join('.')}` : ''}`,
  );

/** NuGet: two to four numeric parts, case-mixed prerelease labels. */
export const nugetVersion: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.nat({ max: 12 }), { minLength: 2, maxLength: 4 }),
    fc.array(fc.oneof(identifier, fc.constantFrom('Beta', 'BETA', 'rc')), { maxLength: 3 }),
  )
  .map(([core, pre]) => `${core.join('.')}${pre.length ? `-${pre.join('.')}` : ''}`);

/** apk versions following the documented grammar. */
export const apkVersion: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(smallNumber, { minLength: 1, maxLength: 4 }),
    fc.option(fc.constantFrom('a', 'b', 'p', 'z'), { nil: undefined }),
    fc.array(fc.tuple(fc.constantFrom('alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p'), fc.constantFrom('', '1', '2', '10')), {
      maxLength: 2,
    }),
    fc.option(fc.constantFrom('0', '1', '2', '10'), { nil: undefined }),
  )
  .map(
    ([numbers, letter, suffixes, rev]) =>
      `${numbers.join('.')}${letter ?? ''}${suffixes.map(([s, n]) => `_${s}${n}`).join('')}${rev === undefined ? '' : `-r${rev}`}`,
  );

/** PEP 440 versions in assorted (all valid) spellings. */
export const pep440Version: fc.Arbitrary<string> = fc
    .tuple(
      fc.constantFrom('', '', '1!', 'v'),
      fc.array(smallNumber, { minLength: 1, maxLength: 4 }),
      fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc', 'alpha', '.beta', '-c', 'pre'), fc.constantFrom('', '0', '1', '2')), {
        nil: undefined,
      }),
      fc.option(fc.constantFrom('.post1', '-1', 'post', '.rev2', 'r'), { nil: undefined }),
      fc.option(fc.constantFrom('.dev0', 'dev', '.dev3'), { nil: undefined }),
      fc.option(fc.constantFrom('+local', '+1.a', '+ubuntu.2', '+a-b_0'), { nil: undefined }),
    )
    .map(
      ([prefix, release, pre, post, dev, local]) =>
        `${prefix}${release.join('.')}${pre ? pre.join('') : ''}${post ?? ''}${dev ?? ''}${local ?? ''}`,
    );

/** PEP 440 versions plus a few legacy ones. */
export const pythonVersion: fc.Arbitrary<string> = fc.oneof(
  pep440Version,
  fc.constantFrom('0.1-bulbasaur', 'foo', '1.0-SNAPSHOT', '2004d', 'dev', '1.0.x'),
);

/** Dotted numbers, for CRAN (also "-") and Hackage. */
export const numberListVersion = (separators: readonly string[]): fc.Arbitrary<string> =>
  joined(smallNumber, 1, 5, fc.constantFrom(...separators));

/** Free-form version soup: digits, letters, qualifiers and every separator any scheme uses. */
export const versionSoup: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      smallNumber,
      word,
      fc.constantFrom('SNAPSHOT', 'final', 'ga', 'sp', 'dev', 'post', 'pl', 'RC', 'M', 'v'),
      fc.constantFrom('.', '-', '+', '_', '~', '^', ':', '.', '-', '#'),
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((xs) => xs.join(''));

/** Maven versions as published: dotted numbers, then qualifiers joined by "-" or "." or nothing. */
export const mavenVersion: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(smallNumber, { minLength: 1, maxLength: 4 }),
    fc.array(
      fc.tuple(
        fc.constantFrom('-', '.', ''),
        fc.constantFrom('alpha', 'a', 'beta', 'B', 'M', 'milestone', 'rc', 'CR', 'SNAPSHOT', 'Final', 'GA', 'sp', 'jre', 'android', '1', '2', '10'),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([numbers, qualifiers]) => numbers.join('.') + qualifiers.map(([sep, q]) => sep + q).join(''));

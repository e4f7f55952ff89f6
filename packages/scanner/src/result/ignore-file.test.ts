import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError, NotFoundError } from '@palisade/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadIgnoreFile, parseIgnoreFile } from './ignore-file.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'palisade-ignore-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('loadIgnoreFile: plain form', () => {
  it('reads ids, comments and exp: dates like .trivyignore', async () => {
    const file = path.join(tmp, '.palisadeignore');
    await writeFile(
      file,
      '# accepted risks\nCVE-2021-23337\n\n  GHSA-35jh-r3h4-6jhm exp:2030-01-31  # until the upgrade\r\naws-access-key-id\n',
    );
    const rules = await loadIgnoreFile(file);
    expect(rules.file).toBe(file);
    expect(rules.vulnerabilities).toEqual([
      { id: 'CVE-2021-23337' },
      { id: 'GHSA-35jh-r3h4-6jhm', expires: '2030-01-31' },
      { id: 'aws-access-key-id' },
    ]);
    // Plain ids apply to every finding type.
    expect(rules.secrets).toEqual(rules.vulnerabilities);
  });

  it('rejects a bad date or stray token with the file and line', () => {
    expect(() => parseIgnoreFile('CVE-1\nCVE-2 exp:2025-02-30\n', 'x/.palisadeignore')).toThrow(
      /x\/\.palisadeignore:2: invalid expiry date "2025-02-30"/,
    );
    expect(() => parseIgnoreFile('CVE-1 because\n', '.palisadeignore')).toThrow(InputError);
  });

  it('reports a missing file as NotFoundError', async () => {
    await expect(loadIgnoreFile(path.join(tmp, 'missing'))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('loadIgnoreFile: YAML form', () => {
  it('reads vulnerabilities, misconfigurations and secrets with purls, paths, expiry and reason', async () => {
    const file = path.join(tmp, '.palisadeignore.yaml');
    await writeFile(
      file,
      [
        'vulnerabilities:',
        '  - id: CVE-2021-23337',
        '    purls: ["pkg:npm/lodash"]',
        '    expires: 2030-06-30',
        '    reason: template() is never called with user input',
        '  - id: CVE-2023-45853',
        '    paths: ["var/lib/dpkg/**"]',
        'misconfigurations:',
        '  - id: DS002',
        'secrets:',
        '  - id: aws-access-key-id',
        '    paths: ["test/**/*.env"]',
        '',
      ].join('\n'),
    );
    const rules = await loadIgnoreFile(file);
    expect(rules.vulnerabilities).toEqual([
      {
        id: 'CVE-2021-23337',
        purls: ['pkg:npm/lodash'],
        expires: '2030-06-30',
        reason: 'template() is never called with user input',
      },
      { id: 'CVE-2023-45853', paths: ['var/lib/dpkg/**'] },
    ]);
    expect(rules.misconfigurations).toEqual([{ id: 'DS002' }]);
    expect(rules.secrets).toEqual([{ id: 'aws-access-key-id', paths: ['test/**/*.env'] }]);
  });

  it('accepts an empty file', () => {
    expect(parseIgnoreFile('', 'a.yaml').vulnerabilities).toEqual([]);
  });

  const bad: [string, RegExp][] = [
    ['vulnerabilities: {id: x}', /"vulnerabilities" must be a list/],
    ['vulnerabilities:\n  - reason: no id', /vulnerabilities\[0\]: "id" must be a non-empty string/],
    ['vulnerabilities:\n  - id: X\n    purls: ["not a purl"]', /"not a purl" is not a valid purl/],
    ['vulnerabilities:\n  - id: X\n    expires: tomorrow', /invalid expiry date "tomorrow"/],
    ['vulnerabilities: [', /invalid YAML/],
    ['- just a list', /expected a mapping/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text.slice(0, 30))} with an InputError`, () => {
      expect(() => parseIgnoreFile(text, 'p.yaml')).toThrow(InputError);
      expect(() => parseIgnoreFile(text, 'p.yaml')).toThrow(message);
    });
  }

  it('never throws anything but InputError (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => stringify({ vulnerabilities: v })),
        ),
        fc.boolean(),
        (text, yaml) => {
          try {
            parseIgnoreFile(text, yaml ? 'f.yaml' : '.palisadeignore');
          } catch (err) {
            if (!(err instanceof InputError)) throw err;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

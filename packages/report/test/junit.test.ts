import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../src/index.js';
import { cleanRepoReport, sampleImageReport } from './sample-report.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (n) => n === 'testsuite' || n === 'testcase',
});

interface Case {
  classname: string;
  name: string;
  failure?: { message: string; type: string; '#text': string };
}
interface Suite {
  name: string;
  tests: string;
  failures: string;
  testcase: Case[];
}

function parse(xml: string): { name: string; tests: string; failures: string; testsuite: Suite[] } {
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml).testsuites;
}

describe('junit writer', () => {
  it('writes one suite per result and one failing case per visible finding', () => {
    const doc = parse(writeReport(sampleImageReport(), 'junit'));
    expect(doc.testsuite.map((s) => s.name)).toEqual([
      'registry.example.com/shop/api:1.4.2 (debian 12.5) (debian)',
      'app/package-lock.json (npm)',
      'app/lib/jackson-databind-2.13.4.jar (jar)',
      'app/.env (secret)',
    ]);
    // The suppressed lodash finding is hidden by default.
    expect(doc.failures).toBe('5');
    const jackson = doc.testsuite[2]?.testcase[0];
    expect(jackson).toMatchObject({ name: '[HIGH] GHSA-jjjh-jjxp-wpff' });
    expect(jackson?.classname).toMatch(/jackson-databind@2\.13\.4/);
    expect(jackson?.failure?.['#text']).toMatch(/Fixed version: 2\.13\.4\.2, 2\.14\.0/);
    const secret = doc.testsuite[3]?.testcase[0];
    expect(secret?.failure?.['#text']).toMatch(/app\/\.env:3/);
  });

  it('shows suppressed findings on request', () => {
    expect(parse(writeReport(sampleImageReport(), 'junit', { showSuppressed: true })).failures).toBe('6');
  });

  it('a clean target is one passing test', () => {
    const doc = parse(writeReport(cleanRepoReport(), 'junit'));
    expect(doc.failures).toBe('0');
    for (const s of doc.testsuite) expect(s.testcase).toEqual([expect.objectContaining({ name: 'no findings' })]);
  });

  it('escapes any title into well-formed XML that reads back the same (minus characters XML cannot hold)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (title) => {
        const report = sampleImageReport();
        const first = report.results[0]!.findings[0]!;
        report.results[0]!.findings = [{ ...first, title }];
        const doc = parse(writeReport(report, 'junit'));
        const message = doc.testsuite[0]?.testcase[0]?.failure?.message ?? '';
        const expected = title.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
        // XML attribute normalisation turns tabs and CRs into spaces.
        expect(String(message).replace(/\s/g, ' ').trim()).toBe(expected.replace(/\s/g, ' ').trim());
      }),
      { numRuns: 300 },
    );
  });
});

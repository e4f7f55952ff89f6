// JUnit XML: one <testsuite> per scan result and one failing <testcase> per finding, so CI systems
// that only understand test reports (Jenkins, GitLab, CircleCI) show findings as failed tests.

import type { Finding, ScanReport, ScanResult } from '@palisade/core';
import { TOOL_NAME, visibleFindings, type WriterOptions } from './writer.js';

export function writeJunit(report: ScanReport, opts: WriterOptions): string {
  const suites = report.results.map((r) => suite(r, visibleFindings(r, opts)));
  const tests = suites.reduce((n, s) => n + s.tests, 0);
  const failures = suites.reduce((n, s) => n + s.failures, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`${TOOL_NAME} ${report.artifact.name}`)}" tests="${tests}" failures="${failures}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

function suite(result: ScanResult, findings: Finding[]): { xml: string; tests: number; failures: number } {
  // A target without findings is one passing test, so that it still shows up as checked.
  const cases = findings.length
    ? findings.map((f) => {
        const subject = f.package
          ? `${f.package.name}@${f.installedVersion ?? f.package.version}`
          : (f.target.path ?? result.target);
        const where = f.target.line
          ? `${f.target.path ?? result.target}:${f.target.line}`
          : (f.target.path ?? result.target);
        const fixed = f.fixedVersion ? `\nFixed version: ${f.fixedVersion}` : '';
        const body = `${f.title}\n${where}${fixed}\n${f.references.slice(0, 3).join('\n')}`;
        return `    <testcase classname="${attr(subject)}" name="[${f.severity}] ${attr(f.ruleId)}"><failure message="${attr(f.title)}" type="${attr(f.severity)}">${text(body)}</failure></testcase>`;
      })
    : [`    <testcase classname="${attr(result.target)}" name="no findings"></testcase>`];
  const tests = Math.max(findings.length, 1);
  const xml = [
    `  <testsuite name="${attr(`${result.target} (${result.type})`)}" tests="${tests}" failures="${findings.length}">`,
    ...cases,
    '  </testsuite>',
  ].join('\n');
  return { xml, tests, failures: findings.length };
}

// XML 1.0 cannot carry most control characters even escaped: drop them.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function text(s: string): string {
  return s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s)
    .replace(/"/g, '&quot;')
    .replace(/[\r\n\t]/g, ' ');
}

import { InputError, type ScanReport } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBaseline, writeBaseline } from './baseline.js';
import { filterReport } from './filter-report.js';

function report(): ScanReport {
  const finding = (id: string, line: number) => ({
    id,
    type: 'misconfiguration' as const,
    ruleId: 'PAL-K8S-003',
    severity: 'HIGH' as const,
    title: 'Privileged container',
    target: { path: 'deploy.yaml', line },
    references: [],
    status: 'open' as const,
  });
  return {
    schemaVersion: 1,
    createdAt: '2026-11-27T00:00:00Z',
    artifact: { name: '.', type: 'filesystem' },
    results: [
      {
        target: 'deploy.yaml',
        class: 'config',
        type: 'kubernetes',
        packages: [],
        findings: [finding('a1', 12), finding('b2', 40)],
      },
    ],
    warnings: [],
  };
}

describe('baseline', () => {
  it('round-trips: what is written suppresses exactly those fingerprints, wherever the line moved', () => {
    const baseline = parseBaseline(writeBaseline(report()), 'b.json');
    expect([...baseline.ids]).toEqual(['a1', 'b2']);
    const moved = report();
    moved.results[0]!.findings[0]!.target.line = 99;
    moved.results[0]!.findings.push({ ...moved.results[0]!.findings[0]!, id: 'c3' });
    const out = filterReport(moved, { baseline }).results[0]!.findings;
    expect(out.map((f) => [f.id, f.status, f.suppression?.source])).toEqual([
      ['a1', 'suppressed', 'baseline'],
      ['b2', 'suppressed', 'baseline'],
      ['c3', 'open', undefined],
    ]);
  });

  it('never throws anything but InputError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseBaseline(text, 'x.json');
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
    );
  });
});

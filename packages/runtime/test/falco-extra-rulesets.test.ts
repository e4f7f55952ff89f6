// The incubating and sandbox rulesets load on top of the stable one. The check report says which
// rules load and which fields/operators are missing; the baseline only ever moves up.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../test-support/paths.js';
import { checkRules, RuleEngine } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const read = (name: string) => ({ path: name, text: readFileSync(sharedDataPath('falco', name), 'utf8') });
const stable = read('falco_rules.yaml');
const baseline = JSON.parse(readFileSync(path.join(here, 'fixtures', 'rules-check-baseline.json'), 'utf8')) as Record<
  string,
  { total: number; loadedOrDisabled: number }
>;

describe.each(Object.keys(baseline))('%s', (name) => {
  const extra = read(name);
  const report = checkRules([stable, extra]);
  const own = report.rules.filter((r) => r.file === name);

  it('reports every rule of the file, and the number that load never goes down', () => {
    const expected = baseline[name]!;
    expect(own).toHaveLength(expected.total);
    const ok = own.filter((r) => r.status === 'loaded' || r.status === 'disabled');
    expect(ok.length).toBeGreaterThanOrEqual(expected.loadedOrDisabled);
  });

  it('names no missing field or unsupported operator and no load error', () => {
    expect(report.missingFields).toEqual({});
    expect(own.flatMap((r) => r.unsupportedOperators)).toEqual([]);
    expect(report.errors).toEqual([]);
    for (const r of own) expect(r.reasons, r.name).toEqual([]);
  });

  it('keeps disabled rules out of the engine', () => {
    const { engine } = RuleEngine.load([stable, extra]);
    const disabled = own.filter((r) => r.status === 'disabled').map((r) => r.name);
    for (const d of disabled) expect(engine.ruleNames).not.toContain(d);
    expect(engine.ruleNames.length).toBe(25 + own.filter((r) => r.status === 'loaded').length);
  });
});

it('sandbox rules that Falco ships disabled are reported as disabled', () => {
  const report = checkRules([stable, read('falco-sandbox_rules.yaml')]);
  const disabled = report.rules.filter((r) => r.status === 'disabled').map((r) => r.name);
  expect(disabled).toContain('Container Drift Detected (open+create)');
  expect(disabled).toContain('Java Process Class File Download');
  expect(disabled).toHaveLength(12);
});

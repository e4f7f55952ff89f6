// Gate for Palisade's default ruleset (rules/palisade_rules.yaml): it loads with zero errors, every
// rule carries MITRE tags, fires on its recorded event and stays silent on its near-miss.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeEvent } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sharedDataPath } from '../../../test-support/paths.js';
import { checkRules, DEFAULT_RULES_PATH, defaultRulesFile, RuleEngine, toRuntimeEvent } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rulesFile = defaultRulesFile();

interface Case {
  rule: string;
  expect: 'fire' | 'none';
  note: string;
  event: RuntimeEvent;
}
const fixtureDir = path.join(here, 'fixtures', 'default-rules');
const cases: Case[] = readFileSync(path.join(fixtureDir, 'cases.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l, i) => {
    const c = JSON.parse(l) as Case;
    return { ...c, event: toRuntimeEvent(c.event, 'cases.ndjson', i + 1) };
  });

describe('Palisade default ruleset', () => {
  const { engine, errors, warnings } = RuleEngine.load([rulesFile], { ruleMatching: 'all' });

  it('loads every rule with zero errors and warnings', () => {
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    const report = checkRules([rulesFile]);
    expect(report.summary.failed).toBe(0);
    expect(report.summary.unsupported).toBe(0);
    expect(report.summary.loaded).toBe(report.summary.total);
    expect(report.summary.total).toBeGreaterThanOrEqual(20);
    expect(engine.ruleNames).toHaveLength(report.summary.total);
  });

  it('ships at rules/palisade_rules.yaml', () => {
    expect(DEFAULT_RULES_PATH).toBe(path.join(here, '..', 'rules', 'palisade_rules.yaml'));
  });

  it('indexes every rule by evt.type (no rule is evaluated for every event)', () => {
    for (const c of engine.checks) expect(c.evtTypes, c.name).not.toBeNull();
  });

  it('tags every rule with a MITRE tactic and technique id', () => {
    const items = parse(rulesFile.text) as { rule?: string; tags?: string[] }[];
    const rules = items.filter((i) => i.rule !== undefined);
    expect(rules.length).toBe(engine.ruleNames.length);
    for (const r of rules) {
      const tags = r.tags ?? [];
      expect(
        tags.some((t) => t.startsWith('mitre_')),
        r.rule,
      ).toBe(true);
      expect(
        tags.some((t) => /^T\d{4}(\.\d{3})?$/.test(t)),
        r.rule,
      ).toBe(true);
    }
  });

  it('has a firing and a near-miss fixture for every rule', () => {
    for (const name of engine.ruleNames) {
      expect(
        cases.some((c) => c.rule === name && c.expect === 'fire'),
        `fire fixture for ${name}`,
      ).toBe(true);
      expect(
        cases.some((c) => c.rule === name && c.expect === 'none'),
        `near-miss for ${name}`,
      ).toBe(true);
    }
    for (const c of cases) expect(engine.ruleNames, `fixture names an unknown rule`).toContain(c.rule);
  });

  for (const c of cases) {
    it(`${c.rule}: ${c.expect === 'fire' ? 'fires on' : 'ignores'} ${c.note}`, () => {
      const fired = engine.evaluate(c.event).map((a) => a.rule);
      if (c.expect === 'fire') expect(fired).toContain(c.rule);
      else expect(fired).not.toContain(c.rule);
    });
  }

  it('renders outputs without unresolved placeholders', () => {
    for (const c of cases.filter((x) => x.expect === 'fire')) {
      for (const a of engine.evaluate(c.event)) {
        expect(a.output).not.toMatch(/%[a-z]/);
        expect(a.tags.length).toBeGreaterThan(0);
      }
    }
  });

  it('loads beside Falco stable rules without name clashes', () => {
    const stable = {
      path: 'falco_rules.yaml',
      text: readFileSync(sharedDataPath('falco', 'falco_rules.yaml'), 'utf8'),
    };
    const both = RuleEngine.load([stable, rulesFile]);
    expect(both.errors).toEqual([]);
    expect(both.engine.ruleNames.length).toBe(25 + engine.ruleNames.length);
  });
});

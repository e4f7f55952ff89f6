#!/usr/bin/env node
// bench/runtime (a): the rule engine alone, on one core, with Falco's stable ruleset, replaying a
// recorded event stream. Two mixes: every event of a type some rule checks, and a realistic mix
// where most events are of types no rule uses (the engine's evt.type index skips them).
//   node bench/runtime-engine.mjs       (after `npm run build`)

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RuleEngine } from '@palisade/runtime';
import { fmt, repoRoot } from './lib/measure.mjs';

const rulesFile = path.resolve(repoRoot, '../shared/data/falco/falco_rules.yaml');
const { engine, errors } = RuleEngine.load([{ path: rulesFile, text: readFileSync(rulesFile, 'utf8') }]);
if (errors.length) throw new Error(`ruleset did not load: ${errors.map((e) => e.message).join('; ')}`);

const recorded = readFileSync(path.join(repoRoot, 'packages/runtime/test/fixtures/stable-rules.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l).event);
// Fillers of the kinds that dominate a real host's stream but that no stable rule watches.
const fillers = ['read', 'write', 'close', 'mmap', 'futex', 'epoll_wait', 'fstat'].map((type, i) => ({
  ...recorded[i % recorded.length],
  type,
}));

function run(label, events, total) {
  let alerts = 0;
  // Warm up the JIT, then measure.
  for (let i = 0; i < 50_000; i++) alerts += engine.evaluate(events[i % events.length]).length;
  alerts = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < total; i++) alerts += engine.evaluate(events[i % events.length]).length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${label.padEnd(44)} ${fmt(total / seconds / 1000, 0).padStart(6)}k events/s  (${total} events, ${alerts} alerts)`,
  );
  return total / seconds;
}

console.log(`rule engine, Falco stable ruleset (${engine.ruleNames.length} rules), one core`);
const hot = run('all events of rule-relevant types', recorded, 2_000_000);
const mix = [];
for (let i = 0; i < 100; i++) mix.push(i % 10 < 3 ? recorded[i % recorded.length] : fillers[i % fillers.length]);
run('30% rule-relevant, 70% other syscalls', mix, 4_000_000);
console.log(`target >= 500k events/s: ${hot >= 500_000 ? 'met' : 'NOT met'} on the rule-relevant stream`);

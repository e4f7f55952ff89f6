#!/usr/bin/env node
// bench/runtime-agent: the whole agent (sensor, enrichment, Falco's stable rules and the default
// ruleset) under an exec storm and an openat storm, with its memory.
//   node bench/runtime-agent.mjs   (as root, after `npm run build`)
// Env: EXECS (20000), STORM_RATE (250000), STORM_EVENTS (2000000), RUNS (2), NO_ENRICH,
// AGENT_V8: `flag` (default: node restarted with the systemd unit's NODE_OPTIONS, as `palisade
// agent` re-executes itself when they are missing) or `none` (V8's defaults).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStorm, rssMb, runStorm } from './lib/storm.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workDir = path.join(repoRoot, 'bench', '.work', 'runtime-agent');
const EXECS = Number(process.env.EXECS ?? 20000);
const STORM_RATE = Number(process.env.STORM_RATE ?? 250000);
const STORM_EVENTS = Number(process.env.STORM_EVENTS ?? 2000000);
const RUNS = Number(process.env.RUNS ?? 2);

/** An output that only counts: the bench measures the pipeline, not a terminal. */
function countingOutput() {
  const out = {
    name: 'count',
    alerts: 0,
    write(batch) {
      out.alerts += batch.length;
    },
    close: async () => {},
  };
  return out;
}

async function withAgent(mod, fn) {
  const out = countingOutput();
  const rules = [path.join(repoRoot, '..', 'shared', 'data', 'falco', 'falco_rules.yaml')];
  const def = mod.defaultRulesFile();
  if (def) rules.push(def);
  const agent = mod.startAgent({
    rules,
    outputs: [out],
    ignoreComms: ['node'], // this bench's own process
    enrich: process.env.NO_ENRICH ? undefined : mod.defaultEnrichStage(),
    sensor: { binaryPath: mod.locateSensorBinary() },
    log: () => {},
  });
  await agent.ready;
  let peak = 0;
  const timer = setInterval(() => {
    const s = agent.stats();
    peak = Math.max(peak, process.memoryUsage().rss / 1048576 + (s.sensorPid ? rssMb(s.sensorPid) : 0));
  }, 200);
  try {
    const before = agent.stats();
    const { seconds } = await fn();
    await new Promise((r) => setTimeout(r, 500)); // let the last records drain through the pipe
    await agent.flush();
    const after = agent.stats();
    return {
      seconds,
      events: after.events - before.events,
      alerts: out.alerts,
      drops: after.drops - before.drops,
      peakRss: peak,
      enriched: !process.env.NO_ENRICH,
    };
  } finally {
    clearInterval(timer);
    await agent.stop();
  }
}

const pct = (a, b) => `${(((a - b) / b) * 100).toFixed(1)}%`;
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root: the sensor loads BPF programs');
  const mod = await import(path.join(repoRoot, 'packages/agent/dist/index.js')).catch(() => {
    throw new Error('build first: npm run build');
  });
  // Measure the agent as it ships: with the V8 settings its systemd unit gives node.
  const mode = process.env.AGENT_V8 ?? 'flag';
  const flags = mod.AGENT_NODE_OPTIONS ?? '';
  if (mode === 'flag' && flags && !(process.env.NODE_OPTIONS ?? '').includes(flags)) {
    const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${flags}`.trim() };
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], { stdio: 'inherit', env });
    process.exit(r.status ?? 1);
  }
  const young = mod.watchYoungGeneration?.();
  console.log(`agent V8 semi-spaces: ${mode === 'flag' ? flags : 'V8 defaults'}`);
  const { storm, small } = buildStorm(workDir);

  const bare = [];
  const withA = [];
  let execInfo;
  for (let r = 0; r < RUNS; r++) {
    bare.push((await runStorm(storm, ['exec', String(EXECS), '2'])).seconds);
    execInfo = await withAgent(mod, () => runStorm(storm, ['exec', String(EXECS), '2']));
    withA.push(execInfo.seconds);
  }
  const best = (xs) => Math.min(...xs);
  console.log(
    `(a) exec storm: ${fmt(EXECS)} processes on 2 workers, full agent (enrichment ${execInfo.enriched ? 'on' : 'off'})`,
  );
  console.log(`    without agent  ${best(bare).toFixed(2)} s  (${fmt(EXECS / best(bare))} exec/s)`);
  console.log(`    with agent     ${best(withA).toFixed(2)} s  (${fmt(EXECS / best(withA))} exec/s)`);
  console.log(`    overhead       ${pct(best(withA), best(bare))}`);
  console.log(
    `    events through the pipeline ${fmt(execInfo.events)}, alerts ${fmt(execInfo.alerts)}, kernel drops ${execInfo.drops}`,
  );

  for (const rate of [STORM_RATE, 0]) {
    const { seconds: alone } = await runStorm(storm, ['open', String(STORM_EVENTS), small, String(rate)]);
    const r = await withAgent(mod, () => runStorm(storm, ['open', String(STORM_EVENTS), small, String(rate)]));
    console.log(`(b) openat storm, ${fmt(STORM_EVENTS)} opens, ${rate ? `${fmt(rate)} opens/s paced` : 'flat out'}`);
    console.log(`    generator alone ${alone.toFixed(2)} s (${fmt(STORM_EVENTS / alone)} opens/s)`);
    console.log(`    with agent      ${r.seconds.toFixed(2)} s (${fmt(STORM_EVENTS / r.seconds)} opens/s)`);
    console.log(
      `    evaluated ${fmt(r.events)} events = ${fmt(r.events / r.seconds)} events/s; alerts ${fmt(r.alerts)}; kernel drops ${fmt(r.drops)}`,
    );
    console.log(`    agent RSS peak (Node + sensor) ${r.peakRss.toFixed(1)} MB`);
  }
  console.log(`(c) agent RSS peak during the exec storm ${execInfo.peakRss.toFixed(1)} MB (in this bench's process)`);
  console.log(`    V8 young generation peak ${young?.peakMb() ?? '?'} MiB (both semi-spaces)`);
  young?.stop();
  await shippedAgentMemory(storm, small);
}

/** pid → parent pid of every process, from /proc. */
function parentsOf() {
  const parents = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      parents.set(Number(pid), Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  return parents;
}

// (d) The agent as users run it: the bundled `palisade agent` (which re-executes node with its V8
// flags) in its own process, measured as every process it runs — node, the sensor, the engines'
// event followers — except the waiting parent, which holds none of the agent.
async function shippedAgentMemory(storm, small) {
  const cli = path.join(repoRoot, 'packages/cli/dist/palisade.js');
  const rules = path.join(repoRoot, '..', 'shared', 'data', 'falco', 'falco_rules.yaml');
  const parent = spawn(
    process.execPath,
    [
      cli,
      'agent',
      '--output',
      'json',
      '--rules',
      rules,
      path.join(repoRoot, 'packages/runtime/rules/palisade_rules.yaml'),
    ],
    {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  await new Promise((r) => setTimeout(r, 6000)); // sensor loaded, engines listed
  let peak = 0;
  const sample = () => {
    const parents = parentsOf();
    const tree = new Set([parent.pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, ppid] of parents) if (tree.has(ppid) && !tree.has(pid)) tree.add(pid), (grew = true);
    }
    tree.delete(parent.pid);
    let total = 0;
    for (const pid of tree) total += rssMb(pid);
    peak = Math.max(peak, total);
  };
  const timer = setInterval(sample, 200);
  try {
    await runStorm(storm, ['exec', String(EXECS), '2']);
    const afterExec = peak;
    await runStorm(storm, ['open', String(STORM_EVENTS), small, String(STORM_RATE)]);
    console.log('(d) `palisade agent` as shipped (bundled CLI, its own processes: node + sensor + helpers)');
    console.log(
      `    RSS peak during the exec storm ${afterExec.toFixed(1)} MB, after the paced openat storm ${peak.toFixed(1)} MB (target < 150 MB)`,
    );
  } finally {
    clearInterval(timer);
    parent.kill('SIGTERM');
  }
}

await main();

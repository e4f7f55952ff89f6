#!/usr/bin/env node
// bench/host-audit: `palisade host audit` against `lynis audit system --quick` on this machine's /
// (target: Palisade under one tenth of Lynis's time). Both only read the system.
//   npm run build && node bench/host-audit.mjs     (or npx tsc -b: falls back to the scanner API)
//   Needs the Debian package lynis (apt-get install lynis). BENCH_RUNS=N for best of N (default 3).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bestOf, fmt, measure, palisadeBin, repoRoot } from './lib/measure.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROOT = process.env.BENCH_ROOT ?? '/';
const scannerDist = path.join(repoRoot, 'packages/scanner/dist/index.js');

/** The bundled CLI when it has the host command, else the scanner API from `tsc -b` output. */
function palisadeCommand() {
  if (existsSync(palisadeBin)) {
    const help = spawnSync(process.execPath, [palisadeBin, 'host', 'audit', '--help'], { encoding: 'utf8' });
    if (help.status === 0 && help.stdout.includes('--root')) {
      return {
        how: 'palisade host audit (bundled CLI)',
        cmd: process.execPath,
        args: [palisadeBin, 'host', 'audit', '--root', ROOT, '--format', 'json', '--exit-code', '0'],
      };
    }
  }
  if (!existsSync(scannerDist)) throw new Error('build first: npm run build (or npx tsc -b)');
  const script = `const m = await import(${JSON.stringify(scannerDist)}); const r = await m.runHostAudit({ root: ${JSON.stringify(ROOT)} }); console.log(JSON.stringify(r.summary));`;
  return { how: 'runHostAudit (scanner API)', cmd: process.execPath, args: ['--input-type=module', '-e', script] };
}

function lynisPath() {
  for (const p of ['/usr/sbin/lynis', '/usr/bin/lynis']) if (existsSync(p)) return p;
  return undefined;
}

const pal = palisadeCommand();
const palisade = bestOf(RUNS, () => measure(pal.cmd, pal.args));
if (palisade.status !== 0) throw new Error(`palisade failed (${palisade.status}): ${palisade.stderr.slice(-2000)}`);
let checks = 'n/a';
try {
  const out = JSON.parse(palisade.stdout.trim().split('\n').pop()?.startsWith('{') ? palisade.stdout : '{}');
  const s = out.hostAudit?.summary ?? out;
  if (s.pass !== undefined) checks = `${s.pass} pass, ${s.fail} fail, ${s.notApplicable} n/a`;
} catch {
  // Output shape is informational only.
}
console.log(`host audit of ${ROOT}`);
console.log(`  palisade  ${fmt(palisade.seconds)} s  peak ${fmt(palisade.peakMb, 0)} MB  (${pal.how}; ${checks})`);

const lynis = lynisPath();
if (!lynis) {
  console.log('  lynis     not installed (apt-get install lynis) — no ratio');
} else {
  // Lynis writes its log and report under /var/log; --quick skips the pauses between sections.
  const l = bestOf(Math.min(RUNS, 2), () => measure(lynis, ['audit', 'system', '--quick', '--no-colors', '--no-log']));
  console.log(
    `  lynis     ${fmt(l.seconds)} s  peak ${fmt(l.peakMb, 0)} MB  (lynis audit system --quick, exit ${l.status})`,
  );
  const ratio = palisade.seconds / l.seconds;
  console.log(`  ratio     palisade / lynis = ${fmt(ratio, 3)} (target < 0.100: ${ratio < 0.1 ? 'met' : 'NOT met'})`);
}

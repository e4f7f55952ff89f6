#!/usr/bin/env node
// bench/scan: SBOM speed and package-set parity against Trivy (and cdxgen) on a debootstrapped
// Debian 12 rootfs, the image made from it and a ~1,000-package Node project; OSV import and
// matching throughput on the shared OSV data. Prints figures; asserts nothing.
//   node bench/scan.mjs            (after `npm run build`; needs root for debootstrap and podman)

import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cdxgenBin, debianImage, debianRootfs, npmProject, trivyBin } from './lib/inputs.mjs';
import { bestOf, fmt, measure, palisadeBin, repoRoot, workDir } from './lib/measure.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const sharedOsv = path.resolve(repoRoot, '../shared/data/osv');

function componentKeys(file) {
  const bom = JSON.parse(readFileSync(file, 'utf8'));
  const keys = new Set();
  for (const c of bom.components ?? []) {
    if (!c.purl) continue;
    // Compare on type/name@version: qualifiers (arch, distro) are spelt differently by each tool.
    keys.add(c.purl.split('?')[0].replace(/%40/g, '@').toLowerCase());
  }
  return keys;
}

function parity(a, b) {
  const onlyA = [...a].filter((k) => !b.has(k));
  const onlyB = [...b].filter((k) => !a.has(k));
  return { common: a.size - onlyA.length, onlyA, onlyB };
}

function sbomRace(label, palisadeArgs, trivyArgs, extra = []) {
  const pOut = path.join(workDir, `${label}-palisade.cdx.json`);
  const tOut = path.join(workDir, `${label}-trivy.cdx.json`);
  const p = bestOf(RUNS, () =>
    measure('node', [palisadeBin, ...palisadeArgs, '--scanners', 'none', '--format', 'cyclonedx', '-o', pOut]),
  );
  if (p.status !== 0) throw new Error(`palisade failed: ${p.stderr}`);
  const t = bestOf(RUNS, () =>
    measure(trivyBin(), [
      ...trivyArgs,
      '--format',
      'cyclonedx',
      '--output',
      tOut,
      '--offline-scan',
      '--quiet',
      '--cache-dir',
      path.join(workDir, 'trivy-cache'),
    ]),
  );
  if (t.status !== 0) throw new Error(`trivy failed: ${t.stderr}`);
  const par = parity(componentKeys(pOut), componentKeys(tOut));
  console.log(`\n## ${label}`);
  console.log(`palisade  ${fmt(p.seconds)} s  peak ${fmt(p.peakMb, 0)} MB  packages ${componentKeys(pOut).size}`);
  console.log(`trivy     ${fmt(t.seconds)} s  peak ${fmt(t.peakMb, 0)} MB  packages ${componentKeys(tOut).size}`);
  console.log(`ratio palisade/trivy  ${fmt(p.seconds / t.seconds)} (target < 1)`);
  console.log(
    `package parity: ${par.common} common, ${par.onlyA.length} only palisade, ${par.onlyB.length} only trivy`,
  );
  if (par.onlyA.length) console.log(`  only palisade (first 10): ${par.onlyA.slice(0, 10).join(' ')}`);
  if (par.onlyB.length) console.log(`  only trivy (first 10): ${par.onlyB.slice(0, 10).join(' ')}`);
  for (const [name, fn] of extra) fn(name);
}

async function dbBench() {
  const { VulnDb, importOsv, detectVulnerabilities } = await import('@palisade/scanner');
  const file = path.join(workDir, 'bench-osv.sqlite');
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  const db = VulnDb.open(file);
  const memBefore = process.memoryUsage().rss;
  let t0 = performance.now();
  const stats = await importOsv(db, sharedOsv);
  const importS = (performance.now() - t0) / 1000;
  console.log('\n## OSV import (all shared data: Go, crates.io, AlmaLinux)');
  console.log(`import ${fmt(importS)} s (target < 15 s)  ${JSON.stringify(stats)}`);

  // 10,000 packages drawn from names the advisories mention, with versions spread across ranges.
  const sets = samplePackages(db, 10_000);
  t0 = performance.now();
  let findings = 0;
  for (const { os, set } of sets) findings += detectVulnerabilities(db, os, set).length;
  const matchS = (performance.now() - t0) / 1000;
  console.log('\n## matching');
  console.log(`10,000 packages matched in ${fmt(matchS, 3)} s (target < 1 s), ${findings} findings`);
  console.log(
    `process peak RSS ${fmt(process.resourceUsage().maxRSS / 1024, 0)} MB (target < 300 MB; rss before import ${fmt(memBefore / 1048576, 0)} MB)`,
  );
  db.close();
}

function samplePackages(db, n) {
  const names = db.packageNames();
  const versions = ['0.1.0', '0.5.3', '1.0.0', '1.2.3', '2.0.0', '3.4.5', '0.0.1', '10.1.0'];
  const goVersions = versions.map((v) => `v${v}`);
  const bySet = new Map();
  for (let i = 0; i < n; i++) {
    const { ecosystem, name } = names[i % names.length];
    const base = ecosystem.split(':')[0];
    const key = ecosystem;
    if (!bySet.has(key)) {
      const release = ecosystem.split(':')[1];
      const os = base === 'AlmaLinux' ? { family: 'alma', version: release ?? '9' } : undefined;
      bySet.set(key, { os, set: { class: os ? 'os-pkgs' : 'lang-pkgs', type: base, filePath: 'bench', packages: [] } });
    }
    const version =
      base === 'Go' ? goVersions[i % 8] : base === 'AlmaLinux' ? `${versions[i % 8]}-1.el9` : versions[i % 8];
    bySet.get(key).set.packages.push({
      name,
      version,
      ecosystem: base,
      purl: `pkg:generic/${encodeURIComponent(name)}@${version}`,
      srcName: name,
    });
  }
  return [...bySet.values()];
}

const rootfs = debianRootfs();
const image = debianImage();
const npm = npmProject();
sbomRace('debian-12-rootfs', ['scan', 'rootfs', rootfs], ['rootfs', rootfs]);
sbomRace('debian-12-image', ['scan', 'image', image], ['image', '--input', image]);
sbomRace(
  'npm-1000-project',
  ['scan', 'fs', npm],
  ['fs', npm],
  [
    [
      'cdxgen',
      () => {
        const out = path.join(workDir, 'npm-cdxgen.cdx.json');
        const c = bestOf(1, () =>
          measure(cdxgenBin(), ['-t', 'js', '--no-install-deps', '-o', out, npm], {
            env: { ...process.env, CDXGEN_DEBUG_MODE: '' },
          }),
        );
        console.log(
          `cdxgen    ${fmt(c.seconds)} s  peak ${fmt(c.peakMb, 0)} MB  packages ${c.status === 0 ? componentKeys(out).size : `failed (${c.status})`}`,
        );
      },
    ],
  ],
);
await dbBench();

// End to end, as a user runs it: the built CLI, a real image built by podman from local files, the
// real shared OSV data. Needs root (podman) and Go — both installed by scripts/install-deps.sh.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScanReport } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, sharedDataPath } from '../../../../test-support/paths.js';
import { runPalisade } from './cli-harness.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'palisade-e2e-'));
const cacheDir = path.join(work, 'cache');
const image = path.join(work, 'sample-image.tar');
const tag = `localhost/palisade-e2e-${process.pid}:latest`;
const env = { PALISADE_CACHE_DIR: cacheDir };

function report(stdout: string): ScanReport {
  return JSON.parse(stdout) as ScanReport;
}

beforeAll(async () => {
  execFileSync('bash', [path.join(repoRoot, 'scripts/build-sample-image.sh'), image], {
    env: { ...process.env, SAMPLE_IMAGE_TAG: tag },
    stdio: 'pipe',
  });
  const imported = await runPalisade(['db', 'import', sharedDataPath('osv')], { env });
  expect(imported.code, imported.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  for (const t of [tag, `${tag.replace(/:latest$/, '')}-base:latest`]) {
    try {
      execFileSync('podman', ['rmi', '-f', t], { stdio: 'ignore' });
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
});

describe('palisade scan image (root, podman)', () => {
  it('db status reports the imported OSV records per ecosystem', async () => {
    const r = await runPalisade(['db', 'status', '--format', 'json'], { env });
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout) as { total: number; ecosystems: Record<string, number> };
    expect(status.ecosystems.Go).toBeGreaterThan(4000);
    expect(status.ecosystems['crates.io']).toBeGreaterThan(1000);
    expect(status.ecosystems.AlmaLinux).toBeGreaterThan(5000);
  });

  it('lists OS and language packages per layer and finds the Go standard library advisories', async () => {
    const r = await runPalisade(['scan', 'image', image, '--format', 'json'], { env });
    expect(r.code, r.stderr).toBe(1); // findings and the default gate
    const rep = report(r.stdout);
    expect(rep.artifact.type).toBe('image');
    expect(rep.artifact.os).toMatchObject({ family: 'debian' });
    expect(rep.artifact.image?.layers).toHaveLength(2);
    expect(rep.artifact.image?.config?.exposedPorts).toContain('8080/tcp');

    const dpkg = rep.results.find((x) => x.type === 'dpkg');
    const dpkgNames = dpkg?.packages.map((p) => p.name).sort();
    expect(dpkgNames).toEqual(['base-files', 'libc6', 'libssl3', 'zlib1g']);
    const libssl = dpkg?.packages.find((p) => p.name === 'libssl3');
    expect(libssl).toMatchObject({ srcName: 'openssl', ecosystem: 'Debian', layer: { index: 0 } });
    expect(libssl?.purl).toMatch(/^pkg:deb\/debian\/libssl3@.*distro=debian-12/);

    const nodeResults = rep.results.filter((x) => x.type === 'node-pkg');
    expect(nodeResults.map((x) => x.target)).toEqual(['Node.js']);
    const node = nodeResults.flatMap((x) => x.packages);
    expect(node.map((p) => p.filePath).sort()).toEqual([
      'app/node_modules/lodash/package.json',
      'app/node_modules/minimist/package.json',
    ]);
    expect(node.map((p) => p.purl).sort()).toEqual(['pkg:npm/lodash@4.17.15', 'pkg:npm/minimist@1.2.5']);

    const go = rep.results.find((x) => x.type === 'gobinary');
    expect(go?.target).toBe('app/server');
    const goVersion = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim().replace(/^go/, '');
    expect(go?.packages.find((p) => p.name === 'stdlib')?.version).toBe(goVersion);
    // The binary came in the second layer, so every one of its findings names that layer.
    expect(go?.findings.length).toBeGreaterThan(0);
    for (const f of go?.findings ?? []) {
      expect(f.target.layer?.index).toBe(1);
      expect(f.target.layer?.createdBy).toMatch(/COPY/);
      expect(f.ruleId).toMatch(/^(CVE|GO)-/);
      expect(f.installedVersion).toBe(goVersion);
    }
  });

  it('gates on severity: nothing at CRITICAL means exit 0', async () => {
    const r = await runPalisade(['scan', 'image', image, '--severity', 'CRITICAL', '--format', 'json'], { env });
    const rep = report(r.stdout);
    const open = rep.results.flatMap((x) => x.findings).filter((f) => f.status !== 'suppressed');
    expect(open.every((f) => f.severity === 'CRITICAL')).toBe(true);
    expect(r.code).toBe(open.length > 0 ? 1 : 0);
  });

  it('--exit-code 0 never fails, --exit-code 7 sets the gate code', async () => {
    expect((await runPalisade(['scan', 'image', image, '--exit-code', '0'], { env })).code).toBe(0);
    expect((await runPalisade(['scan', 'image', image, '--exit-code', '7', '-f', 'json'], { env })).code).toBe(7);
  });

  it('an ignore file with every finding id suppresses them all and the gate passes', async () => {
    const all = report((await runPalisade(['scan', 'image', image, '-f', 'json'], { env })).stdout);
    const ids = [...new Set(all.results.flatMap((x) => x.findings.map((f) => f.ruleId)))];
    const ignore = path.join(work, '.palisadeignore');
    writeFileSync(ignore, `# accepted\n${ids.join('\n')}\n`);
    const r = await runPalisade(['scan', 'image', image, '--ignorefile', ignore, '-f', 'json', '--show-suppressed'], {
      env,
    });
    expect(r.code).toBe(0);
    const findings = report(r.stdout).results.flatMap((x) => x.findings);
    expect(ids.length).toBeGreaterThan(0);
    expect(findings.length).toBeGreaterThanOrEqual(ids.length);
    expect(findings.every((f) => f.status === 'suppressed' && f.suppression?.source)).toBe(true);
  });

  it('writes SARIF and CycloneDX to --output, nothing on stdout, and the CycloneDX SBOM scans back to the same findings', async () => {
    const sarifFile = path.join(work, 'out.sarif');
    const s = await runPalisade(['scan', 'image', image, '-f', 'sarif', '-o', sarifFile, '--exit-code', '0'], { env });
    expect(s.code).toBe(0);
    expect(s.stdout).toBe('');
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.length).toBeGreaterThan(0);

    const bomFile = path.join(work, 'bom.cdx.json');
    await runPalisade(['scan', 'image', image, '-f', 'cyclonedx', '-o', bomFile, '--exit-code', '0'], { env });
    const bom = JSON.parse(readFileSync(bomFile, 'utf8'));
    expect(bom.specVersion).toBe('1.6');
    const purls = bom.components.map((c: { purl?: string }) => c.purl).filter(Boolean);
    expect(purls.some((p: string) => p.startsWith('pkg:golang/stdlib@'))).toBe(true);

    const direct = report((await runPalisade(['scan', 'image', image, '-f', 'json'], { env })).stdout);
    const viaSbom = report((await runPalisade(['scan', 'sbom', bomFile, '-f', 'json'], { env })).stdout);
    const ids = (r: ScanReport) =>
      r.results.flatMap((x) => x.findings.map((f) => `${f.package?.name}:${f.ruleId}`)).sort();
    expect(ids(viaSbom)).toEqual(ids(direct));
  });
});

import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMisconfigAnalyzer } from '../misconfig-analyzer.js';
import { findOnPath, splitBySource } from './render-helm-chart.js';
import { scanHelmChart } from './scan-helm-chart.js';

const FIXTURES = path.join(import.meta.dirname, '__fixtures__');
const CHART = path.join(FIXTURES, 'web');
const NOW = new Date('2026-06-15T12:00:00Z');

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'palisade-helm-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * A stand-in for the helm CLI (not installable here: Debian has no helm package): it records
 * its arguments and prints what `helm template` prints for the fixture chart.
 */
async function fakeHelm(script: string): Promise<string> {
  const bin = path.join(work, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(path.join(bin, 'helm'), `#!/bin/sh\n${script}\n`);
  await chmod(path.join(bin, 'helm'), 0o755);
  return bin;
}

const RENDERING_HELM = () =>
  fakeHelm(`printf '%s\\n' "$@" > "${'$'}(dirname "$0")/args"\ncat "${path.join(FIXTURES, 'rendered.yaml')}"`);

describe('helm on PATH', () => {
  it('finds only executable files named helm', async () => {
    const bin = await RENDERING_HELM();
    await writeFile(path.join(work, 'helm'), 'not executable');
    expect(findOnPath('helm', `${work}${path.delimiter}${bin}`)).toBe(path.join(bin, 'helm'));
    expect(findOnPath('helm', work)).toBeUndefined();
    expect(findOnPath('helm', '')).toBeUndefined();
  });

  it('splits rendered output by template source, keeping several documents of one template', () => {
    const out = splitBySource(
      '---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\nkind: B\n---\n# Source: c/templates/a.yaml\nkind: A2\n',
    );
    expect(out).toEqual([
      { source: 'c/templates/a.yaml', text: 'kind: A\n---\nkind: A2\n\n' },
      { source: 'c/templates/b.yaml', text: 'kind: B\n' },
    ]);
  });
});

describe('scanning a Helm chart', () => {
  it('warns once and renders nothing when helm is not on PATH', async () => {
    const r = await scanHelmChart(CHART, 'deploy/web', { now: NOW, pathEnv: work });
    expect(r).toEqual({
      misconfigurations: [],
      warnings: ['helm not found on PATH: chart deploy/web not rendered; its templates were skipped'],
    });
  });

  it('renders with helm template and reports findings at the template path and rendered line', async () => {
    const bin = await RENDERING_HELM();
    const values = path.join(work, 'prod-values.yaml');
    const r = await scanHelmChart(CHART, 'deploy/web', { now: NOW, pathEnv: bin, valuesFiles: [values] });
    expect((await readFile(path.join(bin, 'args'), 'utf8')).trim().split('\n')).toEqual([
      'template',
      'release',
      CHART,
      '--values',
      values,
    ]);
    expect(r.misconfigurations.map((m) => m.filePath).sort()).toEqual(['deploy/web/templates/deployment.yaml']);
    const findings = r.misconfigurations[0]?.findings ?? [];
    const privileged = findings.find((f) => f.ruleId === 'PAL-K8S-003');
    expect(privileged?.target).toEqual({ path: 'deploy/web/templates/deployment.yaml', line: 18 });
  });

  it('turns a failing helm into a warning with its message', async () => {
    const bin = await fakeHelm(
      `echo "Error: found in Chart.yaml, but missing in charts/ directory: redis" >&2\nexit 1`,
    );
    const r = await scanHelmChart(CHART, 'web', { now: NOW, pathEnv: bin });
    expect(r.misconfigurations).toEqual([]);
    expect(r.warnings).toEqual([
      `helm template failed for chart ${CHART}: Error: found in Chart.yaml, but missing in charts/ directory: redis`,
    ]);
  });
});

describe('the misconfig analyzer and charts', () => {
  const ctxCollecting = () => {
    const warnings: string[] = [];
    return { warnings, ctx: { warn: (m: string) => warnings.push(m) } };
  };
  const chartInput = async (rel: string) => {
    const content = await readFile(path.join(CHART, 'Chart.yaml'));
    return { path: rel, content, size: content.length, mode: 0o100644 };
  };

  it('renders a chart found in the scanned directory', async () => {
    const root = path.join(work, 'repo');
    await mkdir(path.join(root, 'deploy'), { recursive: true });
    const { cp } = await import('node:fs/promises');
    await cp(CHART, path.join(root, 'deploy', 'web'), { recursive: true });
    const bin = await RENDERING_HELM();
    const analyzer = createMisconfigAnalyzer({ sourceRoot: root, pathEnv: bin });
    const { warnings, ctx } = ctxCollecting();
    const result = await analyzer.analyze(await chartInput('deploy/web/Chart.yaml'), ctx);
    expect(warnings).toEqual([]);
    expect(result?.misconfigurations?.map((m) => m.filePath)).toEqual(['deploy/web/templates/deployment.yaml']);
  });

  it('says helm is missing, and leaves subcharts to their parent', async () => {
    const root = path.join(work, 'repo');
    await mkdir(path.join(root, 'app', 'charts', 'db'), { recursive: true });
    await writeFile(path.join(root, 'app', 'Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 1.0.0\n');
    const analyzer = createMisconfigAnalyzer({ sourceRoot: root, pathEnv: work });
    const { warnings, ctx } = ctxCollecting();
    expect(await analyzer.analyze(await chartInput('app/Chart.yaml'), ctx)).toBeUndefined();
    expect(await analyzer.analyze(await chartInput('app/charts/db/Chart.yaml'), ctx)).toBeUndefined();
    expect(warnings).toEqual(['helm not found on PATH: chart app not rendered; its templates were skipped']);
  });
});

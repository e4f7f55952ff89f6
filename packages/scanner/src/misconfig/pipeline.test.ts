import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeArtifact } from '../analyze-artifact.js';
import { LayerApplier } from '../artifact/layer-applier.js';
import { misconfigAnalyzer } from './misconfig-analyzer.js';
import { scanConfigFile } from './scan-config-file.js';

describe('misconfigurations through the artifact pipeline', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pal-misconfig-'));
    await mkdir(path.join(root, 'deploy'), { recursive: true });
    await mkdir(path.join(root, 'node_modules/lib'), { recursive: true });
    await writeFile(path.join(root, 'Dockerfile'), 'FROM debian\nRUN apt-get install -y curl\n');
    await writeFile(
      path.join(root, 'deploy/pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: []\n',
    );
    await writeFile(path.join(root, 'deploy/values.yaml'), 'replicas: 2\n');
    await writeFile(
      path.join(root, 'node_modules/lib/pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: vendored}\nspec: {hostPID: true}\n',
    );
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a source tree yields one set per config file with findings, vendored manifests skipped', async () => {
    const analysis = await analyzeArtifact('fs', root, {
      analyzers: [misconfigAnalyzer],
      tempDir: path.join(root, '.tmp'),
    });
    const sets = analysis.misconfigurations ?? [];
    expect(sets.map((s) => [s.filePath, s.type])).toEqual([
      ['Dockerfile', 'dockerfile'],
      ['deploy/pod.yaml', 'kubernetes'],
    ]);
    expect(sets[1]!.findings.find((f) => f.ruleId === 'PAL-K8S-002')?.target).toEqual({
      path: 'deploy/pod.yaml',
      line: 5,
    });
  });

  it('the layer applier drops a config file removed by a whiteout and tags survivors with their layer', () => {
    const applier = new LayerApplier();
    const set = (p: string) => ({
      filePath: p,
      type: 'dockerfile' as const,
      findings: scanConfigFile(p, Buffer.from('FROM x\n'))!.findings,
    });
    applier.beginLayer(0);
    applier.record('app/Dockerfile', [{ order: 0, result: { misconfigurations: [set('app/Dockerfile')] } }]);
    applier.record('old/Dockerfile', [{ order: 0, result: { misconfigurations: [set('old/Dockerfile')] } }]);
    applier.endLayer();
    applier.beginLayer(1);
    applier.whiteout('old');
    applier.endLayer();
    const layers = [
      { index: 0, digest: 'sha256:l0' },
      { index: 1, digest: 'sha256:l1' },
    ];
    const out = applier.misconfigurations(layers);
    expect(out.map((s) => s.filePath)).toEqual(['app/Dockerfile']);
    expect(out[0]!.findings.every((f) => f.target.layer?.digest === 'sha256:l0')).toBe(true);
  });
});

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../test-support/paths.js';
import { configTypeForPath } from './detect-config-type.js';
import { scanImageConfig } from './image-config.js';
import { misconfigAnalyzer } from './misconfig-analyzer.js';
import { RULES } from './rules/index.js';
import { scanConfigFile } from './scan-config-file.js';

const NOW = new Date('2026-06-15T12:00:00Z');

function scan(file: string, text: string) {
  return scanConfigFile(file, Buffer.from(text), { now: NOW });
}

const PRIVILEGED_POD = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: prod${extra}
spec:
  containers:
    - name: app
      image: busybox:1.36
      securityContext:
        privileged: true
`;

describe('file type detection', () => {
  it.each([
    ['Dockerfile', 'dockerfile'],
    ['app/Containerfile', 'dockerfile'],
    ['build/api.Dockerfile', 'dockerfile'],
    ['Dockerfile.prod', 'dockerfile'],
    ['dockerfile', 'dockerfile'],
    ['k8s/deploy.yaml', 'kubernetes'],
    ['k8s/deploy.YML', 'kubernetes'],
    ['pod.json', 'kubernetes'],
    ['Dockerfile.dockerignore', undefined],
    ['README.md', undefined],
    ['Dockerfiles/notes.txt', undefined],
  ])('%s → %s', (file, type) => {
    expect(configTypeForPath(file)).toBe(type);
  });

  it('YAML and JSON that are not Kubernetes objects are not scanned', () => {
    expect(scan('values.yaml', 'replicas: 3\nimage: nginx\n')).toBeUndefined();
    expect(scan('package.json', '{"name": "x", "version": "1.0.0"}')).toBeUndefined();
    expect(scan('notes.txt', 'apiVersion: v1\nkind: Pod\n')).toBeUndefined();
  });
});

describe('bad input', () => {
  it('invalid YAML is a PAL-PARSE finding with its line, and the other documents are still checked', () => {
    const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [\n---\n${PRIVILEGED_POD('b')}`;
    const r = scan('bad.yaml', text)!;
    const parse = r.findings.filter((f) => f.ruleId === 'PAL-PARSE');
    expect(parse).toHaveLength(1);
    expect(parse[0]!.target.path).toBe('bad.yaml');
    expect(parse[0]!.target.line).toBeGreaterThanOrEqual(5);
    expect(r.findings.some((f) => f.ruleId === 'PAL-K8S-003')).toBe(true);
  });

  it('a YAML alias bomb is refused as PAL-PARSE, quickly and without expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`;
    const r = scan('bomb.yaml', text)!;
    expect(r.findings.map((f) => f.ruleId)).toEqual(['PAL-PARSE']);
    expect(r.findings[0]!.description).toMatch(/alias/i);
  });

  it('a binary file named .yaml is skipped; a binary Dockerfile warns', () => {
    const bin = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, ...Buffer.from('apiVersion kind')]);
    expect(scanConfigFile('x.yaml', bin)).toBeUndefined();
    const r = scanConfigFile('Dockerfile', bin)!;
    expect(r.findings).toEqual([]);
    expect(r.warnings[0]).toMatch(/Dockerfile: binary content/);
  });

  it('an unrendered Helm template is skipped with a warning, not a parse finding', () => {
    const text =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n{{ include "x" . | indent 4 }}\n';
    const r = scan('templates/pod.yaml', text)!;
    expect(r.findings).toEqual([]);
    expect(r.warnings[0]).toMatch(/template/);
  });
});

describe('fingerprints', () => {
  it('stay the same when a resource moves in the file, and differ between resources', () => {
    const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: prod}\nspec: {type: ClusterIP}\n';
    const a = scan('pods.yaml', `${PRIVILEGED_POD('one')}---\n${PRIVILEGED_POD('two')}`)!.findings;
    const b = scan(
      'pods.yaml',
      `${svc}---\n${PRIVILEGED_POD('two')}---\n# moved\n\n${PRIVILEGED_POD('one')}`,
    )!.findings;
    const key = (fs: typeof a) =>
      new Map(
        fs
          .filter((f) => f.ruleId === 'PAL-K8S-003')
          .map((f) => [f.description!.split('.')[0], { id: f.id, line: f.target.line }]),
      );
    const ka = key(a);
    const kb = key(b);
    expect(ka.size).toBe(1); // same container name "app" in both pods: one detail text, so compare ids
    const idsA = a
      .filter((f) => f.ruleId === 'PAL-K8S-003')
      .map((f) => f.id)
      .sort();
    const idsB = b
      .filter((f) => f.ruleId === 'PAL-K8S-003')
      .map((f) => f.id)
      .sort();
    expect(idsA).toHaveLength(2);
    expect(new Set(idsA).size).toBe(2);
    expect(idsB).toEqual(idsA);
    expect([...kb.values()][0]!.line).not.toBe([...ka.values()][0]!.line);
  });

  it('Dockerfile findings keep their id when instructions move', () => {
    const a = scan('Dockerfile', 'FROM debian:12\nUSER root\n')!.findings.find((f) => f.ruleId === 'PAL-DF-001')!;
    const b = scan('Dockerfile', 'FROM debian:12\nLABEL a=b\n\nUSER root\n')!.findings.find(
      (f) => f.ruleId === 'PAL-DF-001',
    )!;
    expect(b.id).toBe(a.id);
    expect([a.target.line, b.target.line]).toEqual([2, 4]);
  });
});

describe('suppression', () => {
  const ids = (text: string, file = 'pod.yaml') => scan(file, text)!;

  it('inline comment on the line above, with reason and expiry in the future', () => {
    const text = PRIVILEGED_POD('a').replace(
      '        privileged: true',
      '        # palisade:ignore=PAL-K8S-003 reason="CNI plugin needs it" until=2026-12-31\n        privileged: true',
    );
    const r = ids(text);
    const f = r.findings.find((x) => x.ruleId === 'PAL-K8S-003')!;
    expect(f.status).toBe('suppressed');
    expect(f.suppression).toEqual({ source: 'inline', reason: 'CNI plugin needs it', expires: '2026-12-31' });
    expect(r.findings.filter((x) => x.ruleId !== 'PAL-K8S-003').every((x) => x.status === 'open')).toBe(true);
  });

  it('inline comment on the same line, several rules', () => {
    const text = PRIVILEGED_POD('a').replace(
      'privileged: true',
      'privileged: true # palisade:ignore=PAL-K8S-999,pal-k8s-003',
    );
    const f = ids(text).findings.find((x) => x.ruleId === 'PAL-K8S-003')!;
    expect(f.status).toBe('suppressed');
    expect(f.suppression?.source).toBe('inline');
  });

  it('an expired inline suppression no longer applies and a warning names it', () => {
    const text = PRIVILEGED_POD('a').replace(
      'privileged: true',
      'privileged: true # palisade:ignore=PAL-K8S-003 until=2026-06-14',
    );
    const r = ids(text);
    expect(r.findings.find((x) => x.ruleId === 'PAL-K8S-003')!.status).toBe('open');
    expect(r.warnings).toEqual([
      expect.stringMatching(/^pod\.yaml:11: suppression of PAL-K8S-003 expired on 2026-06-14/),
    ]);
  });

  it('the expiry day itself still counts', () => {
    const text = PRIVILEGED_POD('a').replace(
      'privileged: true',
      'privileged: true # palisade:ignore=PAL-K8S-003 until=2026-06-15',
    );
    expect(ids(text).findings.find((x) => x.ruleId === 'PAL-K8S-003')!.status).toBe('suppressed');
  });

  it('a comment naming another rule suppresses nothing', () => {
    const text = PRIVILEGED_POD('a').replace('privileged: true', 'privileged: true # palisade:ignore=PAL-K8S-020');
    expect(ids(text).findings.find((x) => x.ruleId === 'PAL-K8S-003')!.status).toBe('open');
  });

  it('annotation palisade.dev/ignore with reason and expiry', () => {
    const ann =
      '\n  annotations:\n    palisade.dev/ignore: "PAL-K8S-003, PAL-K8S-020"\n    palisade.dev/ignore-reason: debug pod\n    palisade.dev/ignore-until: "2027-01-01"';
    const r = ids(PRIVILEGED_POD('a', ann));
    const f = r.findings.find((x) => x.ruleId === 'PAL-K8S-003')!;
    expect(f.suppression).toEqual({ source: 'annotation', reason: 'debug pod', expires: '2027-01-01' });
    expect(r.findings.find((x) => x.ruleId === 'PAL-K8S-020')!.status).toBe('suppressed');
    expect(r.findings.find((x) => x.ruleId === 'PAL-K8S-014')!.status).toBe('open');
  });

  it('annotation on a Deployment pod template counts too', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: prod}
spec:
  template:
    metadata:
      annotations:
        palisade.dev/ignore: PAL-K8S-002
    spec:
      hostNetwork: true
      containers: []
`;
    const f = ids(text).findings.find((x) => x.ruleId === 'PAL-K8S-002')!;
    expect(f.suppression).toEqual({ source: 'annotation', reason: undefined, expires: undefined });
  });

  it('an expired annotation warns and leaves the finding open', () => {
    const ann = '\n  annotations:\n    palisade.dev/ignore: PAL-K8S-003\n    palisade.dev/ignore-until: "2020-01-01"';
    const r = ids(PRIVILEGED_POD('a', ann));
    expect(r.findings.find((x) => x.ruleId === 'PAL-K8S-003')!.status).toBe('open');
    expect(r.warnings[0]).toMatch(/pod\.yaml Pod\/prod\/a: suppression of PAL-K8S-003 expired on 2020-01-01/);
  });

  it('Dockerfile: comment above and on the same line', () => {
    const text =
      'FROM debian # palisade:ignore=PAL-DF-002 reason=vendored\n# palisade:ignore=PAL-DF-001 reason="base image sets it"\nUSER root\n';
    const r = ids(text, 'Dockerfile');
    const df2 = r.findings.find((x) => x.ruleId === 'PAL-DF-002')!;
    expect(df2.status).toBe('suppressed');
    expect(df2.suppression?.reason).toBe('vendored');
    expect(r.findings.find((x) => x.ruleId === 'PAL-DF-001')!.suppression).toEqual({
      source: 'inline',
      reason: 'base image sets it',
      expires: undefined,
    });
    expect(r.findings.find((x) => x.ruleId === 'PAL-DF-006')!.status).toBe('open');
  });
});

describe('misconfigAnalyzer and scanImageConfig', () => {
  it('wants config files by path, not dependency trees, and returns one set per file', async () => {
    expect(misconfigAnalyzer.required('deploy/app.yaml', { size: 100, mode: 0o100644 })).toBe(true);
    expect(misconfigAnalyzer.required('Dockerfile', { size: 100, mode: 0o100644 })).toBe(true);
    expect(misconfigAnalyzer.required('node_modules/x/k8s.yaml', { size: 100, mode: 0o100644 })).toBe(false);
    expect(misconfigAnalyzer.required('main.go', { size: 100, mode: 0o100644 })).toBe(false);
    const warnings: string[] = [];
    const content = Buffer.from(PRIVILEGED_POD('a'));
    const result = await misconfigAnalyzer.analyze(
      { path: 'k8s/pod.yaml', size: content.length, mode: 0o100644, content },
      { warn: (m) => warnings.push(m) },
    );
    expect(result?.misconfigurations?.map((m) => [m.filePath, m.type])).toEqual([['k8s/pod.yaml', 'kubernetes']]);
    expect(result!.misconfigurations![0]!.findings.some((f) => f.ruleId === 'PAL-K8S-003')).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('flags an image config that runs as root and exposes 22, and passes a non-root one', () => {
    const bad = scanImageConfig({
      id: 'sha256:abc',
      repoTags: ['app:1'],
      layers: [],
      config: { exposedPorts: ['22/tcp', '80/tcp'] },
    });
    expect(bad.map((f) => [f.ruleId, f.target.artifact])).toEqual([
      ['PAL-IMG-001', 'app:1'],
      ['PAL-IMG-002', 'app:1'],
    ]);
    expect(scanImageConfig({ layers: [], config: { user: '0:0' } }).map((f) => f.ruleId)).toEqual(['PAL-IMG-001']);
    expect(scanImageConfig({ layers: [], config: { user: 'app', exposedPorts: ['8080/tcp'] } })).toEqual([]);
  });
});

describe('docs/misconfig.md', () => {
  it('lists every rule of the registry with its severity', async () => {
    const doc = await readFile(`${repoRoot}/docs/misconfig.md`, 'utf8');
    for (const r of RULES) expect(doc, r.id).toMatch(new RegExp(`\\| ${r.id} \\| [^|]+ \\| ${r.severity} \\|`));
  });
});

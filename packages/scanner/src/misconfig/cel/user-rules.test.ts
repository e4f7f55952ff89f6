import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../../test-support/paths.js';
import { analyzersFor } from '../../analyzer/index.js';
import { scanArtifact } from '../../scan.js';
import { scanConfigFile } from '../scan-config-file.js';
import { compileCel, isCompileError } from './compile-expression.js';
import { loadUserRules, parseUserRules } from './load-user-rules.js';

const FIXTURES = path.join(import.meta.dirname, '__fixtures__');
const RULES_FILE = path.join(FIXTURES, 'company-rules.yaml');
const NOW = new Date('2026-06-15T12:00:00Z');

const RULE = (body: string) => `apiVersion: palisade.dev/v1
kind: ConfigRule
id: T-1
severity: HIGH
title: test rule
match:
  kinds: [Pod]
${body}`;

async function scanWorkloads(rulesFiles = [RULES_FILE]) {
  const { rules, errors } = loadUserRules(rulesFiles);
  expect(errors).toEqual([]);
  const text = await readFile(path.join(FIXTURES, 'workloads.yaml'));
  const result = scanConfigFile('k8s/workloads.yaml', text, { now: NOW, kubernetesRules: [], extraRules: rules });
  return result?.findings ?? [];
}

describe('loading user rules', () => {
  it('loads a single rule document and a list of rules from one file', () => {
    const { rules, errors } = loadUserRules([RULES_FILE]);
    expect(errors).toEqual([]);
    expect(rules.map((r) => [r.id, r.severity, r.target])).toEqual([
      ['ACME-001', 'MEDIUM', 'kubernetes'],
      ['ACME-002', 'HIGH', 'kubernetes'],
      ['ACME-003', 'LOW', 'kubernetes'],
    ]);
    expect(rules[0]?.rationale).toContain('names the team');
  });

  it('accepts the example rule of docs/misconfig.md', async () => {
    const doc = await readFile(path.join(repoRoot, 'docs/misconfig.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## User rules in CEL'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const { rules, errors } = parseUserRules('docs-example.yaml', example);
    expect(errors).toEqual([]);
    expect(rules.map((r) => r.id)).toEqual(['ACME-002']);
  });

  it('reports a CEL syntax error with the rule id, field path and position in the expression', () => {
    const { rules, errors } = parseUserRules(
      'bad.yaml',
      RULE(`validations:
  - expression: object.spec.containers.all(c, c.image.)
`),
    );
    expect(rules).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^bad\.yaml: rule T-1: \/validations\/0\/expression: CEL error at line 1, column 39: Expected IDENTIFIER, got RPAREN$/,
    );
  });

  it('gives the line and column of an error on the second line of a multi-line expression', () => {
    const c = compileCel('object.a &&\n  object.b ++ 1');
    expect(isCompileError(c)).toBe(true);
    if (isCompileError(c)) expect([c.line, c.column]).toEqual([2, 13]);
  });

  it('reports schema errors with the field path: missing, unknown, wrong enum, wrong apiVersion', () => {
    const text = `apiVersion: palisade.dev/v2
kind: ConfigRule
id: T-2
severity: SEVERE
title: x
colour: red
match:
  kinds: []
validations:
  - message: no expression
`;
    const { rules, errors } = parseUserRules('schema.yaml', text);
    expect(rules).toEqual([]);
    expect(errors).toEqual(
      expect.arrayContaining([
        'schema.yaml: rule T-2: /: unknown field "colour"',
        'schema.yaml: rule T-2: /apiVersion: must be "palisade.dev/v1"',
        expect.stringMatching(
          /^schema\.yaml: rule T-2: \/severity: must be equal to one of the allowed values \(CRITICAL, HIGH/,
        ),
        'schema.yaml: rule T-2: /match/kinds: must NOT have fewer than 1 items',
        "schema.yaml: rule T-2: /validations/0: must have required property 'expression'",
      ]),
    );
  });

  it('names the document when a rule has no id, and the list item inside a list', () => {
    const { errors } = parseUserRules('x.yaml', `- kind: ConfigRule\n- 42\n`);
    expect(errors.some((e) => e.startsWith('x.yaml: document 1, item 1: '))).toBe(true);
    expect(errors.some((e) => e.startsWith('x.yaml: document 1, item 2: /: must be object'))).toBe(true);
  });

  it('refuses ids used twice or taken by a built-in rule, and unreadable files, without throwing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'palisade-cel-'));
    try {
      const builtin = path.join(dir, 'builtin.yaml');
      await writeFile(builtin, RULE('validations:\n  - expression: "true"\n').replace('T-1', 'PAL-K8S-001'));
      const { rules, errors } = loadUserRules([RULES_FILE, RULES_FILE, builtin, path.join(dir, 'missing.yaml')]);
      expect(rules).toHaveLength(3);
      expect(errors).toEqual([
        `${RULES_FILE}: rule ACME-001: id already used by ${RULES_FILE}`,
        `${RULES_FILE}: rule ACME-002: id already used by ${RULES_FILE}`,
        `${RULES_FILE}: rule ACME-003: id already used by ${RULES_FILE}`,
        `${builtin}: rule PAL-K8S-001: id already used by the built-in rules`,
        expect.stringMatching(/missing\.yaml: cannot read: ENOENT/),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports invalid YAML and alias bombs as errors', () => {
    expect(parseUserRules('y.yaml', 'id: [unclosed\n').errors[0]).toMatch(/^y\.yaml: document 1: invalid YAML: /);
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
`;
    expect(parseUserRules('bomb.yaml', bomb).errors[0]).toMatch(/^bomb\.yaml: document 1: refused: /);
  });

  it('turns arbitrary YAML and text into errors, never a throw', () => {
    const yamlish = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          apiVersion: fc.constantFrom('palisade.dev/v1', 'v1', 1),
          kind: fc.constantFrom('ConfigRule', 'Pod'),
          id: fc.oneof(fc.constant('R-1'), fc.string()),
          severity: fc.constantFrom('HIGH', 'LOW', 'nope'),
          title: fc.string(),
          match: fc.record({ kinds: fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }) }),
          validations: fc.array(fc.record({ expression: fc.string({ minLength: 1 }) }), { maxLength: 3 }),
        })
        .map((r) => JSON.stringify(r)),
    );
    fc.assert(
      fc.property(yamlish, (text) => {
        const { rules, errors } = parseUserRules('fuzz.yaml', text);
        expect(Array.isArray(rules) && Array.isArray(errors)).toBe(true);
        for (const e of errors) expect(e.startsWith('fuzz.yaml: ')).toBe(true);
        // Whatever compiled must also evaluate without throwing on an arbitrary resource.
        for (const r of rules) {
          r.check({ apiVersion: 'v1', kind: 'Pod', name: 'p', object: { spec: { a: [1, 'x'] } }, basePath: [] });
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('running user rules on manifests', () => {
  it('reports only the validations that fail, at the line of the resource, with the rule metadata', async () => {
    const findings = await scanWorkloads();
    const summary = findings.map((f) => [f.ruleId, f.target.line, (f.description ?? '').split('. ')[0]]);
    expect(summary).toEqual([
      ['ACME-001', 25, 'deployment worker has no team label'],
      ['ACME-002', 25, 'images must come from registry.example.com and be pinned by digest'],
      ['ACME-002', 25, 'replicas 12 exceed the limit of 10'],
    ]);
    const f = findings[0]!;
    expect(f).toMatchObject({ type: 'misconfiguration', severity: 'MEDIUM', title: 'Workloads carry a team label' });
    expect(f.description).toContain('Remediation: Add metadata.labels.team.');
  });

  it('passes every rule once the manifest is fixed, and follows params', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'palisade-cel-'));
    try {
      const relaxed = (await readFile(RULES_FILE, 'utf8')).replace('maxReplicas: 10', 'maxReplicas: 20');
      await writeFile(path.join(dir, 'rules.yaml'), relaxed);
      const findings = await scanWorkloads([path.join(dir, 'rules.yaml')]);
      expect(findings.map((f) => (f.description ?? '').split('. ')[0])).not.toContain(
        'replicas 12 exceed the limit of 20',
      );
      expect(findings.filter((f) => f.ruleId === 'ACME-002')).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts an expression that errors at run time as a failure, as a failurePolicy of Fail does', () => {
    const { rules } = parseUserRules(
      'r.yaml',
      RULE('validations:\n  - expression: object.spec.hostNetwork == false\n'),
    );
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n';
    const result = scanConfigFile('pod.yaml', Buffer.from(text), { now: NOW, kubernetesRules: [], extraRules: rules });
    expect(result?.findings.map((f) => (f.description ?? '').split('. ')[0])).toEqual([
      'expression could not be evaluated (No such key: hostNetwork): object.spec.hostNetwork == false',
    ]);
  });

  it('honours inline suppressions like a built-in rule', () => {
    const { rules } = parseUserRules('r.yaml', RULE('validations:\n  - expression: has(object.metadata.labels)\n'));
    const text =
      'apiVersion: v1 # palisade:ignore=T-1 reason="labels come from the operator"\nkind: Pod\nmetadata:\n  name: p\n';
    const result = scanConfigFile('pod.yaml', Buffer.from(text), { now: NOW, kubernetesRules: [], extraRules: rules });
    expect(result?.findings.map((f) => [f.ruleId, f.status])).toEqual([['T-1', 'suppressed']]);
  });

  it('runs through the analyzer registry and scanArtifact (--rules-config)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'palisade-cel-'));
    try {
      await writeFile(path.join(dir, 'workloads.yaml'), await readFile(path.join(FIXTURES, 'workloads.yaml')));
      const { rules } = loadUserRules([RULES_FILE]);
      expect(analyzersFor('fs', ['config'], { userRules: rules }).some((a) => a.name === 'misconfig')).toBe(true);
      const report = await scanArtifact({
        kind: 'fs',
        target: dir,
        cacheDir: dir,
        scanners: ['config'],
        rulesConfig: [RULES_FILE],
      });
      const ids = report.results.flatMap((r) => r.findings.map((f) => f.ruleId));
      expect(ids.filter((id) => id.startsWith('ACME-')).sort()).toEqual(['ACME-001', 'ACME-002', 'ACME-002']);
      expect(ids.some((id) => id.startsWith('PAL-K8S-'))).toBe(true);
      await expect(
        scanArtifact({
          kind: 'fs',
          target: dir,
          cacheDir: dir,
          scanners: ['config'],
          rulesConfig: [path.join(dir, 'x')],
        }),
      ).rejects.toThrow(/invalid rules config:\n {2}.*x: cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

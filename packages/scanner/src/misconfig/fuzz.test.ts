import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseDockerfile } from './dockerfile-parser.js';
import { scanConfigFile } from './scan-config-file.js';

const DOCKER_WORDS = [
  'FROM',
  'RUN',
  'USER',
  'ADD',
  'COPY',
  'ENV',
  'ARG',
  'EXPOSE',
  'WORKDIR',
  'CMD',
  'HEALTHCHECK',
  '<<EOF',
  'EOF',
  '\\',
  '`',
  '#',
  '# escape=`',
  '|',
  '&&',
  '"',
  "'",
  '[',
  ']',
  '--from=',
  'sudo',
  'apt-get install',
  ' ',
  '\n',
  '\t',
  '${A',
  ':latest',
  '22',
];

describe('fuzzing: arbitrary input never throws', () => {
  it('parseDockerfile and the Dockerfile rules', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.array(fc.constantFrom(...DOCKER_WORDS), { maxLength: 80 }).map((w) => w.join('')),
    );
    fc.assert(
      fc.property(text, (t) => {
        const df = parseDockerfile(t);
        for (const i of df.instructions) expect(i.line).toBeGreaterThan(0);
        const r = scanConfigFile('Dockerfile', Buffer.from(t));
        expect(r?.type).toBe('dockerfile');
      }),
      { numRuns: 500 },
    );
  });

  it('the Kubernetes walker over arbitrary objects placed where pod specs, RBAC rules and services live', () => {
    const kinds = fc.constantFrom(
      'Pod',
      'Deployment',
      'CronJob',
      'Job',
      'ClusterRole',
      'RoleBinding',
      'Service',
      'List',
      'Ingress',
    );
    const value = fc.jsonValue({ maxDepth: 6 });
    const spec = fc.record({
      template: fc.record({
        metadata: fc.option(value),
        spec: fc.oneof(
          value,
          fc.record({
            containers: fc.array(
              fc.dictionary(fc.constantFrom('name', 'image', 'securityContext', 'ports', 'resources'), value),
            ),
            securityContext: value,
            volumes: value,
          }),
        ),
      }),
      jobTemplate: value,
      containers: value,
      type: value,
    });
    fc.assert(
      fc.property(kinds, spec, value, value, (kind, s, rules, meta) => {
        const doc = {
          apiVersion: 'v1',
          kind,
          metadata: meta,
          spec: s,
          rules,
          items: [rules],
          subjects: rules,
          roleRef: meta,
        };
        const r = scanConfigFile('fuzz.yaml', Buffer.from(stringify(doc)));
        expect(r?.type ?? 'kubernetes').toBe('kubernetes');
        for (const f of r?.findings ?? []) expect(f.target.line).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary text in a .yaml that mentions apiVersion and kind', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('', '&a ', '*a ', '{', '[', '- ', ': ', '---\n', '\t'),
        (t, junk) => {
          scanConfigFile('x.yaml', Buffer.from(`apiVersion: v1\nkind: Pod\n${junk}${t}`));
        },
      ),
      { numRuns: 500 },
    );
  });
});

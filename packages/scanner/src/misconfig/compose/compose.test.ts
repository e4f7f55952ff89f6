import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configTypeForPath } from '../detect-config-type.js';
import { COMPOSE_RULES, RULES } from '../rules/index.js';
import { scanConfigFile } from '../scan-config-file.js';

const NOW = new Date('2026-06-15T12:00:00Z');
const FIXTURE = path.join(import.meta.dirname, '__fixtures__', 'docker-compose.yml');

async function fixtureFindings() {
  const result = scanConfigFile('deploy/docker-compose.yml', await readFile(FIXTURE), { now: NOW });
  expect(result?.type).toBe('docker-compose');
  return result?.findings ?? [];
}

function scanText(text: string, file = 'compose.yaml') {
  return scanConfigFile(file, Buffer.from(text), { now: NOW });
}

/** [rule, line, detail] of each finding, detail cut before the rationale. */
function summary(findings: { ruleId: string; target: { line?: number }; description?: string }[]) {
  return findings.map((f) => [f.ruleId, f.target.line, (f.description ?? '').split('. ')[0]]);
}

describe('docker-compose detection', () => {
  it.each([
    ['docker-compose.yml', 'docker-compose'],
    ['compose.yaml', 'docker-compose'],
    ['deploy/docker-compose.override.yml', 'docker-compose'],
    ['compose.prod.yaml', 'docker-compose'],
    ['k8s/deployment.yaml', 'kubernetes'],
    ['composer.json', 'kubernetes'],
  ])('%s is %s', (file, type) => {
    expect(configTypeForPath(file)).toBe(type);
  });

  it('ignores a compose-named file without services', () => {
    expect(scanText('version: "3"\nx-common: {}\n')).toBeUndefined();
  });

  it('reports invalid YAML as a parse finding and goes on', () => {
    const r = scanText('services:\n  web: [unclosed\n');
    expect(r?.findings.map((f) => f.ruleId)).toEqual(['PAL-PARSE']);
  });

  it('lists every compose rule in the registry with a PAL-DC id', () => {
    expect(COMPOSE_RULES).toHaveLength(10);
    for (const r of COMPOSE_RULES) expect(RULES).toContain(r);
    expect(new Set(COMPOSE_RULES.map((r) => r.id)).size).toBe(10);
  });
});

describe('docker-compose rules on a real stack', () => {
  it('finds each problem at its line, and nothing on the hardened service', async () => {
    const findings = await fixtureFindings();
    const byRule = (id: string) => summary(findings.filter((f) => f.ruleId === id));
    expect(byRule('PAL-DC-001')).toEqual([['PAL-DC-001', 15, 'service "app" sets privileged: true']]);
    expect(byRule('PAL-DC-002')).toEqual([['PAL-DC-002', 32, 'service "agent" sets network_mode: host']]);
    expect(byRule('PAL-DC-003')).toEqual([
      ['PAL-DC-003', 33, 'service "agent" sets pid: host'],
      ['PAL-DC-003', 34, 'service "agent" sets ipc: host'],
    ]);
    expect(byRule('PAL-DC-004')).toEqual([['PAL-DC-004', 29, 'service "app" adds SYS_ADMIN']]);
    expect(byRule('PAL-DC-005')).toEqual([
      ['PAL-DC-005', 19, 'service "app" publishes "8000:8000" on all interfaces'],
      ['PAL-DC-005', 20, 'service "app" publishes "0.0.0.0:9000:9000" on all interfaces'],
    ]);
    expect(byRule('PAL-DC-006')).toEqual([
      ['PAL-DC-006', 14, 'service "app" image "registry.example.com/shop/app:latest" uses :latest'],
      ['PAL-DC-006', 31, 'service "agent" image "portainer/agent" has no tag'],
    ]);
    expect(byRule('PAL-DC-007').map((s) => s.slice(0, 2))).toEqual([
      ['PAL-DC-007', 25],
      ['PAL-DC-007', 38],
    ]);
    expect(byRule('PAL-DC-008')).toEqual([
      ['PAL-DC-008', 41, 'service "agent" mounts /var/run/docker.sock'],
      ['PAL-DC-008', 42, 'service "agent" mounts /run/containerd/containerd.sock'],
    ]);
    expect(byRule('PAL-DC-009')).toEqual([['PAL-DC-009', 16, 'service "app" sets user: root']]);
    expect(byRule('PAL-DC-010')).toEqual([['PAL-DC-010', 17, 'service "app" does not set read_only: true']]);
    expect(findings.some((f) => (f.description ?? '').includes('"web"'))).toBe(false);
  });

  it('tags published ports and host networking as exposure', async () => {
    const findings = await fixtureFindings();
    const tagged = new Set(findings.filter((f) => f.tags?.includes('exposure')).map((f) => f.ruleId));
    expect([...tagged].sort()).toEqual(['PAL-DC-002', 'PAL-DC-005']);
  });

  it('names the variable and never prints a secret value', async () => {
    const findings = await fixtureFindings();
    const secrets = findings.filter((f) => f.ruleId === 'PAL-DC-007');
    expect(secrets.map((f) => (f.description ?? '').split(' holds')[0])).toEqual([
      'service "app" variable AWS_ACCESS_KEY_ID',
      'service "agent" variable GITHUB_TOKEN',
    ]);
    const text = JSON.stringify(findings);
    expect(text).not.toContain('AKIA4HKQ2WZT5NSX7YPB');
    expect(text).not.toContain('ghp_R8x2mQ7vLk4Tz9wNc3Fy6Hb1Jd5Sa0PqEuXg');
  });

  it('reports a missing user on the service line', () => {
    const r = scanText('services:\n  api:\n    image: api:1.2\n    read_only: true\n');
    expect(summary(r?.findings ?? [])).toEqual([
      ['PAL-DC-009', 2, expect.stringMatching(/^service "api" sets no user/)],
    ]);
  });

  it('accepts loopback and specific addresses, digests and interpolated images', () => {
    const text = `services:
  api:
    image: api@sha256:4b2a1f0e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a190f8e7d6c5b4a392
    user: "10001"
    read_only: true
    ports: ["127.0.0.1:80:80", "10.0.0.5:443:443", {target: 53, published: 53, host_ip: "::1"}]
  job:
    image: \${REGISTRY}/job:\${TAG}
    user: app
    read_only: true
`;
    expect(scanText(text)?.findings).toEqual([]);
  });

  it('honours an inline suppression on the offending line', () => {
    const text = `services:
  api:
    image: api:1.0
    user: "1000"
    read_only: true
    privileged: true # palisade:ignore=PAL-DC-001 reason="needs /dev/kvm"
`;
    expect(scanText(text)?.findings.map((f) => [f.ruleId, f.status])).toEqual([['PAL-DC-001', 'suppressed']]);
  });

  it('keeps fingerprints stable when lines move', () => {
    const a = scanText('services:\n  api:\n    image: api\n');
    const b = scanText('# comment\n\nservices:\n  api:\n    image: api\n');
    expect(a?.findings.map((f) => f.id)).toEqual(b?.findings.map((f) => f.id));
  });

  it('never throws on arbitrary service definitions', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), (svc, other) => {
        const text = JSON.stringify({ services: { s: svc, t: other } });
        const r = scanText(text);
        expect(r?.type).toBe('docker-compose');
      }),
      { numRuns: 300 },
    );
  });
});

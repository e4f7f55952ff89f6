import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { loadPolicyModel } from '../model/load.js';
import { evaluate } from './evaluate.js';
import { parseFlowSpec, renderDecision } from './flow-spec.js';

const model = loadPolicyModel([
  { path: 'shop.yaml', text: readFileSync(path.join(import.meta.dirname, '../../test/fixtures/shop.yaml'), 'utf8') },
]);

describe('parseFlowSpec', () => {
  it('resolves names, namespace/name and IPs, with port and protocol', () => {
    expect(parseFlowSpec(model, 'frontend', 'shop/api:8080/tcp')).toMatchObject({
      src: '10.10.1.2',
      dst: '10.10.2.2',
      protocol: 6,
      dstPort: 8080,
    });
    expect(parseFlowSpec(model, '198.51.100.1', '10.10.3.2:53/udp')).toMatchObject({ protocol: 17, dstPort: 53 });
    expect(parseFlowSpec(model, 'frontend', 'db/icmp')).toMatchObject({ protocol: 1, icmpType: 8 });
    expect(parseFlowSpec(model, 'frontend', '2001:db8::1/tcp')).toMatchObject({ dst: '2001:db8::1', protocol: 6 });
    expect(parseFlowSpec(model, 'frontend', '[2001:db8::1]:443/tcp')).toMatchObject({
      dst: '2001:db8::1',
      dstPort: 443,
    });
  });
  it('rejects unknown endpoints and protocols with a usage error', () => {
    expect(() => parseFlowSpec(model, 'nope', 'api:80')).toThrow(UsageError);
    expect(() => parseFlowSpec(model, 'frontend', 'api:80/gre2')).toThrow(/unknown protocol/);
    expect(() => parseFlowSpec(model, 'frontend', 'api:99999')).toThrow(/out of range/);
  });
  it('renders the verdict and each trace step', () => {
    const flow = parseFlowSpec(model, 'frontend', 'api:9000/tcp');
    const text = renderDecision(flow, evaluate(flow, model));
    expect(text.split('\n')[0]).toBe('10.10.1.2 -> 10.10.2.2:9000 proto 6: DENY');
    expect(text).toContain('tier-default-deny [tier default]');
  });
});

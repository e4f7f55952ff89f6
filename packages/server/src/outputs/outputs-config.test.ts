import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_SIZE, DEFAULT_RETRY, parseOutputsConfig } from './outputs-config.js';

const FULL = `
outputs:
  - name: soc-webhook
    type: webhook
    url: https://soc.example.com/palisade
    secret: \${HOOK_SECRET}
    minPriority: Warning
    customFields: { env: prod, tier: 1 }
    retry: { attempts: 8, initialDelayMs: 250 }
  - { name: chat, type: slack, url: "https://hooks.slack.com/services/T/B/X" }
  - { name: es, type: elasticsearch, url: "http://es:9200", index: "palisade-%Y.%m.%d", apiKey: k, batchSize: 200 }
  - { name: siem, type: syslog, host: siem.local, protocol: tcp, port: 6514, facility: local4, queueSize: 50 }
`;

describe('parseOutputsConfig', () => {
  it('builds every output type with its settings and defaults', () => {
    const outs = parseOutputsConfig(FULL, 'outputs.yaml', { HOOK_SECRET: 's3cret-s3cret-s3cret' });
    expect(outs.map((o) => [o.output.name, o.output.type, o.output.batchSize])).toEqual([
      ['soc-webhook', 'webhook', 1],
      ['chat', 'slack', 1],
      ['es', 'elasticsearch', 200],
      ['siem', 'syslog', 100],
    ]);
    expect(outs[0]).toMatchObject({
      minPriority: 'Warning',
      customFields: { env: 'prod', tier: 1 },
      retry: { attempts: 8, initialDelayMs: 250, maxDelayMs: DEFAULT_RETRY.maxDelayMs },
      queueSize: DEFAULT_QUEUE_SIZE,
    });
    expect(outs[1]).toMatchObject({ minPriority: 'Debug', customFields: {}, retry: DEFAULT_RETRY });
    expect(outs[3]?.queueSize).toBe(50);
  });

  it('treats an empty file or one without outputs as no outputs', () => {
    expect(parseOutputsConfig('', 'o.yaml')).toEqual([]);
    expect(parseOutputsConfig('outputs:\n', 'o.yaml')).toEqual([]);
  });

  it('names the file, the entry and the problem', () => {
    expect(() => parseOutputsConfig(FULL, 'outputs.yaml', {})).toThrow(
      'outputs config outputs.yaml: outputs[0].secret: environment variable HOOK_SECRET is not set',
    );
    expect(() => parseOutputsConfig('outputs: [{ name: x, type: pager }]', 'o.yaml')).toThrow(
      /outputs\[0\] \(x\): unknown type "pager"; known: webhook, slack/,
    );
    expect(() => parseOutputsConfig('outputs: [{ name: x, type: slack, url: ftp://a }]', 'o.yaml')).toThrow(
      /o\.yaml: outputs\[0\] \(x\): \/url: /,
    );
    expect(() =>
      parseOutputsConfig('outputs: [{ name: x, type: slack, url: "http://a", minPriority: High }]', 'o.yaml'),
    ).toThrow(/\/minPriority/);
    expect(() => parseOutputsConfig('outputs: [{ name: x, type: slack, url: "http://a", urll: 1 }]', 'o.yaml')).toThrow(
      /outputs\[0\] \(x\)/,
    );
    expect(() =>
      parseOutputsConfig(
        'outputs: [{ name: x, type: slack, url: "http://a" }, { name: x, type: slack, url: "http://b" }]',
        'o.yaml',
      ),
    ).toThrow('output name "x" is used twice');
    expect(() => parseOutputsConfig('outputs: {a: 1}', 'o.yaml')).toThrow('"outputs" must be a list');
    expect(() => parseOutputsConfig('outputs: [\n', 'o.yaml')).toThrow(/o\.yaml: not valid YAML/);
    expect(() =>
      parseOutputsConfig('outputs: [{ name: e, type: elasticsearch, url: "http://a", index: Alerts }]', 'o.yaml'),
    ).toThrow(/\/index/);
  });

  it('either returns outputs or throws InputError, for any document', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify({ outputs: v })),
          fc
            .record({
              name: fc.oneof(fc.string(), fc.constant('ok')),
              type: fc.constantFrom('webhook', 'slack', 'elasticsearch', 'syslog', 'x'),
              url: fc.oneof(fc.webUrl(), fc.string()),
              host: fc.string(),
              port: fc.oneof(fc.integer(), fc.string()),
              minPriority: fc.constantFrom('Warning', 'warning', 'Debug'),
            })
            .map((o) => JSON.stringify({ outputs: [o] })),
        ),
        (text) => {
          try {
            for (const o of parseOutputsConfig(text, 'fuzz.yaml', {})) expect(typeof o.output.send).toBe('function');
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

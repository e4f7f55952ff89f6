// The registry of output types: each type's config schema (TypeBox) and how to build the output
// from a validated config. A new destination is one new module plus one line here.

import { RULE_PRIORITIES } from '@palisade/core';
import { type Static, type TObject, type TProperties, Type } from '@sinclair/typebox';
import { elasticsearchOutput } from './elasticsearch-output.js';
import { natsOutput } from './nats-output.js';
import type { Output } from './output.js';
import { slackOutput } from './slack-output.js';
import { FACILITIES, syslogOutput } from './syslog-output.js';
import { webhookOutput } from './webhook-output.js';

const HttpUrl = Type.String({ pattern: '^https?://', description: 'http:// or https:// URL' });

/** Fields every output takes. */
export const CommonOutputFields = {
  name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
  type: Type.String(),
  minPriority: Type.Optional(Type.Union(RULE_PRIORITIES.map((p) => Type.Literal(p)))),
  customFields: Type.Optional(
    Type.Record(
      Type.String({ minLength: 1, maxLength: 64 }),
      Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
    ),
  ),
  retry: Type.Optional(
    Type.Object(
      {
        attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        initialDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
        maxDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
  ),
  queueSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
};

function outputSchema<P extends TProperties>(props: P) {
  return Type.Object({ ...CommonOutputFields, ...props }, { additionalProperties: false });
}

const WebhookConfig = outputSchema({
  url: HttpUrl,
  secret: Type.Optional(Type.String({ minLength: 16, description: 'HMAC-SHA256 key, at least 16 characters' })),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
});
const SlackConfig = outputSchema({ url: HttpUrl });
const ElasticsearchConfig = outputSchema({
  url: HttpUrl,
  // Lower case as Elasticsearch requires, plus the %Y %m %d %H date placeholders.
  index: Type.Optional(Type.String({ pattern: '^(?:[a-z0-9]|%[YmdH])(?:[a-z0-9._+-]|%[YmdH%])*$' })),
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  apiKey: Type.Optional(Type.String({ minLength: 1 })),
  batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});
const SyslogConfig = outputSchema({
  host: Type.String({ minLength: 1 }),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  protocol: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')])),
  facility: Type.Optional(Type.Union(Object.keys(FACILITIES).map((f) => Type.Literal(f)))),
  appName: Type.Optional(Type.String({ minLength: 1, maxLength: 48 })),
  maxMessageBytes: Type.Optional(Type.Integer({ minimum: 480, maximum: 1_048_576 })),
});
const NatsConfig = outputSchema({
  url: Type.String({
    pattern: '^(nats|tls)://',
    description: 'nats:// or tls:// URL (credentials as in docs/server.md)',
  }),
  subject: Type.String({
    minLength: 1,
    pattern: '^[^\\s.*>]+(\\.[^\\s.*>]+)*$',
    description: 'subject; {priority} and {tenant} are replaced, e.g. falco.{priority}',
  }),
  jetstream: Type.Optional(Type.Boolean({ description: 'publish through JetStream and wait for its acknowledgement' })),
  token: Type.Optional(Type.String({ minLength: 1 })),
  user: Type.Optional(Type.String({ minLength: 1 })),
  pass: Type.Optional(Type.String({ minLength: 1 })),
  credsFile: Type.Optional(Type.String({ minLength: 1 })),
});

interface OutputType<S extends TObject> {
  schema: S;
  build(config: Static<S>): Output;
}

function outputType<S extends TObject>(schema: S, build: (config: Static<S>) => Output): OutputType<TObject> {
  return { schema, build: build as (config: Static<TObject>) => Output };
}

export const OUTPUT_TYPES = new Map<string, OutputType<TObject>>([
  ['webhook', outputType(WebhookConfig, (c) => webhookOutput({ ...c }))],
  ['slack', outputType(SlackConfig, (c) => slackOutput({ ...c }))],
  ['elasticsearch', outputType(ElasticsearchConfig, (c) => elasticsearchOutput({ ...c }))],
  // OpenSearch speaks the same bulk API.
  ['opensearch', outputType(ElasticsearchConfig, (c) => elasticsearchOutput({ ...c }))],
  [
    'syslog',
    outputType(SyslogConfig, (c) => syslogOutput({ ...c, port: c.port ?? 514, protocol: c.protocol ?? 'udp' })),
  ],
  ['nats', outputType(NatsConfig, (c) => natsOutput({ ...c }))],
]);

// Reads the outputs configuration (YAML): `outputs:` is a list of destinations, each validated
// against its type's schema; `${VAR}` in a string takes the environment variable (for secrets).

import { readFileSync } from 'node:fs';
import { errorMessage, InputError, type RulePriority } from '@palisade/core';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import type { Output } from './output.js';
import type { RetryPolicy } from './output-queue.js';
import { CommonOutputFields, OUTPUT_TYPES } from './output-types.js';

export interface ConfiguredOutput {
  output: Output;
  minPriority: RulePriority;
  customFields: Record<string, unknown>;
  retry: RetryPolicy;
  queueSize: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 500, maxDelayMs: 30_000 };
export const DEFAULT_QUEUE_SIZE = 10_000;

const CommonShape = Type.Object({ name: CommonOutputFields.name, type: CommonOutputFields.type });

/** Replaces ${NAME} in every string with the environment variable; an unset one is an error. */
function expandEnv(value: unknown, where: string, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) throw new InputError(`${where}: environment variable ${name} is not set`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, `${where}[${i}]`, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, `${where}.${k}`, env)]));
  }
  return value;
}

function firstError(schema: Parameters<typeof Value.Errors>[0], value: unknown): string {
  const e = Value.Errors(schema, value).First();
  return e ? `: ${e.path || '/'}: ${e.message}` : ': invalid';
}

/** Parses the YAML text of an outputs file; `file` names it in errors. */
export function parseOutputsConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): ConfiguredOutput[] {
  let doc: unknown;
  try {
    // Warnings (unknown tags, directives) are not printed to the server's stderr.
    doc = parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    throw new InputError(`outputs config ${file}: not valid YAML: ${errorMessage(err)}`);
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InputError(`outputs config ${file}: expected a mapping with an "outputs" list`);
  }
  const list = (doc as { outputs?: unknown }).outputs;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new InputError(`outputs config ${file}: "outputs" must be a list`);
  const names = new Set<string>();
  return list.map((raw, i) => {
    const where = `outputs config ${file}: outputs[${i}]`;
    const entry = expandEnv(raw, where, env);
    if (!Value.Check(CommonShape, entry)) throw new InputError(`${where}${firstError(CommonShape, entry)}`);
    const kind = OUTPUT_TYPES.get(entry.type);
    if (!kind) {
      throw new InputError(
        `${where} (${entry.name}): unknown type "${entry.type}"; known: ${[...OUTPUT_TYPES.keys()].join(', ')}`,
      );
    }
    const name = entry.name;
    if (!Value.Check(kind.schema, entry)) throw new InputError(`${where} (${name})${firstError(kind.schema, entry)}`);
    if (names.has(entry.name)) throw new InputError(`${where}: output name "${entry.name}" is used twice`);
    names.add(entry.name);
    const c = entry as {
      minPriority?: RulePriority;
      customFields?: Record<string, unknown>;
      retry?: Partial<RetryPolicy>;
      queueSize?: number;
    };
    return {
      output: kind.build(entry),
      minPriority: c.minPriority ?? 'Debug',
      customFields: c.customFields ?? {},
      retry: { ...DEFAULT_RETRY, ...c.retry },
      queueSize: c.queueSize ?? DEFAULT_QUEUE_SIZE,
    };
  });
}

export function loadOutputsConfig(file: string): ConfiguredOutput[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read outputs config ${file}: ${errorMessage(err)}`);
  }
  return parseOutputsConfig(text, file);
}

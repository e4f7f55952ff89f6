// Reads recorded RuntimeEvents from NDJSON (one event per line), for replays, fixtures and
// benchmarks. Checks the shape the rule engine relies on and names file and line on bad input.

import { InputError, type RuntimeEvent } from '@palisade/core';

function fail(source: string, line: number, problem: string): never {
  throw new InputError(`${source}:${line}: ${problem}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates one parsed value as a RuntimeEvent; throws InputError naming source and line. */
export function toRuntimeEvent(value: unknown, source: string, line: number): RuntimeEvent {
  if (!isObj(value)) fail(source, line, 'an event must be a JSON object');
  if (typeof value.ts !== 'number' || !Number.isFinite(value.ts))
    fail(source, line, '"ts" must be a number (ns since epoch)');
  if (typeof value.host !== 'string') fail(source, line, '"host" must be a string');
  if (typeof value.type !== 'string' || value.type === '') fail(source, line, '"type" must be a syscall name');
  const p = value.proc;
  if (!isObj(p)) fail(source, line, '"proc" must be an object');
  for (const k of ['pid', 'ppid', 'uid', 'gid', 'tty'] as const) {
    if (typeof p[k] !== 'number') fail(source, line, `"proc.${k}" must be a number`);
  }
  for (const k of ['exe', 'comm', 'cwd'] as const) {
    if (typeof p[k] !== 'string') fail(source, line, `"proc.${k}" must be a string`);
  }
  if (!Array.isArray(p.args) || p.args.some((a) => typeof a !== 'string')) {
    fail(source, line, '"proc.args" must be an array of strings');
  }
  for (const k of ['parent', 'container', 'k8s', 'fd', 'net', 'params'] as const) {
    if (value[k] !== undefined && !isObj(value[k])) fail(source, line, `"${k}" must be an object`);
  }
  if (value.ancestors !== undefined) {
    if (!Array.isArray(value.ancestors) || value.ancestors.some((a) => !isObj(a) || typeof a.comm !== 'string')) {
      fail(source, line, '"ancestors" must be an array of {pid, comm, …}');
    }
  }
  if (isObj(value.fd) && (typeof value.fd.name !== 'string' || typeof value.fd.type !== 'string')) {
    fail(source, line, '"fd" needs string "name" and "type"');
  }
  if (isObj(value.net)) {
    const n = value.net;
    if (
      typeof n.saddr !== 'string' ||
      typeof n.daddr !== 'string' ||
      typeof n.sport !== 'number' ||
      typeof n.dport !== 'number'
    ) {
      fail(source, line, '"net" needs string saddr/daddr and numeric sport/dport');
    }
  }
  if (isObj(value.container) && (typeof value.container.id !== 'string' || typeof value.container.image !== 'string')) {
    fail(source, line, '"container" needs string "id" and "image"');
  }
  if (isObj(value.k8s) && !isObj(value.k8s.labels)) fail(source, line, '"k8s.labels" must be an object');
  return value as unknown as RuntimeEvent;
}

function parseEventLine(line: string, source: string, lineNo: number): RuntimeEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    fail(source, lineNo, `not JSON: ${(err as Error).message}`);
  }
  return toRuntimeEvent(value, source, lineNo);
}

/** Parses NDJSON text into events; blank lines are skipped. */
export function parseEventLines(text: string, source: string): RuntimeEvent[] {
  const out: RuntimeEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim()) out.push(parseEventLine(l, source, i + 1));
  }
  return out;
}

/** Streams events from chunks of NDJSON (a file or pipe read stream), without holding it all. */
export async function* readEventStream(
  chunks: AsyncIterable<string | Uint8Array>,
  source: string,
): AsyncGenerator<RuntimeEvent> {
  const decoder = new TextDecoder();
  let rest = '';
  let lineNo = 0;
  for await (const chunk of chunks) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      lineNo++;
      const line = text.slice(from, nl);
      from = nl + 1;
      if (line.trim()) yield parseEventLine(line, source, lineNo);
    }
    rest = text.slice(from);
  }
  rest += decoder.decode();
  if (rest.trim()) yield parseEventLine(rest, source, lineNo + 1);
}

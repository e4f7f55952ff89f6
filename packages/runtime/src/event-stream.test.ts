import { Readable } from 'node:stream';
import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEventLines, readEventStream } from './event-stream.js';

const ev = (comm: string) =>
  JSON.stringify({
    ts: 1,
    host: 'h',
    type: 'execve',
    proc: { pid: 1, ppid: 0, uid: 0, gid: 0, exe: comm, comm, args: [], cwd: '/', tty: 0 },
  });

async function collect(chunks: string[], source = 'replay.ndjson') {
  const out = [];
  for await (const e of readEventStream(Readable.from(chunks.map((c) => Buffer.from(c))), source))
    out.push(e.proc.comm);
  return out;
}

describe('event streams', () => {
  it('reads NDJSON split at arbitrary chunk boundaries', async () => {
    const text = `${ev('a')}\n\n${ev('b')}\n${ev('c')}`;
    expect(await collect([text])).toEqual(['a', 'b', 'c']);
    expect(await collect([text.slice(0, 7), text.slice(7, 90), text.slice(90)])).toEqual(['a', 'b', 'c']);
    expect(parseEventLines(`${text}\n`, 'x').map((e) => e.proc.comm)).toEqual(['a', 'b', 'c']);
  });

  it('names file and line for bad input', async () => {
    await expect(collect([`${ev('a')}\n{"ts":1}\n`])).rejects.toThrow(/replay.ndjson:2: "host" must be a string/);
    expect(() => parseEventLines(`${ev('a')}\n\nnot json`, 'f.ndjson')).toThrow(/f.ndjson:3: not JSON/);
    const bad = JSON.parse(ev('a'));
    bad.proc.args = 'x';
    expect(() => parseEventLines(JSON.stringify(bad), 'f')).toThrow(InputError);
    expect(() => parseEventLines(JSON.stringify(bad), 'f')).toThrow('"proc.args" must be an array of strings');
  });

  it('fuzz: any text parses or throws InputError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (s) => {
          try {
            parseEventLines(s, 'fuzz');
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

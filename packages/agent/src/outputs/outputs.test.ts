import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Alert } from '@palisade/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpReceiver } from '../../test/http-receiver.js';
import { waitFor } from '../../test/support.js';
import type { AlertRecord } from './alert-output.js';
import { fileOutput } from './file-output.js';
import { falcosidekickBody, httpOutput } from './http-output.js';
import { stdoutOutput } from './stdout-output.js';

function record(n: number): AlertRecord {
  const alert: Alert = {
    time: `2026-11-27T03:40:00.00000000${n % 10}Z`,
    rule: `Rule ${n}`,
    priority: 'Warning',
    output: `03:40:00.000000000: Warning thing ${n} happened (proc.name=sh)`,
    output_fields: { 'proc.name': 'sh', 'proc.pid': n },
    tags: ['t'],
    hostname: 'node-1',
    source: 'syscall',
  };
  return { id: n.toString(16).padStart(32, '0'), alert };
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-out-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('stdout output', () => {
  it('json: one Falco-shaped alert per line; text: Falco text line', async () => {
    const s = new PassThrough();
    let text = '';
    s.on('data', (c: Buffer) => {
      text += c.toString();
    });
    await stdoutOutput('json', s).write([record(1), record(2)]);
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual(record(1).alert);
    text = '';
    await stdoutOutput('text', s).write([record(3)]);
    expect(text).toBe('03:40:00.000000000: Warning thing 3 happened (proc.name=sh)\n');
  });
});

describe('file output', () => {
  it('appends NDJSON and reopens after rotation', async () => {
    const file = path.join(tmp, 'alerts.ndjson');
    fs.writeFileSync(file, '{"earlier":true}\n');
    const out = fileOutput(file);
    await out.write([record(1)]);
    fs.renameSync(file, `${file}.1`);
    await out.write([record(2)]); // still the rotated file until reopened
    out.reopen?.();
    await out.write([record(3)]);
    await out.close();
    const old = fs.readFileSync(`${file}.1`, 'utf8').trim().split('\n');
    expect(old.map((l) => JSON.parse(l).rule ?? 'earlier')).toEqual(['earlier', 'Rule 1', 'Rule 2']);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).rule).toBe('Rule 3');
  });

  it('names the file when it cannot be opened', () => {
    expect(() => fileOutput(path.join(tmp, 'no', 'such', 'dir', 'a.ndjson'))).toThrow(
      /cannot open alert output file .*a\.ndjson/,
    );
  });
});

describe('HTTP output', () => {
  let rx: HttpReceiver;
  beforeEach(() => {
    rx = new HttpReceiver();
  });
  afterEach(() => rx.stop());

  it('posts one falcosidekick payload per alert', async () => {
    const url = await rx.start();
    const out = httpOutput({ url: `${url}/` });
    out.write([record(1), record(2)]);
    await out.close();
    expect(rx.requests).toHaveLength(2);
    expect(rx.requests[0]!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(rx.requests[0]!.body);
    expect(body).toMatchObject({ ...record(1).alert, uuid: '00000000-0000-0000-0000-000000000001' });
    expect(falcosidekickBody(record(2))).toBe(rx.requests[1]!.body);
  });

  it('batches as NDJSON and retries on a 5xx', async () => {
    const url = await rx.start();
    rx.mode = 503;
    const out = httpOutput({ url, mode: 'ndjson', batchSize: 10, retryDelayMs: 20, attempts: 50 });
    out.write([record(1), record(2), record(3)]);
    await new Promise((r) => setTimeout(r, 100));
    rx.mode = 200;
    await out.close();
    expect(rx.requests).toHaveLength(1);
    expect(rx.lines().map((l) => l.rule)).toEqual(['Rule 1', 'Rule 2', 'Rule 3']);
    expect(out.stats?.()).toMatchObject({ httpAlertsSent: 3, httpAlertsDropped: 0 });
  });

  it('drops and counts after the last attempt, without blocking the caller', async () => {
    const url = await rx.start();
    rx.mode = 'drop';
    const out = httpOutput({ url, attempts: 2, retryDelayMs: 10 });
    out.write([record(1)]);
    await waitFor(() => (out.stats?.().httpAlertsDropped ?? 0) === 1, 'the alert to be dropped');
    await out.close();
    expect(rx.requests).toHaveLength(0);
  });
});

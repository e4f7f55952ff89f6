// The supervisor against misbehaving sensor processes (small Python stand-ins that speak the
// protocol, then break it): stream errors and crashes lead to restarts, then to giving up.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SensorError, type SensorHealth, startSensor } from './start-sensor.js';

const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;
let dir: string;

// A HELLO record (protocol 1) as the loader writes it, then whatever `tail` adds.
function fakeSensor(name: string, tail: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `#!/usr/bin/env python3
import os, struct, sys, time
hdr = struct.pack('<HHIQIIIIIIQq16s', 100, 96, 0, 1, os.getpid(), os.getpid(), 0, 0, 0, 0, 0, 0, b'fake')
sys.stdout.buffer.write(hdr + struct.pack('<qIIII', 0, 1, 2, os.getpid(), 0))
sys.stdout.buffer.flush()
${tail}
`,
  );
  fs.chmodSync(file, 0o755);
  return file;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-fake-sensor-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.runIf(hasPython)('startSensor supervision', () => {
  it('restarts after a corrupt record and gives up after maxRestarts', async () => {
    const bin = fakeSensor(
      'corrupt',
      "sys.stdout.buffer.write(b'\\x01\\x00\\x05\\x00' + b'\\x00' * 100)\nsys.stdout.buffer.flush()\ntime.sleep(30)",
    );
    const health: SensorHealth[] = [];
    let gaveUp: () => void = () => {};
    const done = new Promise<void>((r) => {
      gaveUp = r;
    });
    const sensor = startSensor({
      binaryPath: bin,
      maxRestarts: 2,
      restartDelayMs: 1,
      onHealth: (h) => {
        health.push(h);
        if (h.status === 'gave-up') gaveUp();
      },
    });
    await sensor.ready;
    await done;
    expect(health.map((h) => h.status)).toEqual([
      'started',
      'stream-error',
      'died',
      'restarted',
      'stream-error',
      'died',
      'restarted',
      'stream-error',
      'died',
      'gave-up',
    ]);
    expect(health[1]?.message).toMatch(/claims length 5/);
    expect(sensor.stats()).toMatchObject({ restarts: 2, running: false });
    await sensor.stop();
  });

  it('reports the exit code of a sensor that crashes after starting', async () => {
    const bin = fakeSensor('crash', "sys.stderr.write('palisade-sensor: boom\\n')\nsys.exit(7)");
    const health: SensorHealth[] = [];
    let died: () => void = () => {};
    const diedP = new Promise<void>((r) => {
      died = r;
    });
    const sensor = startSensor({
      binaryPath: bin,
      restart: false,
      onHealth: (h) => {
        health.push(h);
        if (h.status === 'gave-up') died();
      },
    });
    await sensor.ready;
    await diedP;
    const d = health.find((h) => h.status === 'died');
    expect(d).toMatchObject({ exitCode: 7, message: 'palisade-sensor exited with code 7: palisade-sensor: boom' });
    await sensor.stop();
  });

  it('turns dropped-event counters into a drops health event and totals', async () => {
    // STATS: polls, bytes, 2 CPUs, then (events, drops) per CPU.
    const stats = (drops0: number, drops1: number) =>
      `sys.stdout.buffer.write(struct.pack('<HHIQIIIIIIQq16s', 101, 128, 0, 2, 1, 1, 0, 0, 0, 0, 0, 0, b'fake') + struct.pack('<QQII', 1, 1, 2, 0) + struct.pack('<QQQQ', 100, ${drops0}, 50, ${drops1}))`;
    const bin = fakeSensor(
      'drops',
      [stats(0, 0), stats(3, 4), 'sys.stdout.buffer.flush()', 'sys.stdin.read()'].join('\n'),
    );
    const health: SensorHealth[] = [];
    let dropped: () => void = () => {};
    const droppedP = new Promise<void>((r) => {
      dropped = r;
    });
    const sensor = startSensor({
      binaryPath: bin,
      onHealth: (h) => {
        health.push(h);
        if (h.status === 'drops') dropped();
      },
    });
    await sensor.ready;
    await droppedP;
    expect(health.find((h) => h.status === 'drops')).toMatchObject({ drops: 7 });
    expect(sensor.stats()).toMatchObject({ kernelDrops: 7, kernelEvents: 150, dropsPerCpu: [3, 4] });
    await sensor.stop();
  });

  it('rejects ready when the process never says hello', async () => {
    const file = path.join(dir, 'silent');
    fs.writeFileSync(file, "#!/bin/sh\necho 'palisade-sensor: cannot load the BPF programs: nope' >&2\nexit 4\n");
    fs.chmodSync(file, 0o755);
    const sensor = startSensor({ binaryPath: file });
    await expect(sensor.ready).rejects.toBeInstanceOf(SensorError);
    await expect(sensor.ready).rejects.toMatchObject({
      exitCode: 4,
      message: 'palisade-sensor: cannot load the BPF programs: nope',
    });
  });
});

// Runs palisade-sensor as a child process: decodes its stream into RuntimeEvents, pushes ignore
// lists over stdin, keeps counters, and restarts it (with a health event) when it dies.

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PalisadeError, type RuntimeEvent } from '@palisade/core';
import { type SensorHello, type SensorStatsRecord, SensorStreamDecoder } from './decode-records.js';
import { PROTOCOL_VERSION } from './record-layout.js';

/** The sensor could not start: no BTF, bpf() refused, binary missing, or a protocol mismatch. */
export class SensorError extends PalisadeError {
  override name = 'SensorError';
  constructor(
    message: string,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

export type SensorHealthStatus = 'started' | 'died' | 'restarted' | 'gave-up' | 'drops' | 'stream-error';

export interface SensorHealth {
  /** Nanoseconds since the Unix epoch. */
  ts: number;
  status: SensorHealthStatus;
  message: string;
  exitCode?: number | null;
  signal?: string | null;
  /** For 'drops': events lost since the previous stats record. */
  drops?: number;
}

export interface SensorStats {
  /** Records the kernel put on the ring buffer and records it could not (ring full), summed. */
  kernelEvents: number;
  kernelDrops: number;
  dropsPerCpu: number[];
  /** Events decoded by this process since start (across restarts). */
  decodedEvents: number;
  restarts: number;
  running: boolean;
  sensorPid?: number;
  /** The loader's last stats record, as sent. */
  last?: SensorStatsRecord;
}

export interface SensorOptions {
  /** Defaults to native/build/palisade-sensor in this package (built by `npm run build -w @palisade/sensor`). */
  binaryPath?: string;
  /** Task command names (comm, 15 chars) whose events the kernel drops. */
  ignoreComms?: string[];
  /** Path prefixes (first 64 bytes compared) whose file events the kernel drops. */
  ignorePrefixes?: string[];
  /** Ring buffer size in MiB, a power of two (default 16). */
  ringMb?: number;
  /** Longest wait before the loader drains the ring (default 10 ms); the kernel wakes it earlier when filling. */
  pollMs?: number;
  /** Interval of the loader's stats records (default 1000 ms). */
  statsMs?: number;
  /** Kernel type information for CO-RE when the kernel has no /sys/kernel/btf/vmlinux (e.g. from BTFHub). */
  btfPath?: string;
  /** Exec/fork/exit only, no syscall events. */
  noSyscalls?: boolean;
  /** Restart after the sensor dies (default true), at most maxRestarts times (default 10). */
  restart?: boolean;
  maxRestarts?: number;
  /** Delay before a restart (default 200 ms). */
  restartDelayMs?: number;
  host?: string;
  /** Hot path: called synchronously per event. Without it, use handle.events(). */
  onEvent?: (ev: RuntimeEvent) => void;
  onHealth?: (health: SensorHealth) => void;
  onStats?: (stats: SensorStats) => void;
}

export interface SensorHandle {
  /** Resolves when the first sensor process has attached its programs; rejects with SensorError. */
  readonly ready: Promise<void>;
  /** Events as an async iterator (only when no onEvent was given); ends after stop(). */
  events(): AsyncIterableIterator<RuntimeEvent>;
  stats(): SensorStats;
  /** Asks the loader for a stats record now and resolves with it. */
  requestStats(): Promise<SensorStats>;
  /** Replaces the ignore lists; resolves once the kernel filter is in place. */
  setIgnoreComms(names: string[]): Promise<void>;
  setIgnorePrefixes(prefixes: string[]): Promise<void>;
  /** pid of the current sensor process. */
  pid(): number | undefined;
  stop(): Promise<void>;
}

export function sensorBinaryPath(): string {
  return fileURLToPath(new URL('../native/build/palisade-sensor', import.meta.url));
}

type SensorChild = ChildProcessByStdio<Writable, Readable, Readable>;

const STDERR_KEEP = 4096;

export function startSensor(opts: SensorOptions = {}): SensorHandle {
  return new SensorRunner(opts).handle;
}

class SensorRunner {
  readonly handle: SensorHandle;
  private child: SensorChild | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private restarts = 0;
  private decoded = 0;
  private kernelEvents = 0;
  private kernelDrops = 0;
  private dropsPerCpu: number[] = [];
  private lastStats: SensorStatsRecord | undefined;
  private sensorPid: number | undefined;
  private ignoreComms: Set<string>;
  private ignorePrefixes: Set<string>;
  private sentLines = 0;
  private acksWaiting: { seq: number; resolve: () => void }[] = [];
  private statsWaiting: ((s: SensorStats) => void)[] = [];
  private queue: RuntimeEvent[] = [];
  private queueWaiter: ((r: IteratorResult<RuntimeEvent>) => void) | undefined;
  private readyResolve!: () => void;
  private readyReject!: (e: Error) => void;
  private everReady = false;
  private readonly host: string;
  private readonly bin: string;

  constructor(private readonly opts: SensorOptions) {
    this.host = opts.host ?? os.hostname();
    this.bin = opts.binaryPath ?? sensorBinaryPath();
    this.ignoreComms = new Set(opts.ignoreComms ?? []);
    this.ignorePrefixes = new Set(opts.ignorePrefixes ?? []);
    const ready = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    // Callers that never await ready must not crash the process with an unhandled rejection.
    ready.catch(() => {});
    this.handle = {
      ready,
      events: () => this.iterate(),
      stats: () => this.snapshot(),
      requestStats: () => this.requestStats(),
      setIgnoreComms: (names) => this.replaceSet(this.ignoreComms, names, 'comm'),
      setIgnorePrefixes: (prefixes) => this.replaceSet(this.ignorePrefixes, prefixes, 'prefix'),
      pid: () => this.child?.pid,
      stop: () => this.stop(),
    };
    if (!existsSync(this.bin)) {
      this.readyReject(
        new SensorError(`palisade-sensor binary not found at ${this.bin}: run npm run build -w @palisade/sensor`),
      );
      this.stopping = true;
      return;
    }
    this.spawnSensor();
  }

  private args(): string[] {
    const o = this.opts;
    const args: string[] = [];
    for (const c of this.ignoreComms) args.push('--ignore-comm', c);
    for (const p of this.ignorePrefixes) args.push('--ignore-prefix', p);
    if (o.ringMb !== undefined) args.push('--ring-mb', String(o.ringMb));
    if (o.pollMs !== undefined) args.push('--poll-ms', String(o.pollMs));
    if (o.statsMs !== undefined) args.push('--stats-ms', String(o.statsMs));
    if (o.noSyscalls) args.push('--no-syscalls');
    if (o.btfPath !== undefined) args.push('--btf', o.btfPath);
    return args;
  }

  private spawnSensor(): void {
    const child: SensorChild = spawn(this.bin, this.args(), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.sentLines = 0;
    let stderr = '';
    let helloSeen = false;
    const decoder = new SensorStreamDecoder(
      {
        event: (ev) => this.deliver(ev),
        hello: (h) => {
          helloSeen = true;
          this.onHello(h, child);
        },
        stats: (s) => this.onStats(s),
        ack: (seq) => this.onAck(seq),
      },
      this.host,
    );
    let broken = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (broken) return;
      try {
        decoder.push(chunk);
      } catch (err) {
        // A corrupt stream cannot be resynchronised: restart the sensor from a clean pipe.
        broken = true;
        this.health('stream-error', err instanceof Error ? err.message : String(err));
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_KEEP);
    });
    // EPIPE on stdin after the child died is reported through 'exit'.
    child.stdin.on('error', () => {});
    child.on('error', (err) => {
      if (!this.everReady) this.readyReject(new SensorError(`cannot run ${this.bin}: ${err.message}`));
    });
    child.on('close', (code, signal) => this.onExit(child, code, signal, stderr.trim(), helloSeen));
  }

  private onHello(h: SensorHello, child: SensorChild): void {
    if (h.version !== PROTOCOL_VERSION) {
      this.readyReject(new SensorError(`palisade-sensor speaks protocol ${h.version}, expected ${PROTOCOL_VERSION}`));
      this.stopping = true;
      child.kill('SIGKILL');
      return;
    }
    this.sensorPid = h.sensorPid;
    if (this.everReady) {
      this.health('restarted', `palisade-sensor restarted (pid ${h.sensorPid}, restart ${this.restarts})`);
    } else {
      this.everReady = true;
      this.health('started', `palisade-sensor started (pid ${h.sensorPid}, ${h.ncpu} CPUs)`);
      this.readyResolve();
    }
  }

  private onExit(
    child: SensorChild,
    code: number | null,
    signal: NodeJS.Signals | null,
    stderr: string,
    helloSeen: boolean,
  ): void {
    if (this.child === child) this.child = undefined;
    // The new process gets the current lists as flags, so nothing waiting needs the old one.
    for (const w of this.acksWaiting) w.resolve();
    this.acksWaiting = [];
    if (this.stopping) return;
    const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
    const message = `palisade-sensor ${why}${stderr ? `: ${stderr.split('\n').pop()}` : ''}`;
    if (!helloSeen && !this.everReady) {
      // It never attached: missing BTF, EPERM, a verifier rejection. Retrying cannot help.
      this.stopping = true;
      this.readyReject(new SensorError(stderr || message, code ?? undefined));
      this.endIterator();
      return;
    }
    this.health('died', message, { exitCode: code, signal });
    const max = this.opts.maxRestarts ?? 10;
    if (this.opts.restart === false || this.restarts >= max) {
      this.health('gave-up', `palisade-sensor not restarted after ${this.restarts} restarts`);
      this.stopping = true;
      this.endIterator();
      return;
    }
    this.restarts++;
    setTimeout(() => {
      if (!this.stopping) this.spawnSensor();
    }, this.opts.restartDelayMs ?? 200);
  }

  private deliver(ev: RuntimeEvent): void {
    this.decoded++;
    if (this.opts.onEvent) {
      this.opts.onEvent(ev);
      return;
    }
    const w = this.queueWaiter;
    if (w) {
      this.queueWaiter = undefined;
      w({ value: ev, done: false });
    } else {
      this.queue.push(ev);
    }
  }

  private onStats(s: SensorStatsRecord): void {
    const dropsBefore = this.lastStats?.drops ?? 0;
    // Kernel counters restart with each sensor process; the totals here carry across restarts.
    const sameProcess = this.lastStats !== undefined && s.events >= this.lastStats.events && s.drops >= dropsBefore;
    const prevEvents = sameProcess ? (this.lastStats?.events ?? 0) : 0;
    const prevDrops = sameProcess ? dropsBefore : 0;
    this.kernelEvents += s.events - prevEvents;
    this.kernelDrops += s.drops - prevDrops;
    this.dropsPerCpu = s.dropsPerCpu;
    this.lastStats = s;
    if (s.drops > prevDrops) {
      this.health('drops', `palisade-sensor dropped ${s.drops - prevDrops} events (ring buffer full)`, {
        drops: s.drops - prevDrops,
      });
    }
    const snap = this.snapshot();
    this.opts.onStats?.(snap);
    const waiting = this.statsWaiting;
    this.statsWaiting = [];
    for (const w of waiting) w(snap);
  }

  private onAck(seq: number): void {
    const done = this.acksWaiting.filter((w) => w.seq <= seq);
    this.acksWaiting = this.acksWaiting.filter((w) => w.seq > seq);
    for (const w of done) w.resolve();
  }

  private sendLines(lines: string[]): Promise<void> {
    const child = this.child;
    if (!child || lines.length === 0) return Promise.resolve();
    this.sentLines += lines.length;
    const seq = this.sentLines;
    return new Promise((resolve) => {
      this.acksWaiting.push({ seq, resolve });
      child.stdin.write(`${lines.join('\n')}\n`);
    });
  }

  private replaceSet(set: Set<string>, values: string[], kind: 'comm' | 'prefix'): Promise<void> {
    const next = new Set(values.filter((v) => v.length > 0 && !v.includes('\n')));
    const lines: string[] = [];
    for (const v of set) if (!next.has(v)) lines.push(`unignore-${kind} ${v}`);
    for (const v of next) if (!set.has(v)) lines.push(`ignore-${kind} ${v}`);
    set.clear();
    for (const v of next) set.add(v);
    return this.sendLines(lines);
  }

  private requestStats(): Promise<SensorStats> {
    if (!this.child) return Promise.resolve(this.snapshot());
    return new Promise((resolve) => {
      this.statsWaiting.push(resolve);
      void this.sendLines(['stats']);
    });
  }

  private snapshot(): SensorStats {
    const s: SensorStats = {
      kernelEvents: this.kernelEvents,
      kernelDrops: this.kernelDrops,
      dropsPerCpu: this.dropsPerCpu,
      decodedEvents: this.decoded,
      restarts: this.restarts,
      running: this.child !== undefined,
    };
    if (this.sensorPid !== undefined) s.sensorPid = this.sensorPid;
    if (this.lastStats) s.last = this.lastStats;
    return s;
  }

  private health(status: SensorHealthStatus, message: string, extra: Partial<SensorHealth> = {}): void {
    this.opts.onHealth?.({ ts: Date.now() * 1e6, status, message, ...extra });
  }

  private iterate(): AsyncIterableIterator<RuntimeEvent> {
    const it: AsyncIterableIterator<RuntimeEvent> = {
      next: () => {
        const ev = this.queue.shift();
        if (ev) return Promise.resolve({ value: ev, done: false });
        if (this.stopping && !this.child) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.queueWaiter = resolve;
        });
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  private endIterator(): void {
    const w = this.queueWaiter;
    this.queueWaiter = undefined;
    w?.({ value: undefined, done: true });
  }

  private stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopping = true;
    const child = this.child;
    this.stopped = new Promise<void>((resolve) => {
      if (!child) {
        resolve();
        return;
      }
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('close', () => {
        clearTimeout(killTimer);
        resolve();
      });
      // Closing stdin is the loader's signal to drain, print final stats and exit.
      child.stdin.end();
    }).then(() => {
      this.child = undefined;
      for (const w of this.statsWaiting) w(this.snapshot());
      this.statsWaiting = [];
      this.endIterator();
    });
    return this.stopped;
  }
}

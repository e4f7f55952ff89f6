// Docker's event stream: the splitter and parser on arbitrary input, and for real against podman's
// Docker-compatible API socket (root, podman with runc): container events arrive as they happen,
// and the endpoint watch, following docker alone, reports a container's start and removal long
// before its 60 s resync would.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBusyboxImage, podman, removeQuietly, runSleeper, until } from '../../../../test-support/podman-lab.js';
import type { Endpoint } from '../model/types.js';
import {
  type DockerEvent,
  followDockerEvents,
  isDockerChurn,
  JsonObjectSplitter,
  parseDockerEvent,
} from './docker-events.js';
import { type EndpointChange, watchEndpoints } from './watch.js';

describe('docker event stream parsing', () => {
  it('splits concatenated objects however the transport cuts them', () => {
    const events = [
      { Type: 'container', Action: 'start', Actor: { ID: 'a1', Attributes: { name: 'x}{"' } } },
      { status: 'die', id: 'b2' },
      { Type: 'network', Action: 'connect', Actor: { ID: 'n1' } },
    ];
    const stream = `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
    for (const size of [1, 3, 7, stream.length]) {
      const splitter = new JsonObjectSplitter();
      const got: string[] = [];
      for (let i = 0; i < stream.length; i += size) got.push(...splitter.push(stream.slice(i, i + size)));
      expect(got.map((t) => JSON.parse(t))).toEqual(events);
      expect(got.map(parseDockerEvent)).toEqual([
        { id: 'a1', action: 'start' },
        { id: 'b2', action: 'die' },
        undefined,
      ]);
    }
  });

  it('tells churn from other container events', () => {
    expect(isDockerChurn({ id: 'a', action: 'destroy' })).toBe(true);
    expect(isDockerChurn({ id: 'a', action: 'exec_start: sh -c ls' })).toBe(false);
    expect(parseDockerEvent('{"Type":"container","Action":"","Actor":{}}')).toBeUndefined();
    expect(parseDockerEvent('[1]')).toBeUndefined();
  });

  it('finds every object of any JSON stream, whatever the chunking, and never crashes (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        (objects, cuts) => {
          const stream = objects.map((o) => JSON.stringify(o)).join('\n');
          const splitter = new JsonObjectSplitter();
          const got: unknown[] = [];
          let at = 0;
          for (let k = 0; at < stream.length; k++) {
            const n = cuts[k % cuts.length]!;
            for (const t of splitter.push(stream.slice(at, at + n))) got.push(JSON.parse(t));
            at += n;
          }
          expect(got).toEqual(objects.map((o) => JSON.parse(JSON.stringify(o))));
        },
      ),
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        const splitter = new JsonObjectSplitter(64);
        for (const t of splitter.push(s)) {
          expect(t.startsWith('{') && t.endsWith('}')).toBe(true);
          parseDockerEvent(t);
        }
      }),
    );
  });
});

const tag = `${process.pid}-${Date.now().toString(36)}`;
const image = `localhost/h9-docker-events-${tag}:1`;
const names = [`h9-ev-${tag}`, `h9-watch-${tag}`];
/** Every container name a test started, for the cleanup. */
const started: string[] = [names[0]!];
let tmp = '';
let socket = '';
let service: ChildProcess | undefined;

const runContainer = (name: string, labels: Record<string, string>) => runSleeper(image, name, { labels });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h9-docker-events-'));
  importBusyboxImage(tmp, image);
  socket = path.join(tmp, 'docker.sock');
  service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { stdio: 'ignore' });
  await until(() => (fs.existsSync(socket) ? true : undefined), 'the API socket');
}, 120_000);

afterAll(() => {
  service?.kill();
  removeQuietly(started, [image]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("docker events through podman's Docker-compatible API socket (root)", () => {
  it('streams start, die and remove of a container as they happen', async () => {
    const events: DockerEvent[] = [];
    let connected = false;
    const stop = followDockerEvents(socket, {
      onEvent: (ev) => events.push(ev),
      onConnect: () => {
        connected = true;
      },
      reconnectMs: 200,
    });
    try {
      await until(() => (connected ? true : undefined), 'the subscription');
      // Headers may come before the daemon listens on its event bus: start containers until the
      // start of one of them comes through.
      let id = '';
      let attempt = 0;
      await until(() => {
        if (events.some((e) => e.id === id && e.action === 'start')) return true;
        if (attempt++ % 40 === 0) {
          if (id) podman('rm', '-f', '-t', '0', id);
          id = runContainer(names[0]!, { app: 'ev' });
        }
        return undefined;
      }, 'the start event');
      podman('rm', '-f', '-t', '0', names[0]!);
      await until(
        () => (events.some((e) => e.id === id && ['destroy', 'remove'].includes(e.action)) ? true : undefined),
        'the remove event',
      );
      expect(events.filter((e) => e.id === id).some((e) => e.action === 'died' || e.action === 'die')).toBe(true);
    } finally {
      stop();
    }
  });

  it('drives the endpoint watch: a docker container starting and going away is reported at once', async () => {
    const changes: EndpointChange[] = [];
    const watch = watchEndpoints({
      engines: ['docker'],
      dockerSocket: socket,
      onChange: (c) => changes.push(c),
      resyncMs: 600_000,
    });
    try {
      await watch.first;
      // A start before the event stream is subscribed would only show at the resync: start
      // containers (under fresh names) until one is reported.
      let name = '';
      let attempt = 0;
      const added = await until(() => {
        const found = changes.flatMap((c) => c.added).find((e: Endpoint) => e.name === name);
        if (found) return found;
        if (attempt++ % 40 === 0) {
          if (name) podman('rm', '-f', '-t', '0', name);
          name = `${names[1]}-${attempt}`;
          started.push(name);
          runContainer(name, { app: 'late' });
        }
        return undefined;
      }, 'the docker container to be reported as added');
      expect(added.labels).toMatchObject({ app: 'late', 'palisade.dev/runtime': 'docker' });
      podman('rm', '-f', '-t', '0', name);
      await until(
        () => changes.flatMap((c) => c.removed).find((e: Endpoint) => e.name === name),
        'the removed docker container to be reported',
      );
    } finally {
      watch.stop();
    }
  });
});

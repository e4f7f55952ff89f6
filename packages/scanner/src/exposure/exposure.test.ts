import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listListeningSockets, parseSocketTable, publishedPortFindings, socketFindings } from './index.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

describe('parseSocketTable', () => {
  it('reads listening TCP sockets and unconnected UDP sockets, IPv4 and IPv6', () => {
    const tcp = `${HEADER}   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 640 1 0 100 0 0 10 0\n   1: 0100007F:B1B9 0100007F:B89A 01 00000000:00000000 03:0000163F 00000000     0        0 0 3 0\n`;
    expect(parseSocketTable(tcp, 'tcp', 4)).toEqual([
      { proto: 'tcp', family: 4, address: '0.0.0.0', port: 2024, inode: 640, uid: 0 },
    ]);
    const tcp6 = `${HEADER}   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 77 1 0\n`;
    expect(parseSocketTable(tcp6, 'tcp', 6)[0]).toMatchObject({ address: '::1', port: 8080, uid: 1000 });
    const udp = `${HEADER}  12: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 91 2 0 0\n`;
    expect(parseSocketTable(udp, 'udp', 4)[0]).toMatchObject({ address: '127.0.0.1', port: 53, proto: 'udp' });
  });

  it('rejects text that is not a socket table and never throws anything else', () => {
    expect(() => parseSocketTable('garbage', 'tcp', 4)).toThrow(InputError);
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (body) => {
        expect(Array.isArray(parseSocketTable(HEADER + body, 'udp', 6))).toBe(true);
      }),
    );
  });
});

describe('listListeningSockets on the live host (root, netns)', () => {
  const ns = `pal-exp-${process.pid}`;
  let tcpServer: Server;
  let wildcardServer: Server;
  let inNamespace: ChildProcess;
  const udp = createSocket('udp4');

  beforeAll(async () => {
    tcpServer = createServer().listen(0, '127.0.0.1');
    wildcardServer = createServer().listen(0, '0.0.0.0');
    await Promise.all([tcpServer, wildcardServer].map((s) => new Promise((r) => s.once('listening', r))));
    await new Promise<void>((r) => udp.bind(0, '0.0.0.0', () => r()));
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // A service inside its own network namespace, on a port the host does not use.
    inNamespace = spawn('ip', [
      'netns',
      'exec',
      ns,
      process.execPath,
      '-e',
      "require('net').createServer().listen(18443, '0.0.0.0', () => console.log('up'))",
    ]);
    await new Promise((r) => inNamespace.stdout?.once('data', r));
  });

  afterAll(() => {
    inNamespace?.kill('SIGKILL');
    tcpServer?.close();
    wildcardServer?.close();
    udp.close();
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } catch {}
  });

  it('finds the same root-namespace listeners as ss, with their owning process', async () => {
    const sockets = await listListeningSockets();
    const rootNs = statSync('/proc/self/ns/net').ino;
    const ours = sockets.filter((s) => s.netns === rootNs);
    const key = (proto: string, addr: string, port: number) => `${proto} ${addr}:${port}`;
    const fromSs = execFileSync('ss', ['-lntuH'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const f = l.trim().split(/\s+/);
        const local = f[4]!;
        const port = Number(local.slice(local.lastIndexOf(':') + 1));
        let addr = local
          .slice(0, local.lastIndexOf(':'))
          .replace(/^\[|\]$/g, '')
          .replace(/%.*$/, '');
        if (addr === '*') addr = '::';
        return key(f[0]!, addr, port);
      });
    const mine = ours.map((s) => key(s.proto, s.address, s.port));
    for (const k of fromSs) expect(mine).toContain(k);

    const loop = ours.find((s) => s.proto === 'tcp' && s.port === (tcpServer.address() as { port: number }).port);
    expect(loop).toMatchObject({ scope: 'loopback', address: '127.0.0.1' });
    expect(loop?.owners.map((o) => o.pid)).toContain(process.pid);
    const wild = ours.find((s) => s.proto === 'tcp' && s.port === (wildcardServer.address() as { port: number }).port);
    expect(wild?.scope).toBe('wildcard');
    const udpSock = ours.find((s) => s.proto === 'udp' && s.port === udp.address().port);
    expect(udpSock?.owners.map((o) => o.pid)).toContain(process.pid);
  });

  it('sees the listener inside another network namespace, with its namespace and process', async () => {
    const nsInode = statSync(`/run/netns/${ns}`).ino;
    const sockets = await listListeningSockets();
    const s = sockets.find((x) => x.netns === nsInode && x.port === 18443);
    expect(s).toMatchObject({ proto: 'tcp', scope: 'wildcard' });
    expect(s?.owners[0]?.comm).toBe('node');

    const findings = socketFindings(sockets);
    const f = findings.find((x) => x.target.path?.startsWith(`netns:${nsInode} `));
    expect(f).toMatchObject({ ruleId: 'PAL-EXP-001', type: 'exposure', severity: 'LOW' });
    // Loopback listeners are not exposure.
    expect(findings.some((x) => x.title.includes(`127.0.0.1:${(tcpServer.address() as { port: number }).port}`))).toBe(
      false,
    );
  });
});

describe('published container ports (root, podman)', () => {
  const image = `localhost/pal-exp-${process.pid}:1`;
  const name = `pal-exp-${process.pid}`;
  afterAll(() => {
    for (const args of [
      ['rm', '-f', name],
      ['rmi', '-f', image],
    ]) {
      try {
        execFileSync('podman', args, { stdio: 'ignore' });
      } catch {}
    }
  });

  it('reports ports published on all interfaces, higher for sensitive services, and skips loopback', async () => {
    execFileSync('sh', [
      '-c',
      `d=$(mktemp -d) && mkdir -p $d/bin && cp /bin/busybox $d/bin/ && tar -C $d -c . | podman import -q - ${image} && rm -rf $d`,
    ]);
    execFileSync('podman', [
      'create',
      '--runtime',
      '/usr/sbin/runc',
      '--name',
      name,
      '-p',
      '127.0.0.1:18081:80',
      '-p',
      '18082:81/udp',
      '-p',
      '15432:5432',
      image,
      '/bin/busybox',
      'sleep',
      '100',
    ]);
    const findings = (await publishedPortFindings()).filter((f) => f.target.workload === name);
    expect(findings.map((f) => [f.ruleId, f.severity, f.title.split(':')[0]]).sort()).toEqual([
      ['PAL-EXP-010', 'HIGH', 'Container port published on all interfaces'],
      ['PAL-EXP-010', 'MEDIUM', 'Container port published on all interfaces'],
    ]);
    expect(findings.find((f) => f.severity === 'HIGH')?.title).toContain('15432');
  });
});

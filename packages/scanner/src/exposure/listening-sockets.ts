// Every listening socket of the live host, in every network namespace, with the processes that
// own it and their container: the raw material of the exposure report (like `ss -lntup`, for all
// namespaces at once).

import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { type BindScope, bindScope, parseSocketTable, type SocketEntry, type SocketProto } from './proc-net.js';

export interface SocketOwner {
  pid: number;
  comm: string;
  exe?: string;
  containerId?: string;
}

export interface ListeningSocket extends SocketEntry {
  scope: BindScope;
  /** Inode of the network namespace (what `ls -l /proc/PID/ns/net` shows). */
  netns: number;
  owners: SocketOwner[];
}

const TABLES: { file: string; proto: SocketProto; family: 4 | 6 }[] = [
  { file: 'tcp', proto: 'tcp', family: 4 },
  { file: 'tcp6', proto: 'tcp', family: 6 },
  { file: 'udp', proto: 'udp', family: 4 },
  { file: 'udp6', proto: 'udp', family: 6 },
];

const NS_LINK = /^net:\[(\d+)\]$/;
const SOCKET_LINK = /^socket:\[(\d+)\]$/;
// Container ids in cgroup paths: libpod-<id>.scope, docker-<id>.scope, cri-containerd-<id>.scope, /docker/<id>.
const CONTAINER_ID = /(?:libpod-|docker-|cri-containerd-|crio-|\/docker\/|\/)([0-9a-f]{64})(?:\.scope)?(?:\/|$)/;

export async function listListeningSockets(procRoot = '/proc'): Promise<ListeningSocket[]> {
  const pids = (await readdir(procRoot)).filter((d) => /^\d+$/.test(d)).map(Number);
  const namespaceOf = new Map<number, number>(); // netns inode → one pid inside it
  const ownersOf = new Map<number, number[]>(); // socket inode → pids holding it
  await Promise.all(
    pids.map(async (pid) => {
      const ns = NS_LINK.exec(await readlinkQuiet(path.join(procRoot, String(pid), 'ns/net')))?.[1];
      if (ns && !namespaceOf.has(Number(ns))) namespaceOf.set(Number(ns), pid);
      for (const fd of await readdirQuiet(path.join(procRoot, String(pid), 'fd'))) {
        const inode = SOCKET_LINK.exec(await readlinkQuiet(path.join(procRoot, String(pid), 'fd', fd)))?.[1];
        if (!inode) continue;
        const list = ownersOf.get(Number(inode)) ?? [];
        if (!list.includes(pid)) list.push(pid);
        ownersOf.set(Number(inode), list);
      }
    }),
  );

  const owners = new Map<number, SocketOwner>();
  const ownerOf = async (pid: number): Promise<SocketOwner> => {
    let o = owners.get(pid);
    if (!o) {
      const dir = path.join(procRoot, String(pid));
      const [comm, exe, cgroup] = await Promise.all([
        readFile(path.join(dir, 'comm'), 'utf8').catch(() => ''),
        readlinkQuiet(path.join(dir, 'exe')),
        readFile(path.join(dir, 'cgroup'), 'utf8').catch(() => ''),
      ]);
      o = { pid, comm: comm.trim() };
      if (exe) o.exe = exe;
      const containerId = CONTAINER_ID.exec(cgroup)?.[1];
      if (containerId) o.containerId = containerId;
      owners.set(pid, o);
    }
    return o;
  };

  const sockets: ListeningSocket[] = [];
  for (const [netns, pid] of namespaceOf) {
    for (const t of TABLES) {
      const text = await readFile(path.join(procRoot, String(pid), 'net', t.file), 'utf8').catch(() => undefined);
      if (text === undefined) continue; // IPv6 disabled, or the process exited meanwhile
      for (const entry of parseSocketTable(text, t.proto, t.family)) {
        const holders = await Promise.all((ownersOf.get(entry.inode) ?? []).map(ownerOf));
        sockets.push({ ...entry, scope: bindScope(entry.address), netns, owners: holders });
      }
    }
  }
  return sockets.sort((a, b) => a.netns - b.netns || a.port - b.port || a.proto.localeCompare(b.proto));
}

async function readlinkQuiet(p: string): Promise<string> {
  try {
    return await readlink(p);
  } catch {
    return '';
  }
}

async function readdirQuiet(p: string): Promise<string[]> {
  try {
    return await readdir(p);
  } catch {
    return [];
  }
}

// Finds the mount points of pseudo and memory file systems (proc, sysfs, tmpfs …) from
// /proc/self/mountinfo, so a rootfs walk of "/" never descends into kernel or runtime state.

import { readFile } from 'node:fs/promises';

const VIRTUAL_FS_TYPES = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'tmpfs',
  'ramfs',
  'cgroup',
  'cgroup2',
  'securityfs',
  'debugfs',
  'tracefs',
  'configfs',
  'fusectl',
  'mqueue',
  'hugetlbfs',
  'pstore',
  'bpf',
  'binfmt_misc',
  'autofs',
  'nsfs',
  'efivarfs',
  'rpc_pipefs',
  'selinuxfs',
  'fuse.lxcfs',
]);

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Parses mountinfo text into the absolute mount points whose file system type is virtual. */
export function parseVirtualMounts(mountinfo: string): Set<string> {
  const out = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const fsType = line.slice(sep + 3).split(' ')[0];
    const mountPoint = fields[4];
    if (mountPoint && fsType && VIRTUAL_FS_TYPES.has(fsType)) out.add(unescapeMountPath(mountPoint));
  }
  return out;
}

/** The virtual mount points of this machine; empty where /proc is not available. */
export async function readVirtualMounts(): Promise<Set<string>> {
  try {
    return parseVirtualMounts(await readFile('/proc/self/mountinfo', 'utf8'));
  } catch {
    return new Set();
  }
}

// Reads `ip -j -d addr show` (iproute2's JSON) into interfaces with their addresses, the peer
// index of veths and their kind. The text comes from the kernel, but is parsed defensively: what
// does not have the expected shape is skipped, never thrown on.

export interface LinkAddress {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  /** `global`, `link`, `host` … (iproute2's scope names). */
  readonly scope: string;
}

export interface NetLink {
  readonly index: number;
  readonly name: string;
  /** For a veth: the ifindex of its peer, in the peer's namespace. */
  readonly peerIndex?: number;
  /** For a veth: the id this namespace gave the peer's namespace (`ip netns list-id`). */
  readonly peerNetnsId?: number;
  /** The bridge (or bond) it is enslaved to. */
  readonly master?: string;
  /** `veth`, `bridge`, `vlan` … from `-d`; absent for physical devices. */
  readonly kind?: string;
  readonly up: boolean;
  readonly addresses: readonly LinkAddress[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function addressOf(raw: unknown): LinkAddress | undefined {
  if (!isObj(raw)) return undefined;
  const family = raw.family === 'inet' ? 4 : raw.family === 'inet6' ? 6 : undefined;
  if (!family || typeof raw.local !== 'string' || raw.local === '') return undefined;
  const prefixLength = typeof raw.prefixlen === 'number' ? raw.prefixlen : family === 4 ? 32 : 128;
  return { family, address: raw.local, prefixLength, scope: typeof raw.scope === 'string' ? raw.scope : 'global' };
}

/** `ip -j [-d] addr show` or `ip -j [-d] link show` output → links; malformed entries are skipped. */
export function parseIpLinks(json: string): NetLink[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(doc)) return [];
  const out: NetLink[] = [];
  for (const raw of doc) {
    if (!isObj(raw) || !isIndex(raw.ifindex) || typeof raw.ifname !== 'string') continue;
    // `ip` prints a veth as "name@peer" only in text mode, but be safe with odd versions.
    const name = raw.ifname.split('@')[0]!;
    if (name === '') continue;
    const info = isObj(raw.linkinfo) ? raw.linkinfo : undefined;
    const flags = Array.isArray(raw.flags) ? raw.flags : [];
    const addrs = Array.isArray(raw.addr_info) ? raw.addr_info : [];
    out.push({
      index: raw.ifindex,
      name,
      ...(isIndex(raw.link_index) ? { peerIndex: raw.link_index } : {}),
      ...(typeof raw.link_netnsid === 'number' && Number.isInteger(raw.link_netnsid) && raw.link_netnsid >= 0
        ? { peerNetnsId: raw.link_netnsid }
        : {}),
      ...(typeof raw.master === 'string' ? { master: raw.master } : {}),
      ...(info && typeof info.info_kind === 'string' ? { kind: info.info_kind } : {}),
      up: flags.includes('UP'),
      addresses: addrs.map(addressOf).filter((a): a is LinkAddress => a !== undefined),
    });
  }
  return out;
}

/** Addresses a workload can be reached at: global scope, no loopback. */
export function reachableAddresses(link: NetLink): string[] {
  return link.addresses.filter((a) => a.scope === 'global').map((a) => a.address);
}

/** `ip -j netns list-id` → namespace id → name, for the namespaces that have a name. */
export function parseNetnsIds(json: string): Map<number, string> {
  const out = new Map<number, string>();
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return out;
  }
  if (!Array.isArray(doc)) return out;
  for (const raw of doc)
    if (isObj(raw) && typeof raw.nsid === 'number' && typeof raw.name === 'string') out.set(raw.nsid, raw.name);
  return out;
}

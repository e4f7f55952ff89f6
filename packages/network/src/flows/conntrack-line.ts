// Parses one line of `conntrack -E -o extended,id` / `conntrack -L -o extended,id` output: the
// original tuple, the ct mark (our rule id), the conntrack id and the per-direction counters.

export interface ConntrackEntry {
  readonly event?: 'NEW' | 'UPDATE' | 'DESTROY';
  readonly family: 4 | 6;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly mark: number;
  readonly id?: number;
  /** Counters (with nf_conntrack_acct=1): original direction, then reply. */
  readonly packets?: readonly [number, number];
  readonly bytes?: readonly [number, number];
}

const EVENT = /^\s*\[(NEW|UPDATE|DESTROY)\]\s+/;

/** undefined for lines that are not flow entries (headers, summaries, blank lines). */
export function parseConntrackLine(line: string): ConntrackEntry | undefined {
  const ev = EVENT.exec(line);
  const rest = ev ? line.slice(ev[0].length) : line.trim();
  const tokens = rest.split(/\s+/);
  if (tokens.length < 4 || (tokens[0] !== 'ipv4' && tokens[0] !== 'ipv6')) return undefined;
  const protocol = Number(tokens[3]);
  if (!Number.isInteger(protocol)) return undefined;
  const first = new Map<string, string>();
  const packets: number[] = [];
  const bytes: number[] = [];
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    const k = t.slice(0, eq);
    const v = t.slice(eq + 1);
    if (k === 'packets') packets.push(Number(v));
    else if (k === 'bytes') bytes.push(Number(v));
    else if (!first.has(k)) first.set(k, v); // the original direction comes first
  }
  const src = first.get('src');
  const dst = first.get('dst');
  if (!src || !dst) return undefined;
  const num = (k: string) => {
    const v = first.get(k);
    const n = v === undefined ? Number.NaN : Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const sport = num('sport');
  const dport = num('dport');
  const id = num('id');
  const pair = (xs: number[]) =>
    xs.length >= 2 && xs.every(Number.isFinite) ? ([xs[0]!, xs[1]!] as const) : undefined;
  const p = pair(packets);
  const b = pair(bytes);
  return {
    ...(ev ? { event: ev[1] as ConntrackEntry['event'] } : {}),
    family: tokens[0] === 'ipv4' ? 4 : 6,
    protocol,
    src,
    dst,
    ...(sport !== undefined ? { sport } : {}),
    ...(dport !== undefined ? { dport } : {}),
    mark: num('mark') ?? 0,
    ...(id !== undefined ? { id } : {}),
    ...(p ? { packets: p } : {}),
    ...(b ? { bytes: b } : {}),
  };
}

// Prints an NftRuleset as one `nft -f` script that replaces the table in a single transaction:
// declare (so delete cannot fail), delete, then define the whole table again.

import type { Match, NftRule, NftRuleset, NftSet, Statement } from './ir.js';

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const quote = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

function renderMatch(m: Match): string {
  switch (m.m) {
    case 'nfproto':
      return `meta nfproto ${m.family === 4 ? 'ipv4' : 'ipv6'}`;
    case 'addr':
      return `${m.family === 4 ? 'ip' : 'ip6'} ${m.side} ${m.negate ? '!= ' : ''}@${m.set}`;
    case 'addrPort':
      return `${m.family === 4 ? 'ip' : 'ip6'} ${m.side} . th ${m.side === 'saddr' ? 'sport' : 'dport'} ${m.negate ? '!= ' : ''}@${m.set}`;
    case 'ifaceAddr':
      return `iifname . ${m.family === 4 ? 'ip' : 'ip6'} saddr ${m.negate ? '!= ' : ''}@${m.set}`;
    case 'l4proto':
      return `meta l4proto ${m.negate ? '!= ' : ''}${m.proto}`;
    case 'port': {
      const items = m.ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
      return `th ${m.side} ${m.negate ? '!= ' : ''}{ ${items.join(', ')} }`;
    }
    case 'icmp':
      return `${m.family === 4 ? 'icmp' : 'icmpv6'} ${m.field} ${m.negate ? '!= ' : ''}${m.value}`;
    case 'markBit':
      return `meta mark & ${hex(m.bit)} == ${hex(m.bit)}`;
    case 'markField':
      return `meta mark & ${hex(m.mask)} == ${hex(m.value)}`;
    case 'rtNexthop':
      return `rt ${m.family === 4 ? 'ip' : 'ip6'} nexthop ${m.address}`;
    case 'ctState':
      return `ct state ${m.states.join(',')}`;
    case 'tcpNotSyn':
      return 'tcp flags & (fin|syn|rst|ack) != syn';
    case 'iifname':
    case 'oifname':
      return `${m.m} ${quote(m.name)}`;
  }
}

function renderStatement(s: Statement): string {
  switch (s.s) {
    case 'ctMark':
      return `ct mark set ${hex(s.value)}`;
    case 'setMarkBit':
      return `meta mark set meta mark | ${hex(s.bit)}`;
    case 'clearMarkBits':
      return `meta mark set meta mark & ${hex(~s.mask >>> 0)}`;
    case 'log':
      return `log prefix ${quote(s.prefix)} group ${s.group}`;
    case 'setMarkField':
      return `meta mark set meta mark & ${hex(~s.mask >>> 0)} | ${hex(s.value)}`;
    case 'snat':
      return `snat ${s.family === 4 ? 'ip' : 'ip6'} to ${s.address}`;
  }
}

function renderRule(r: NftRule): string {
  const parts = [...r.matches.map(renderMatch), ...r.statements.map(renderStatement)];
  if (r.verdict) {
    if (r.verdict.v === 'jump') parts.push(`jump ${r.verdict.chain}`);
    else if (r.verdict.v === 'vmap') parts.push(`${r.verdict.key} vmap @${r.verdict.map}`);
    else parts.push(r.verdict.v);
  }
  if (r.comment) parts.push(`comment ${quote(r.comment.slice(0, 120))}`);
  return parts.join(' ');
}

function renderSet(s: NftSet): string {
  const addr = s.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
  const type = s.type === 'addr' ? addr : s.type === 'addrPort' ? `${addr} . inet_service` : `ifname . ${addr}`;
  const lines = [`  set ${s.name} {`, `    type ${type}`];
  if (s.interval) lines.push('    flags interval', '    auto-merge');
  if (s.timeout) lines.push('    flags timeout');
  if (s.elements.length > 0) lines.push(`    elements = { ${s.elements.join(', ')} }`);
  lines.push('  }');
  return lines.join('\n');
}

/** The table definition alone (no delete), e.g. for `nft -c` checks. */
export function renderTable(rs: NftRuleset): string {
  const out = [`table inet ${rs.table} {`];
  for (const s of rs.sets) out.push(renderSet(s));
  const chain = (c: NftRuleset['chains'][number]) => {
    out.push(`  chain ${c.name} {`);
    if (c.hook)
      out.push(
        `    type ${c.hook.type ?? 'filter'} hook ${c.hook.hook} priority ${c.hook.priority}; policy ${c.hook.policy};`,
      );
    for (const r of c.rules) out.push(`    ${renderRule(r)}`);
    out.push('  }');
  };
  // Order matters to nft: chains before the maps that jump to them, maps before the base chains.
  for (const c of rs.chains) if (!c.hook) chain(c);
  for (const m of rs.maps) {
    out.push(`  map ${m.name} {`, '    type ifname : verdict');
    if (m.entries.size > 0)
      out.push(`    elements = { ${[...m.entries].map(([k, v]) => `${quote(k)} : jump ${v}`).join(', ')} }`);
    out.push('  }');
  }
  for (const c of rs.chains) if (c.hook) chain(c);
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** What a table already holds, by name (from `nft -t -j list table`); base chains are kept. */
export interface ExistingObjects {
  readonly chains: readonly string[];
  readonly sets: readonly string[];
  readonly maps: readonly string[];
}

/**
 * A script that swaps the whole table in one transaction. The base chains are never deleted: a
 * deleted and re-created hook would, for an instant, let a packet see the new, still empty chain
 * before the old one and the old one after the commit, and pass both. Instead everything is
 * flushed, the other objects deleted and the table defined again, all in the same batch.
 */
export function renderReplace(rs: NftRuleset, existing: ExistingObjects | undefined): string {
  if (!existing) return renderTable(rs);
  const t = `inet ${rs.table}`;
  const lines = [`flush table ${t}`];
  for (const m of existing.maps) lines.push(`delete map ${t} ${m}`);
  for (const c of existing.chains) lines.push(`delete chain ${t} ${c}`);
  for (const s of existing.sets) lines.push(`delete set ${t} ${s}`);
  return `${lines.join('\n')}\n${renderTable(rs)}`;
}

/** Reads `nft -t -j list table` output into the names of what can be deleted. */
export function parseExistingObjects(json: string): ExistingObjects {
  const doc = JSON.parse(json) as { nftables?: Record<string, { name?: string; hook?: string }>[] };
  const out = { chains: [] as string[], sets: [] as string[], maps: [] as string[] };
  for (const item of doc.nftables ?? []) {
    if (item.chain?.name && !item.chain.hook) out.chains.push(item.chain.name);
    if (item.set?.name) out.sets.push(item.set.name);
    if (item.map?.name) out.maps.push(item.map.name);
  }
  return out;
}

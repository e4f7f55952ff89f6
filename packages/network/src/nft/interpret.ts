// A small interpreter of the compiled IR for one new packet at one hook. Tests use it to check the
// compiler against the evaluator without a kernel; it follows nftables' jump/return/verdict rules.

import { cidrContains, parseCidr, parseIp } from '../model/cidr.js';
import type { Match, NftRuleset, Statement } from './ir.js';

export interface Packet {
  readonly saddr: string;
  readonly daddr: string;
  readonly protocol: number;
  readonly sport?: number;
  readonly dport?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly iif?: string;
  readonly oif?: string;
}

export interface HookResult {
  readonly verdict: 'accept' | 'drop';
  readonly ctMark: number;
  readonly logs: readonly string[];
  /** The packet mark at the end (the egress gateway's routing mark). */
  readonly mark: number;
}

export function runHook(
  rs: NftRuleset,
  hook: 'input' | 'forward' | 'output' | 'prerouting' | 'postrouting',
  pkt: Packet,
): HookResult {
  const chains = new Map(rs.chains.map((c) => [c.name, c]));
  const sets = new Map(rs.sets.map((s) => [s.name, s]));
  const maps = new Map(rs.maps.map((m) => [m.name, m]));
  const src = parseIp(pkt.saddr)!;
  const dst = parseIp(pkt.daddr)!;
  let mark = 0;
  let ctMark = 0;
  const logs: string[] = [];

  const inSet = (name: string, which: 'saddr' | 'daddr'): boolean => {
    const set = sets.get(name)!;
    const ip = which === 'saddr' ? src : dst;
    return set.elements.some((e) => cidrContains(parseCidr(e)!, ip));
  };
  const inPairSet = (name: string, which: 'saddr' | 'daddr'): boolean => {
    const set = sets.get(name)!;
    const ip = which === 'saddr' ? pkt.saddr : pkt.daddr;
    const port = which === 'saddr' ? pkt.sport : pkt.dport;
    return set.elements.includes(`${ip} . ${port}`);
  };
  const hasPorts = pkt.protocol === 6 || pkt.protocol === 17 || pkt.protocol === 132 || pkt.protocol === 136;
  const matches = (m: Match): boolean => {
    switch (m.m) {
      case 'nfproto':
        return src.version === m.family;
      case 'addr':
        // A family mismatch fails the match whatever its sign, as nftables' payload dependency does.
        return src.version === m.family && inSet(m.set, m.side) !== m.negate;
      case 'addrPort':
        return src.version === m.family && hasPorts && inPairSet(m.set, m.side) !== m.negate;
      case 'ifaceAddr':
        return (
          src.version === m.family && sets.get(m.set)!.elements.includes(`"${pkt.iif}" . ${pkt.saddr}`) !== m.negate
        );
      case 'l4proto':
        return (pkt.protocol === m.proto) !== m.negate;
      case 'port': {
        if (!hasPorts) return false;
        const p = m.side === 'sport' ? pkt.sport : pkt.dport;
        return (p !== undefined && m.ranges.some(([a, b]) => p >= a && p <= b)) !== m.negate;
      }
      case 'icmp': {
        const proto = m.family === 4 ? 1 : 58;
        if (pkt.protocol !== proto) return false;
        const v = m.field === 'type' ? pkt.icmpType : pkt.icmpCode;
        return (v === m.value) !== m.negate;
      }
      case 'markBit':
        return (mark & m.bit) === m.bit;
      case 'markField':
        return (mark & m.mask) === m.value;
      case 'rtNexthop':
        return false; // the interpreter does no routing
      case 'ctState':
        return m.states.includes('new'); // every packet here opens a new connection
      case 'tcpNotSyn':
        return false; // … with a SYN
      case 'iifname':
        return pkt.iif === m.name;
      case 'oifname':
        return pkt.oif === m.name;
    }
  };
  const apply = (s: Statement) => {
    if (s.s === 'ctMark') ctMark = s.value;
    else if (s.s === 'setMarkBit') mark |= s.bit;
    else if (s.s === 'clearMarkBits') mark &= ~s.mask;
    else if (s.s === 'setMarkField') mark = (mark & ~s.mask) | s.value;
    else if (s.s === 'log') logs.push(s.prefix);
    // snat changes addresses after routing; the filter verdict does not depend on it.
  };

  // Returns a final verdict, or undefined when the chain returned / fell through.
  const run = (name: string, depth: number): 'accept' | 'drop' | undefined => {
    if (depth > 16) throw new Error(`jump depth exceeded at ${name}`);
    for (const r of chains.get(name)!.rules) {
      if (!r.matches.every(matches)) continue;
      r.statements.forEach(apply);
      const v = r.verdict;
      if (!v) continue;
      let target: string | undefined;
      if (v.v === 'jump') target = v.chain;
      else if (v.v === 'vmap')
        target = maps.get(v.map)!.entries.get(v.key === 'iifname' ? (pkt.iif ?? '') : (pkt.oif ?? ''));
      else if (v.v === 'return') return undefined;
      else return v.v;
      if (target === undefined) continue;
      const res = run(target, depth + 1);
      if (res) return res;
    }
    return undefined;
  };
  // The filter chain of the hook (output also has the egress gateway's route chain).
  const base =
    rs.chains.find((c) => c.hook?.hook === hook && (c.hook.type ?? 'filter') === 'filter') ??
    rs.chains.find((c) => c.hook?.hook === hook)!;
  const verdict = run(base.name, 0) ?? base.hook!.policy;
  return { verdict, ctMark, logs, mark };
}

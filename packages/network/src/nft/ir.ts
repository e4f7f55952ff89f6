// The compiled ruleset as data: named sets, chains and rules whose matches and statements map
// one-to-one onto nftables syntax. The renderer prints it; the interpreter runs it in tests.

export type Family = 4 | 6;

export interface NftSet {
  readonly name: string;
  /**
   * `addr` sets hold addresses/CIDRs; `addrPort` sets hold `address . port` pairs (named ports);
   * `ifaceAddr` sets hold `"interface" . address` pairs (anti-spoofing).
   */
  readonly type: 'addr' | 'addrPort' | 'ifaceAddr';
  readonly family: Family;
  /** Interval flag only when some element is a real CIDR (nftables rejects prefixes otherwise). */
  readonly interval: boolean;
  readonly elements: readonly string[];
  /** `flags timeout`: a DNS policy set whose elements the DNS proxy adds with the answer's TTL. */
  readonly timeout?: boolean;
}

/** A set the DNS proxy fills: addresses answered for these domain patterns (`*.x` wildcards). */
export interface DomainSet {
  readonly name: string;
  readonly family: Family;
  /** Lower-cased patterns, sorted: exact names and `*.example.com` wildcards. */
  readonly domains: readonly string[];
}

export type Match =
  | { readonly m: 'nfproto'; readonly family: Family }
  | {
      readonly m: 'addr';
      readonly side: 'saddr' | 'daddr';
      readonly family: Family;
      readonly set: string;
      readonly negate: boolean;
    }
  | { readonly m: 'ifaceAddr'; readonly family: Family; readonly set: string; readonly negate: boolean }
  | { readonly m: 'l4proto'; readonly proto: number; readonly negate: boolean }
  | {
      readonly m: 'port';
      readonly side: 'sport' | 'dport';
      readonly ranges: readonly (readonly [number, number])[];
      readonly negate: boolean;
    }
  | {
      readonly m: 'addrPort';
      readonly side: 'saddr' | 'daddr';
      readonly family: Family;
      readonly set: string;
      readonly negate: boolean;
    }
  | {
      readonly m: 'icmp';
      readonly family: Family;
      readonly field: 'type' | 'code';
      readonly value: number;
      readonly negate: boolean;
    }
  | { readonly m: 'markBit'; readonly bit: number }
  /** `meta mark & mask == value` (the egress gateway's field of the mark). */
  | { readonly m: 'markField'; readonly mask: number; readonly value: number }
  /** `rt ip nexthop ADDR`: the route chosen for the packet goes via this gateway (postrouting). */
  | { readonly m: 'rtNexthop'; readonly family: Family; readonly address: string }
  | { readonly m: 'ctState'; readonly states: readonly ('new' | 'established' | 'related' | 'invalid')[] }
  /** A TCP segment other than a bare SYN (with `ct state new`: a connection picked up mid-stream). */
  | { readonly m: 'tcpNotSyn' }
  | { readonly m: 'iifname' | 'oifname'; readonly name: string };

export type Statement =
  | { readonly s: 'ctMark'; readonly value: number }
  | { readonly s: 'setMarkBit'; readonly bit: number }
  | { readonly s: 'clearMarkBits'; readonly mask: number }
  /** Writes `value` into the `mask` bits of the mark, keeping the others. */
  | { readonly s: 'setMarkField'; readonly mask: number; readonly value: number }
  | { readonly s: 'snat'; readonly family: Family; readonly address: string }
  | { readonly s: 'log'; readonly group: number; readonly prefix: string };

export type NftVerdict =
  | { readonly v: 'accept' | 'drop' | 'return' }
  | { readonly v: 'jump'; readonly chain: string }
  | { readonly v: 'vmap'; readonly key: 'iifname' | 'oifname'; readonly map: string };

export interface NftRule {
  readonly matches: readonly Match[];
  readonly statements: readonly Statement[];
  readonly verdict?: NftVerdict;
  readonly comment?: string;
}

export interface NftChain {
  readonly name: string;
  readonly hook?: {
    /** Default `filter`; the egress gateway adds a `route` and a `nat` chain. */
    readonly type?: 'filter' | 'route' | 'nat';
    readonly hook: 'input' | 'forward' | 'output' | 'prerouting' | 'postrouting';
    readonly priority: number;
    readonly policy: 'accept' | 'drop';
  };
  readonly rules: readonly NftRule[];
}

export interface NftMap {
  readonly name: string;
  /** Interface name → chain to jump to. */
  readonly entries: ReadonlyMap<string, string>;
}

export interface NftRuleset {
  readonly table: string;
  readonly sets: readonly NftSet[];
  readonly maps: readonly NftMap[];
  readonly chains: readonly NftChain[];
  /** ct mark value → where the rule came from, for flow attribution. */
  readonly ruleIds: ReadonlyMap<
    number,
    { policy: string; direction: 'Ingress' | 'Egress'; rule: number; action: string }
  >;
  /** Sets filled at run time by the DNS proxy (from `destination.domains` and `allowedEgressDomains`). */
  readonly domainSets?: readonly DomainSet[];
  /** The compiler's bookkeeping, kept for incremental endpoint adds; absent on hand-built rulesets. */
  readonly compiler?: unknown;
}

export const MARK_ALLOW = 0x100;
export const MARK_PASS = 0x200;
/** Set by a staged shadow chain whose policies would deny: ends the shadow, never the packet. */
export const MARK_STAGED_DENY = 0x400;

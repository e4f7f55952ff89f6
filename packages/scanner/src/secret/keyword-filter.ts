// The keyword pre-filter: one pass over a file's bytes that tells which rules' literal keywords
// occur, so only those rules' regexes run. First-byte dispatch table, ASCII case folding per keyword.

interface KeywordEntry {
  /** The keyword's bytes, lower-cased when `folded`. */
  bytes: Uint8Array;
  folded: boolean;
  /** Rules (indexes) this keyword admits. */
  rules: number[];
  /** Scan number in which this keyword was last found: found keywords are not compared again. */
  foundIn: number;
}

export interface KeywordRule {
  keywords: readonly string[];
  caseSensitiveKeywords?: boolean;
}

export class KeywordFilter {
  private readonly byFirstByte: KeywordEntry[][] = Array.from({ length: 256 }, () => []);
  /** 1 where some keyword starts with the two bytes (hi << 8 | lo): the hot loop reads only this for most bytes. */
  private readonly startsKeyword = new Uint8Array(65536);
  private readonly entryCount: number;
  private scanNumber = 0;

  constructor(rules: readonly KeywordRule[]) {
    const entries = new Map<string, KeywordEntry>();
    rules.forEach((rule, index) => {
      for (const k of rule.keywords) {
        const folded = !rule.caseSensitiveKeywords;
        const text = folded ? k.toLowerCase() : k;
        if (text.length < 2) throw new Error(`secret rule keyword "${k}" is shorter than two characters`);
        const key = `${folded ? '~' : '='}${text}`;
        const existing = entries.get(key);
        if (existing) existing.rules.push(index);
        else entries.set(key, { bytes: Buffer.from(text, 'latin1'), folded, rules: [index], foundIn: 0 });
      }
    });
    for (const e of entries.values()) {
      const first = e.bytes[0]!;
      const second = e.bytes[1]!; // every keyword has two bytes or more (checked above)
      const firsts = caseVariants(first, e.folded);
      for (const b of firsts) {
        this.byFirstByte[b]!.push(e);
        for (const c of caseVariants(second, e.folded)) this.startsKeyword[(b << 8) | c] = 1;
      }
    }
    this.entryCount = entries.size;
  }

  /** Indexes of the rules with at least one keyword in `content`, ascending. */
  candidates(content: Uint8Array): number[] {
    const scan = ++this.scanNumber;
    const table = this.byFirstByte;
    const starts = this.startsKeyword;
    const hit = new Set<number>();
    let found = 0;
    const n = content.length - 1; // a keyword has two bytes or more
    for (let i = 0; i < n; i++) {
      const first = content[i]!;
      if (starts[(first << 8) | content[i + 1]!] === 0) continue;
      const list = table[first]!;
      for (let e = 0; e < list.length; e++) {
        const entry = list[e]!;
        if (entry.foundIn === scan || !matchesAt(content, i, entry)) continue;
        entry.foundIn = scan;
        for (const r of entry.rules) hit.add(r);
        if (++found === this.entryCount) return sorted(hit);
      }
    }
    return sorted(hit);
  }
}

function matchesAt(content: Uint8Array, at: number, entry: KeywordEntry): boolean {
  const k = entry.bytes;
  if (at + k.length > content.length) return false;
  for (let j = 1; j < k.length; j++) {
    let b = content[at + j]!;
    if (entry.folded && b >= 65 && b <= 90) b |= 0x20;
    if (b !== k[j]) return false;
  }
  return true;
}

function caseVariants(b: number, folded: boolean): number[] {
  return folded && b >= 97 && b <= 122 ? [b, b - 32] : [b];
}

function sorted(s: Set<number>): number[] {
  return [...s].sort((a, b) => a - b);
}

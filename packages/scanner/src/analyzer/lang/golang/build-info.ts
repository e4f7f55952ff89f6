// Finds and decodes the Go build info that `go build` embeds in executables: the
// "\xff Go buildinf:" header in the .go.buildinfo section (ELF) or anywhere 16-byte aligned (Mach-O,
// PE), in both the 1.18+ inline varint layout and the older layout of pointers to string headers.

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const FLAG_BIG_ENDIAN = 0x1;
const FLAG_VERSION_INLINE = 0x2;

export interface GoBuildInfo {
  /** "go1.22.3" as the toolchain wrote it. */
  goVersion: string;
  /** Main module path ("path" line), when present. */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
}

export interface GoModule {
  path: string;
  version: string;
  replace?: { path: string; version: string };
}

interface ElfSection {
  name: string;
  type: number;
  addr: bigint;
  offset: number;
  size: number;
}

const SHT_NOBITS = 8;

/** Section headers of an ELF file, or undefined when it is not ELF or has none. */
export function readElfSections(buf: Buffer): ElfSection[] | undefined {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u64 = (o: number) => (le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  const word = (o: number) => (is64 ? u64(o) : BigInt(u32(o)));
  const shoff = Number(word(is64 ? 0x28 : 0x20));
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  if (shoff === 0 || shnum === 0 || shentsize < (is64 ? 64 : 40) || shoff + shnum * shentsize > buf.length) {
    return undefined;
  }
  const raw: (ElfSection & { nameOff: number })[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    raw.push({
      nameOff: u32(h),
      name: '',
      type: u32(h + 4),
      addr: word(h + (is64 ? 0x10 : 0x0c)),
      offset: Number(word(h + (is64 ? 0x18 : 0x10))),
      size: Number(word(h + (is64 ? 0x20 : 0x14))),
    });
  }
  const strtab = raw[shstrndx];
  if (strtab && strtab.offset + strtab.size <= buf.length) {
    for (const s of raw) {
      const start = strtab.offset + s.nameOff;
      if (start >= strtab.offset + strtab.size) continue;
      const end = buf.indexOf(0, start);
      s.name = buf.toString('latin1', start, end < 0 ? start : end);
    }
  }
  return raw.map(({ nameOff: _, ...s }) => s);
}

/** Reads an unsigned LEB128 varint; returns [value, bytesRead] or undefined when truncated. */
function readUvarint(buf: Buffer, at: number): [number, number] | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 5; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i - at + 1];
    shift += 7;
  }
  return undefined;
}

/** The linker stores modinfo between two 16-byte binary sentinels; strip them before decoding text. */
function modinfoText(b: Buffer): string {
  const inner = b.length >= 33 && b[b.length - 17] === 0x0a ? b.subarray(16, b.length - 16) : b;
  return inner.toString('utf8');
}

type AddressReader = (addr: bigint, len: number) => Buffer | undefined;

function decodeHeader(buf: Buffer, at: number, readAt: AddressReader | undefined): [string, string] | undefined {
  if (at + HEADER_SIZE > buf.length) return undefined;
  const ptrSize = buf[at + 14]!;
  const flags = buf[at + 15]!;
  if (flags & FLAG_VERSION_INLINE) {
    const v = readUvarint(buf, at + HEADER_SIZE);
    if (!v) return undefined;
    const vStart = at + HEADER_SIZE + v[1];
    const m = readUvarint(buf, vStart + v[0]);
    if (!m) return undefined;
    const mStart = vStart + v[0] + m[1];
    if (mStart + m[0] > buf.length) return undefined;
    return [buf.toString('utf8', vStart, vStart + v[0]), modinfoText(buf.subarray(mStart, mStart + m[0]))];
  }
  // Before Go 1.18: two pointers to Go string headers {data *byte, len int}, in target byte order.
  if (!readAt || (ptrSize !== 4 && ptrSize !== 8)) return undefined;
  const be = (flags & FLAG_BIG_ENDIAN) !== 0;
  const ptr = (b: Buffer, o: number): bigint =>
    ptrSize === 8
      ? be
        ? b.readBigUInt64BE(o)
        : b.readBigUInt64LE(o)
      : BigInt(be ? b.readUInt32BE(o) : b.readUInt32LE(o));
  const goString = (addr: bigint): Buffer | undefined => {
    const hdr = readAt(addr, 2 * ptrSize);
    if (!hdr) return undefined;
    const len = Number(ptr(hdr, ptrSize));
    if (len > 1 << 20) return undefined;
    return readAt(ptr(hdr, 0), len);
  };
  const version = goString(ptr(buf, at + 16));
  const modinfo = goString(ptr(buf, at + 16 + ptrSize));
  return version === undefined ? undefined : [version.toString('utf8'), modinfo ? modinfoText(modinfo) : ''];
}

/** Offsets of the magic, 16-byte aligned relative to `base`, within [start, end). */
function findMagic(buf: Buffer, start: number, end: number, base: number): number {
  let i = buf.indexOf(MAGIC, start);
  while (i >= 0 && i < end) {
    if ((i - base) % 16 === 0) return i;
    i = buf.indexOf(MAGIC, i + 1);
  }
  return -1;
}

export function parseModinfo(modinfo: string): Omit<GoBuildInfo, 'goVersion'> {
  const info: Omit<GoBuildInfo, 'goVersion'> = { deps: [] };
  let last: GoModule | undefined;
  for (const line of modinfo.split('\n')) {
    const f = line.split('\t');
    switch (f[0]) {
      case 'path':
        info.path = f[1];
        break;
      case 'mod':
        if (f[1]) last = info.main = { path: f[1], version: f[2] ?? '' };
        break;
      case 'dep':
        if (f[1]) {
          last = { path: f[1], version: f[2] ?? '' };
          info.deps.push(last);
        }
        break;
      case '=>':
        if (last && f[1]) last.replace = { path: f[1], version: f[2] ?? '' };
        break;
    }
  }
  return info;
}

export type BuildInfoLookup = { kind: 'not-go' } | { kind: 'go'; info: GoBuildInfo };

/** Looks for Go build info; 'not-go' for anything without it (decided from the ELF header when possible). */
export function readGoBuildInfo(buf: Buffer): BuildInfoLookup {
  const sections = readElfSections(buf);
  let raw: [string, string] | undefined;
  if (sections) {
    const sec = sections.find((s) => s.name === '.go.buildinfo');
    if (!sec || sec.type === SHT_NOBITS || sec.offset + sec.size > buf.length) return { kind: 'not-go' };
    const at = findMagic(buf, sec.offset, sec.offset + sec.size, sec.offset);
    if (at < 0) return { kind: 'not-go' };
    const readAt: AddressReader = (addr, len) => {
      for (const s of sections) {
        if (s.type === SHT_NOBITS || s.addr === 0n || addr < s.addr) continue;
        const delta = Number(addr - s.addr);
        if (delta + len <= s.size && s.offset + delta + len <= buf.length)
          return buf.subarray(s.offset + delta, s.offset + delta + len);
      }
      return undefined;
    };
    raw = decodeHeader(buf, at, readAt);
  } else if (isMachO(buf) || isPE(buf)) {
    // Without an address map only the inline (1.18+) layout can be decoded.
    const at = findMagic(buf, 0, buf.length, 0);
    if (at < 0) return { kind: 'not-go' };
    raw = decodeHeader(buf, at, undefined);
  } else {
    return { kind: 'not-go' };
  }
  if (!raw?.[0].startsWith('go')) return { kind: 'not-go' };
  return { kind: 'go', info: { goVersion: raw[0], ...parseModinfo(raw[1]) } };
}

function isMachO(buf: Buffer): boolean {
  if (buf.length < 4) return false;
  const m = buf.readUInt32LE(0);
  return m === 0xfeedface || m === 0xfeedfacf || buf.readUInt32BE(0) === 0xfeedfacf || m === 0xbebafeca;
}

function isPE(buf: Buffer): boolean {
  return buf.length >= 64 && buf[0] === 0x4d && buf[1] === 0x5a;
}

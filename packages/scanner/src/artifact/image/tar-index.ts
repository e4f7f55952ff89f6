// Indexes an image archive (the outer tar of a docker-archive or OCI archive) by reading only its
// headers, so manifests and layer blobs can later be read straight from their offsets.

import { open } from 'node:fs/promises';
import { InputError } from '@palisade/core';
import { normalizeEntryPath, parentDir } from '../../walker/entry-path.js';

export interface TarIndexEntry {
  /** Offset of the entry's data in the archive file. */
  offset: number;
  size: number;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  linkName?: string;
}

const BLOCK = 512;
const MAX_META_BYTES = 1024 * 1024;

function readString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end < 0 || end > start + length ? start + length : end);
}

/** Numeric header fields are octal text, or big-endian base-256 when the top bit is set (GNU, > 8 GiB). */
function readNumber(buf: Buffer, start: number, length: number): number {
  if ((buf[start]! & 0x80) !== 0) {
    let value = buf[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + buf[i]!;
    return value;
  }
  const text = readString(buf, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`bad numeric field "${text}"`);
  return Number.parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  try {
    return readNumber(header, 148, 8) === sum;
  } catch {
    return false;
  }
}

/** PAX records: "LEN key=value\n" repeated. Only path, linkpath and size matter here. */
function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number.parseInt(data.toString('utf8', pos, space), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) break;
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

function entryType(flag: string): TarIndexEntry['type'] {
  switch (flag) {
    case '0':
    case '\0':
    case '':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

export class TarIndex {
  private constructor(
    readonly file: string,
    readonly entries: ReadonlyMap<string, TarIndexEntry>,
  ) {}

  /** Reads every header of `file`; throws InputError when the file is not a well-formed tar. */
  static async build(file: string): Promise<TarIndex> {
    const fh = await open(file, 'r');
    const entries = new Map<string, TarIndexEntry>();
    try {
      const fileSize = (await fh.stat()).size;
      const header = Buffer.alloc(BLOCK);
      let pos = 0;
      let longName: string | undefined;
      let longLink: string | undefined;
      let pax = new Map<string, string>();
      const readData = async (offset: number, size: number): Promise<Buffer> => {
        if (size > MAX_META_BYTES) throw new InputError(`${file}: tar metadata entry of ${size} bytes is too large`);
        const buf = Buffer.alloc(size);
        await fh.read(buf, 0, size, offset);
        return buf;
      };
      for (;;) {
        if (pos + BLOCK > fileSize) {
          if (entries.size === 0) throw new InputError(`${file}: not a tar archive (no header)`);
          break; // archives without the two zero end blocks are still readable up to here
        }
        await fh.read(header, 0, BLOCK, pos);
        if (header.every((b) => b === 0)) break;
        if (!checksumOk(header)) throw new InputError(`${file}: corrupt tar header at offset ${pos}`);
        let size: number;
        try {
          size = readNumber(header, 124, 12);
        } catch {
          throw new InputError(`${file}: corrupt tar header at offset ${pos}`);
        }
        const flag = String.fromCharCode(header[156]!);
        const dataOffset = pos + BLOCK;
        if (pax.has('size')) size = Number(pax.get('size'));
        if (!Number.isSafeInteger(size) || size < 0 || dataOffset + size > fileSize) {
          throw new InputError(`${file}: truncated tar (entry at offset ${pos} runs past the end)`);
        }
        pos = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
        if (flag === 'L') {
          longName = readString(await readData(dataOffset, size), 0, size);
          continue;
        }
        if (flag === 'K') {
          longLink = readString(await readData(dataOffset, size), 0, size);
          continue;
        }
        if (flag === 'x') {
          pax = parsePax(await readData(dataOffset, size));
          continue;
        }
        if (flag === 'g') continue;
        const magic = header.toString('latin1', 257, 262);
        const prefix = magic === 'ustar' ? readString(header, 345, 155) : '';
        const baseName = readString(header, 0, 100);
        const rawName = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
        const rawLink = pax.get('linkpath') ?? longLink ?? readString(header, 157, 100);
        longName = undefined;
        longLink = undefined;
        pax = new Map();
        const name = normalizeEntryPath(rawName);
        if (name === undefined || name === '') continue;
        const entry: TarIndexEntry = { offset: dataOffset, size, type: entryType(flag) };
        if (entry.type === 'symlink' || entry.type === 'hardlink') entry.linkName = rawLink;
        entries.set(name, entry);
      }
    } finally {
      await fh.close();
    }
    return new TarIndex(file, entries);
  }

  /** The regular-file entry at `name`, following symlinks and hard links inside the archive. */
  resolve(name: string): TarIndexEntry | undefined {
    let current = normalizeEntryPath(name);
    for (let hops = 0; hops < 8 && current !== undefined; hops++) {
      const entry = this.entries.get(current);
      if (!entry) return undefined;
      if (entry.type === 'file') return entry;
      if (entry.type === 'hardlink') current = normalizeEntryPath(entry.linkName ?? '');
      else if (entry.type === 'symlink') {
        const link = entry.linkName ?? '';
        current = normalizeEntryPath(link.startsWith('/') ? link : `${parentDir(current)}/${link}`);
      } else return undefined;
    }
    return undefined;
  }
}

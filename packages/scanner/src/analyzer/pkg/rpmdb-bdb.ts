// Reads the values of a Berkeley DB hash file (rpm's legacy `var/lib/rpm/Packages`): the meta
// page, every hash page's key/data pairs and their overflow page chains, in either byte order.

import { InputError } from '@palisade/core';

const HASH_MAGIC = 0x061561;
const PAGE_HEADER_SIZE = 26;
const PAGE_HASH_UNSORTED = 2; // hash pages written by Berkeley DB before 4.6
const PAGE_OVERFLOW = 7;
const PAGE_HASH_META = 8;
const PAGE_HASH = 13;
const ITEM_KEYDATA = 1;
const ITEM_OFFPAGE = 3;
const OFFPAGE_SIZE = 12;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

interface Reader {
  u16(at: number): number;
  u32(at: number): number;
}

/** Returns every record value except rpm's record 0 (the instance counter), in page order. */
export function readBdbHashValues(db: Buffer, file: string): Buffer[] {
  if (db.length < 512) throw new InputError(`${file}: ${db.length} bytes is too short for a Berkeley DB file`);
  const r = byteOrder(db, file);
  const pageSize = r.u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) throw new InputError(`${file}: Berkeley DB page size ${pageSize} is invalid`);
  if (db[25] !== PAGE_HASH_META) throw new InputError(`${file}: Berkeley DB meta page has type ${db[25]}, not hash`);
  if (db[24] !== 0) throw new InputError(`${file}: encrypted Berkeley DB files are not supported`);
  const lastPage = r.u32(32);
  const pageCount = Math.floor(db.length / pageSize);
  if (lastPage >= pageCount) {
    throw new InputError(`${file}: Berkeley DB claims ${lastPage + 1} pages but the file holds ${pageCount}`);
  }

  const values: Buffer[] = [];
  for (let page = 1; page <= lastPage; page++) {
    const base = page * pageSize;
    const type = db[base + 25];
    if (type !== PAGE_HASH && type !== PAGE_HASH_UNSORTED) continue;
    const entries = r.u16(base + 20);
    if (PAGE_HEADER_SIZE + entries * 2 > pageSize) throw new InputError(`${file}: page ${page} has ${entries} entries`);
    // Entries alternate key, data; each is an offset into the page, items packed from the end.
    for (let i = 0; i + 1 < entries; i += 2) {
      const key = itemBounds(r, base, pageSize, i, file, page);
      const data = itemBounds(r, base, pageSize, i + 1, file, page);
      if (isInstanceCounter(db, r, key)) continue;
      const itemType = db[data.start];
      if (itemType === ITEM_KEYDATA) {
        values.push(db.subarray(data.start + 1, data.end));
      } else if (itemType === ITEM_OFFPAGE) {
        if (data.end - data.start < OFFPAGE_SIZE)
          throw new InputError(`${file}: page ${page} off-page item is truncated`);
        values.push(readOverflow(db, r, pageSize, pageCount, r.u32(data.start + 4), r.u32(data.start + 8), file));
      } else {
        throw new InputError(`${file}: page ${page} item ${i + 1} has unsupported type ${itemType}`);
      }
    }
  }
  return values;
}

function byteOrder(db: Buffer, file: string): Reader {
  if (db.readUInt32LE(12) === HASH_MAGIC) {
    return { u16: (at) => db.readUInt16LE(at), u32: (at) => db.readUInt32LE(at) };
  }
  if (db.readUInt32BE(12) === HASH_MAGIC) {
    return { u16: (at) => db.readUInt16BE(at), u32: (at) => db.readUInt32BE(at) };
  }
  throw new InputError(`${file}: not a Berkeley DB hash file (bad magic)`);
}

function itemBounds(r: Reader, base: number, pageSize: number, index: number, file: string, page: number) {
  const start = r.u16(base + PAGE_HEADER_SIZE + index * 2);
  const end = index === 0 ? pageSize : r.u16(base + PAGE_HEADER_SIZE + (index - 1) * 2);
  if (start < PAGE_HEADER_SIZE || start >= end || end > pageSize) {
    throw new InputError(`${file}: page ${page} item ${index} lies outside the page`);
  }
  return { start: base + start, end: base + end };
}

/** rpm keeps its next instance number under key 0; that record is not a header. */
function isInstanceCounter(db: Buffer, r: Reader, key: { start: number; end: number }): boolean {
  return db[key.start] === ITEM_KEYDATA && key.end - key.start === 5 && r.u32(key.start + 1) === 0;
}

function readOverflow(
  db: Buffer,
  r: Reader,
  pageSize: number,
  pageCount: number,
  firstPage: number,
  totalLength: number,
  file: string,
): Buffer {
  if (totalLength > db.length)
    throw new InputError(`${file}: overflow record of ${totalLength} bytes exceeds the file`);
  const out = Buffer.allocUnsafe(totalLength);
  let filled = 0;
  let page = firstPage;
  // A chain can visit each page once at most; more means a cycle.
  for (let hops = 0; filled < totalLength; hops++) {
    if (page === 0 || page >= pageCount || hops >= pageCount) {
      throw new InputError(`${file}: overflow chain broken at page ${page}`);
    }
    const base = page * pageSize;
    if (db[base + 25] !== PAGE_OVERFLOW) throw new InputError(`${file}: page ${page} is not an overflow page`);
    const len = r.u16(base + 22);
    if (len > pageSize - PAGE_HEADER_SIZE || filled + len > totalLength) {
      throw new InputError(`${file}: overflow page ${page} holds ${len} bytes, inconsistent with the record`);
    }
    db.copy(out, filled, base + PAGE_HEADER_SIZE, base + PAGE_HEADER_SIZE + len);
    filled += len;
    page = r.u32(base + 16);
  }
  if (filled !== totalLength)
    throw new InputError(`${file}: overflow record ends after ${filled} of ${totalLength} bytes`);
  return out;
}

// Reads the header blobs of rpm's native NDB package database (`Packages.db`): a 32-byte file
// header, slot pages of 16-byte slots, and blob records addressed in 16-byte blocks.

import { InputError } from '@palisade/core';

const HEADER_MAGIC = 0x506d7052; // "RpmP" read as a little-endian word
const SLOT_MAGIC = 0x746f6c53; // "Slot"
const BLOB_MAGIC = 0x53626c42; // "BlbS"
const PAGE_SIZE = 4096;
const FILE_HEADER_SIZE = 32;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const BLOB_HEADER_SIZE = 16;

/** Returns the header blob of every used slot, in slot order. */
export function readNdbBlobs(db: Buffer, file: string): Buffer[] {
  if (db.length < FILE_HEADER_SIZE)
    throw new InputError(`${file}: ${db.length} bytes is too short for an NDB database`);
  const u32 = wordReader(db, file);
  if (u32(4) !== 0) throw new InputError(`${file}: NDB version ${u32(4)} is not supported`);
  const slotPages = u32(12);
  const slotsEnd = slotPages * PAGE_SIZE;
  if (slotPages === 0 || slotsEnd > db.length) {
    throw new InputError(`${file}: NDB declares ${slotPages} slot pages but the file has ${db.length} bytes`);
  }

  const blobs: Buffer[] = [];
  for (let at = FILE_HEADER_SIZE; at + SLOT_SIZE <= slotsEnd; at += SLOT_SIZE) {
    if (u32(at) !== SLOT_MAGIC) throw new InputError(`${file}: NDB slot at byte ${at} has a bad magic`);
    const pkgIndex = u32(at + 4);
    if (pkgIndex === 0) continue; // free slot
    const blockOffset = u32(at + 8);
    const blockCount = u32(at + 12);
    const start = blockOffset * BLOCK_SIZE;
    const end = start + blockCount * BLOCK_SIZE;
    if (start < slotsEnd || end > db.length || blockCount * BLOCK_SIZE < BLOB_HEADER_SIZE) {
      throw new InputError(`${file}: NDB package ${pkgIndex} points outside the blob area`);
    }
    if (u32(start) !== BLOB_MAGIC) throw new InputError(`${file}: NDB package ${pkgIndex} blob has a bad magic`);
    if (u32(start + 4) !== pkgIndex) throw new InputError(`${file}: NDB blob does not belong to package ${pkgIndex}`);
    const length = u32(start + 12);
    if (start + BLOB_HEADER_SIZE + length > end) {
      throw new InputError(
        `${file}: NDB package ${pkgIndex} blob of ${length} bytes overruns its ${blockCount} blocks`,
      );
    }
    blobs.push(db.subarray(start + BLOB_HEADER_SIZE, start + BLOB_HEADER_SIZE + length));
  }
  return blobs;
}

/** rpm writes NDB in host byte order; the file magic tells which one. */
function wordReader(db: Buffer, file: string): (at: number) => number {
  if (db.readUInt32LE(0) === HEADER_MAGIC) return (at) => db.readUInt32LE(at);
  if (db.readUInt32BE(0) === HEADER_MAGIC) return (at) => db.readUInt32BE(at);
  throw new InputError(`${file}: not an rpm NDB database (bad magic)`);
}

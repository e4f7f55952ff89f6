// Reads the few tags Palisade needs from an rpm header blob as rpmdb stores it (index entries +
// data store, no lead or magic). Only the wanted tags are decoded; every offset is bounds-checked.

import { InputError } from '@palisade/core';

const TAG_NAME = 1000;
const TAG_VERSION = 1001;
const TAG_RELEASE = 1002;
const TAG_EPOCH = 1003;
const TAG_LICENSE = 1014;
const TAG_VENDOR = 1011;
const TAG_ARCH = 1022;
const TAG_SOURCERPM = 1044;
const TAG_MODULARITYLABEL = 5096;

const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

// rpm's own sanity limits (lib/header.c hdrchkTags / hdrchkData): anything above is corrupt.
const MAX_INDEX_ENTRIES = 0x0000ffff;
const MAX_DATA_LENGTH = 0x0fffffff;
const ENTRY_SIZE = 16;

export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  /** 0 when the header has no EPOCH tag, as `%{EPOCHNUM}` prints it. */
  epoch: number;
  arch?: string;
  sourceRpm?: string;
  license?: string;
  vendor?: string;
  modularityLabel?: string;
}

/** Parses one header blob; `where` names the database and record for error messages. */
export function parseRpmHeader(blob: Buffer, where: string): RpmHeader {
  if (blob.length < 8) throw new InputError(`${where}: rpm header of ${blob.length} bytes is too short`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il === 0 || il > MAX_INDEX_ENTRIES) throw new InputError(`${where}: rpm header has ${il} index entries`);
  if (dl > MAX_DATA_LENGTH) throw new InputError(`${where}: rpm header data length ${dl} is too large`);
  const dataStart = 8 + il * ENTRY_SIZE;
  const dataEnd = dataStart + dl;
  if (dataEnd > blob.length) {
    throw new InputError(`${where}: rpm header declares ${dataEnd} bytes but the record has ${blob.length}`);
  }

  const strings = new Map<number, string>();
  let epoch = 0;
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = blob.readUInt32BE(at);
    if (!WANTED.has(tag)) continue;
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readUInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (offset >= dl) throw new InputError(`${where}: rpm tag ${tag} points outside the header data`);
    if (tag === TAG_EPOCH) {
      if (type !== TYPE_INT32 || count < 1 || offset + 4 > dl) {
        throw new InputError(`${where}: rpm EPOCH tag is malformed`);
      }
      epoch = blob.readUInt32BE(dataStart + offset);
      continue;
    }
    if (type !== TYPE_STRING && type !== TYPE_I18NSTRING && type !== TYPE_STRING_ARRAY) {
      throw new InputError(`${where}: rpm tag ${tag} has type ${type}, expected a string`);
    }
    // Later entries (rpm's "dribble" data after the immutable region) override earlier ones.
    strings.set(tag, readCString(blob, dataStart + offset, dataEnd, where, tag));
  }

  const name = strings.get(TAG_NAME);
  const version = strings.get(TAG_VERSION);
  const release = strings.get(TAG_RELEASE);
  if (!name || !version || !release) {
    throw new InputError(`${where}: rpm header lacks NAME, VERSION or RELEASE`);
  }
  const header: RpmHeader = { name, version, release, epoch };
  const optional: [keyof RpmHeader, number][] = [
    ['arch', TAG_ARCH],
    ['sourceRpm', TAG_SOURCERPM],
    ['license', TAG_LICENSE],
    ['vendor', TAG_VENDOR],
    ['modularityLabel', TAG_MODULARITYLABEL],
  ];
  for (const [key, tag] of optional) {
    const v = strings.get(tag);
    if (v !== undefined && v !== '' && v !== '(none)') (header as unknown as Record<string, string>)[key] = v;
  }
  return header;
}

const WANTED = new Set([
  TAG_NAME,
  TAG_VERSION,
  TAG_RELEASE,
  TAG_EPOCH,
  TAG_LICENSE,
  TAG_VENDOR,
  TAG_ARCH,
  TAG_SOURCERPM,
  TAG_MODULARITYLABEL,
]);

function readCString(blob: Buffer, start: number, end: number, where: string, tag: number): string {
  const nul = blob.indexOf(0, start);
  if (nul < 0 || nul >= end) throw new InputError(`${where}: rpm tag ${tag} string is not terminated`);
  return blob.toString('utf8', start, nul);
}

export interface SourceRpm {
  name: string;
  version: string;
  release: string;
}

/** Splits "bash-5.1.8-6.el9.src.rpm" into name, version and release; undefined when it is not that shape. */
export function parseSourceRpm(file: string): SourceRpm | undefined {
  let base = file;
  for (const suffix of ['.src.rpm', '.nosrc.rpm']) {
    if (base.endsWith(suffix)) {
      base = base.slice(0, -suffix.length);
      break;
    }
  }
  if (base === file) return undefined;
  const relDash = base.lastIndexOf('-');
  if (relDash <= 0) return undefined;
  const verDash = base.lastIndexOf('-', relDash - 1);
  if (verDash <= 0) return undefined;
  return {
    name: base.slice(0, verDash),
    version: base.slice(verDash + 1, relDash),
    release: base.slice(relDash + 1),
  };
}

/** The version string OSV's RPM ecosystems compare: "epoch:version-release", epoch only when > 0. */
export function rpmEvr(epoch: number, version: string, release: string): string {
  return epoch > 0 ? `${epoch}:${version}-${release}` : `${version}-${release}`;
}

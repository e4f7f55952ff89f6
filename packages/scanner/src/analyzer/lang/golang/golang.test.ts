import { describe, expect, it } from 'vitest';
import { fixture, ids, run } from '../__fixtures__/harness.js';
import { goBinaryAnalyzer } from './binary.js';
import { readGoBuildInfo } from './build-info.js';
import { goModAnalyzer } from './go-mod.js';

const EXEC = 0o100755;

/** `go version -m` output (the Go toolchain's own reading of the fixture) → expected packages. */
function goVersionM(): { goVersion: string; expected: string[] } {
  const lines = fixture('go', 'fixtureapp.go-version-m.txt').toString().split('\n');
  const goVersion = lines[0]!.split(': ')[1]!.trim();
  const expected = [`stdlib@${goVersion.replace(/^go/, '')}`];
  let pending: string | undefined;
  const flush = () => {
    if (pending) expected.push(pending);
    pending = undefined;
  };
  for (const line of lines.slice(1)) {
    const f = line.trim().split('\t');
    if (f[0] === 'dep') {
      flush();
      pending = `${f[1]}@${f[2]!.replace(/^v/, '')}`;
    } else if (f[0] === '=>') {
      // Replaced by a module: that module is what was built; by a local directory: nothing to match.
      pending = f[1]!.startsWith('.') ? undefined : `${f[1]}@${f[2]!.replace(/^v/, '')}`;
    }
  }
  flush();
  return { goVersion, expected: expected.sort() };
}

describe('Go binaries', () => {
  it('reads the 1.18+ inline build info of a real stripped binary as `go version -m` shows it', async () => {
    const { expected } = goVersionM();
    const { packages, warnings, result } = await run(
      goBinaryAnalyzer,
      'usr/bin/fixtureapp',
      fixture('go', 'fixtureapp'),
      EXEC,
    );
    expect(warnings).toEqual([]);
    expect(result?.packageSets?.[0]).toMatchObject({ type: 'gobinary', filePath: 'usr/bin/fixtureapp' });
    expect(ids(packages)).toEqual(expected);
    expect(ids(packages)).toEqual(['github.com/acme/colors@1.0.0', 'github.com/fork/shout@0.4.1', 'stdlib@1.19.8']);
    expect(packages.find((p) => p.name === 'github.com/fork/shout')).toEqual({
      name: 'github.com/fork/shout',
      version: '0.4.1',
      ecosystem: 'Go',
      purl: 'pkg:golang/github.com/fork/shout@v0.4.1',
      filePath: 'usr/bin/fixtureapp',
    });
    expect(packages.find((p) => p.name === 'stdlib')?.purl).toBe('pkg:golang/stdlib@v1.19.8');
  });

  it('keeps the main module path and the replacement chain', () => {
    const found = readGoBuildInfo(fixture('go', 'fixtureapp'));
    expect(found.kind).toBe('go');
    if (found.kind !== 'go') return;
    expect(found.info.goVersion).toBe('go1.19.8');
    expect(found.info.path).toBe('example.com/fixtureapp');
    expect(found.info.main).toEqual({ path: 'example.com/fixtureapp', version: '(devel)' });
    expect(found.info.deps[0]).toEqual({
      path: 'example.com/greeter',
      version: 'v1.2.3',
      replace: { path: '../greeter', version: '(devel)' },
    });
  });

  it.each([
    { is64: true, le: true },
    { is64: false, le: false },
  ])('decodes the pre-1.18 pointer layout from a synthetic ELF (%o)', async (layout) => {
    const elf = pointerFormatElf(
      'go1.16.15',
      'path\tex.com/old\nmod\tex.com/old\tv1.0.0\t\ndep\tgithub.com/a/b\tv0.3.0\th1:x=\n',
      layout,
    );
    const { packages, warnings } = await run(goBinaryAnalyzer, 'bin/old', elf, EXEC);
    expect(warnings).toEqual([]);
    expect(ids(packages)).toEqual(['ex.com/old@1.0.0', 'github.com/a/b@0.3.0', 'stdlib@1.16.15']);
  });

  it('finds the inline build info in a PE or Mach-O file by scanning for the aligned magic', async () => {
    const { packages } = await run(
      goBinaryAnalyzer,
      'app.exe',
      inlineNonElf('MZ', 'go1.21.5', 'dep\tgithub.com/x/y\tv1.1.0\t\n'),
      EXEC,
    );
    expect(ids(packages)).toEqual(['github.com/x/y@1.1.0', 'stdlib@1.21.5']);
  });

  it('says nothing about non-Go executables: other ELF files, scripts, garbage, truncated headers', async () => {
    const fake = Buffer.alloc(4096);
    fake.write('\x7fELF', 'latin1');
    fake[4] = 2;
    fake[5] = 1;
    for (const content of [fake, Buffer.from('#!/bin/sh\necho hi\n'.repeat(100)), Buffer.alloc(2048, 0xff)]) {
      const r = await run(goBinaryAnalyzer, 'bin/x', content, EXEC);
      expect(r.result).toBeUndefined();
      expect(r.warnings).toEqual([]);
    }
    const truncated = fixture('go', 'fixtureapp').subarray(0, 200_000);
    expect((await run(goBinaryAnalyzer, 'bin/t', truncated, EXEC)).result).toBeUndefined();
  });

  it('asks only for executable regular files of a plausible size', () => {
    expect(goBinaryAnalyzer.required('usr/bin/app', { size: 2_000_000, mode: 0o100755 })).toBe(true);
    expect(goBinaryAnalyzer.required('etc/app.conf', { size: 2_000_000, mode: 0o100644 })).toBe(false);
    expect(goBinaryAnalyzer.required('usr/bin/tiny', { size: 10, mode: 0o100755 })).toBe(false);
  });
});

describe('go.mod', () => {
  it('lists requirements, follows module replacements, drops local ones, adds the toolchain as stdlib', async () => {
    const { packages, warnings } = await run(goModAnalyzer, 'svc/go.mod', fixture('go', 'go.mod.fixture'));
    expect(warnings).toEqual([]);
    expect(ids(packages)).toEqual([
      'github.com/gorilla/mux@1.8.1',
      'github.com/new/thing@1.2.0',
      'github.com/pkg/errors@0.9.1',
      'golang.org/x/text@0.14.0',
      'gopkg.in/yaml.v3@3.0.1',
      'stdlib@1.22.4',
    ]);
    expect(packages.find((p) => p.name === 'gopkg.in/yaml.v3')?.purl).toBe('pkg:golang/gopkg.in/yaml.v3@v3.0.1');
  });

  it('reads the fixture binary’s own go.mod', async () => {
    const { packages } = await run(goModAnalyzer, 'go.mod', fixture('go', 'binary-src', 'app', 'go.mod'));
    expect(ids(packages)).toEqual(['github.com/acme/colors@1.0.0', 'github.com/fork/shout@0.4.1']);
  });

  it('uses a three-part go line as the minimum stdlib when there is no toolchain line', async () => {
    const { packages } = await run(goModAnalyzer, 'go.mod', 'module x\n\ngo 1.21.0\n');
    expect(ids(packages)).toEqual(['stdlib@1.21.0']);
    expect((await run(goModAnalyzer, 'go.mod', 'module x\ngo 1.20\n')).result).toBeUndefined();
  });
});

/** An ELF file (64-bit LE or 32-bit BE) with a .go.buildinfo section in the old pointer layout and a .data section holding the strings. */
function pointerFormatElf(
  version: string,
  modinfo: string,
  layout: { is64: boolean; le: boolean } = { is64: true, le: true },
): Buffer {
  const { is64, le } = layout;
  const ptrSize = is64 ? 8 : 4;
  const buf = Buffer.alloc(0x800);
  const w16 = (v: number, o: number) => (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o));
  const w32 = (v: number, o: number) => (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  const word = (v: number, o: number) =>
    is64 ? (le ? buf.writeBigUInt64LE(BigInt(v), o) : buf.writeBigUInt64BE(BigInt(v), o)) : w32(v, o);
  buf.write('\x7fELF', 0, 'latin1');
  buf[4] = is64 ? 2 : 1;
  buf[5] = le ? 1 : 2;
  buf[6] = 1;
  const BI_OFF = 0x100;
  const BI_ADDR = 0x500100;
  const DATA_OFF = 0x200;
  const DATA_ADDR = 0x600000;
  const STR_OFF = 0x600;
  // .go.buildinfo: magic, pointer size, flags (bit 0: big endian; bit 1 clear: pointer layout), two pointers.
  buf.write('\xff Go buildinf:', BI_OFF, 'latin1');
  buf[BI_OFF + 14] = ptrSize;
  buf[BI_OFF + 15] = le ? 0 : 1;
  word(DATA_ADDR, BI_OFF + 16);
  word(DATA_ADDR + 2 * ptrSize, BI_OFF + 16 + ptrSize);
  // .data: two string headers {data, len}, then the bytes (modinfo wrapped in 16-byte sentinels).
  const sentinelStart = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
  const sentinelEnd = Buffer.from('f932433186182072008242104116d8f2', 'hex');
  const mod = Buffer.concat([sentinelStart, Buffer.from(modinfo), sentinelEnd]);
  const vAt = 32;
  const mAt = vAt + version.length;
  word(DATA_ADDR + vAt, DATA_OFF);
  word(version.length, DATA_OFF + ptrSize);
  word(DATA_ADDR + mAt, DATA_OFF + 2 * ptrSize);
  word(mod.length, DATA_OFF + 3 * ptrSize);
  buf.write(version, DATA_OFF + vAt, 'latin1');
  mod.copy(buf, DATA_OFF + mAt);
  const names = '\0.go.buildinfo\0.data\0.shstrtab\0';
  buf.write(names, STR_OFF, 'latin1');
  const SH_OFF = 0x680;
  const shentsize = is64 ? 64 : 40;
  const sections = [
    { name: 0, type: 0, addr: 0, off: 0, size: 0 },
    { name: 1, type: 1, addr: BI_ADDR, off: BI_OFF, size: 32 },
    { name: 15, type: 1, addr: DATA_ADDR, off: DATA_OFF, size: 0x300 },
    { name: 21, type: 3, addr: 0, off: STR_OFF, size: names.length },
  ];
  sections.forEach((s, i) => {
    const h = SH_OFF + i * shentsize;
    w32(s.name, h);
    w32(s.type, h + 4);
    word(s.addr, h + (is64 ? 0x10 : 0x0c));
    word(s.off, h + (is64 ? 0x18 : 0x10));
    word(s.size, h + (is64 ? 0x20 : 0x14));
  });
  word(SH_OFF, is64 ? 0x28 : 0x20);
  w16(shentsize, is64 ? 0x3a : 0x2e);
  w16(sections.length, is64 ? 0x3c : 0x30);
  w16(3, is64 ? 0x3e : 0x32);
  return buf;
}

/** A file with the given leading bytes and an inline-layout build info block at offset 0x200. */
function inlineNonElf(lead: string, version: string, modinfo: string): Buffer {
  const buf = Buffer.alloc(0x400);
  buf.write(lead, 0, 'latin1');
  buf.write('\xff Go buildinf:', 0x200, 'latin1');
  buf[0x200 + 14] = 8;
  buf[0x200 + 15] = 2;
  let at = 0x200 + 32;
  buf[at++] = version.length;
  at += buf.write(version, at, 'latin1');
  buf[at++] = modinfo.length;
  buf.write(modinfo, at, 'latin1');
  return buf;
}

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../../test-support/paths.js';
import { dpkgStatusAnalyzer, parseDpkgStatus } from './dpkg-status.js';
import { finalizeOsPackages } from './finalize-os-packages.js';

const fixture = path.join(repoRoot, 'packages/scanner/test/fixtures/os-pkgs/dpkg-status');

describe('parseDpkgStatus on this machine', () => {
  it('matches dpkg-query for every installed package (name, version, source name and version, arch)', () => {
    const status = readFileSync('/var/lib/dpkg/status');
    const oracle = execFileSync(
      'dpkg-query',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format, not a template
      ['-W', '-f', '${db:Status-Status} ${Package} ${Version} ${source:Package} ${source:Version} ${Architecture}\\n'],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    )
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('installed '))
      .map((l) => l.slice('installed '.length))
      .sort();
    const ours = parseDpkgStatus(status, 'var/lib/dpkg/status')
      .map((p) => `${p.name} ${p.version} ${p.srcName} ${p.srcVersion} ${p.arch}`)
      .sort();
    expect(oracle.length).toBeGreaterThan(50);
    expect(ours).toEqual(oracle);
  });
});

describe('parseDpkgStatus', () => {
  const pkgs = parseDpkgStatus(readFileSync(fixture), 'var/lib/dpkg/status');

  it('keeps only installed packages', () => {
    expect(pkgs.map((p) => p.name)).toEqual(['bash', 'bsdutils', 'libc6', 'tzdata', 'zlib1g']);
  });

  it('reads source name and version from "Source: name (version)", "Source: name" and no Source', () => {
    const by = new Map(pkgs.map((p) => [p.name, p]));
    expect(by.get('bash')).toMatchObject({ version: '5.2.15-2+b8', srcName: 'bash', srcVersion: '5.2.15-2' });
    expect(by.get('bsdutils')).toMatchObject({
      version: '1:2.38.1-5+deb12u3',
      srcName: 'util-linux',
      srcVersion: '2.38.1-5+deb12u3',
    });
    expect(by.get('libc6')).toMatchObject({ srcName: 'glibc', srcVersion: '2.36-9+deb12u14', multiArch: 'same' });
    expect(by.get('tzdata')).toMatchObject({ srcName: 'tzdata', srcVersion: '2025b-0+deb12u2', arch: 'all' });
  });

  it('treats distroless status.d stanzas without a Status field as installed', () => {
    const stanza = 'Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n\n';
    expect(parseDpkgStatus(stanza, 'var/lib/dpkg/status.d/libssl3', { assumeInstalled: true })).toMatchObject([
      { name: 'libssl3', version: '3.0.11-1~deb12u2', srcName: 'openssl', srcVersion: '3.0.11-1~deb12u2' },
    ]);
    expect(parseDpkgStatus(stanza, 'var/lib/dpkg/status')).toEqual([]);
  });

  it('accepts CRLF line ends and lower-case field names', () => {
    const text =
      'package: a\r\nstatus: install ok installed\r\nversion: 1.0\r\n\r\nPackage: b\r\nStatus: install ok installed\r\nVersion: 2\r\n';
    expect(parseDpkgStatus(text, 'status').map((p) => `${p.name}=${p.version}`)).toEqual(['a=1.0', 'b=2']);
  });

  it('names the file and line of a malformed line', () => {
    expect(() => parseDpkgStatus('Package: a\nnot a field\n', 'var/lib/dpkg/status')).toThrow(
      /var\/lib\/dpkg\/status:2: expected "Field: value"/,
    );
    expect(() => parseDpkgStatus('Status: install ok installed\nVersion: 1\n', 'status')).toThrow(/no Package field/);
  });

  it('throws only InputError on arbitrary text (fuzz)', () => {
    const line = fc.oneof(
      fc.constantFrom(
        'Package: p',
        'Status: install ok installed',
        'Version: 1.0-1',
        'Source: s (2)',
        'Source: x (',
        '',
      ),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        try {
          const out = parseDpkgStatus(lines.join('\n'), 'status');
          for (const p of out) expect(p.name && p.version).toBeTruthy();
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('dpkg analyzer', () => {
  it('marks the OS as distroless when it reads a status.d entry, and only then', async () => {
    const content = Buffer.from('Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n');
    const input = { path: 'var/lib/dpkg/status.d/base-files', size: content.length, mode: 0o100644, content };
    const result = await dpkgStatusAnalyzer.analyze(input, { warn: () => {} });
    expect(result?.os).toEqual({ family: 'debian', version: '', distroless: true });
    expect(result?.packageSets?.[0]?.packages.map((p) => p.name)).toEqual(['base-files']);
    const main = await dpkgStatusAnalyzer.analyze({ ...input, path: 'var/lib/dpkg/status' }, { warn: () => {} });
    expect(main?.os).toBeUndefined();
  });

  const info = { size: 100, mode: 0o100644 };
  it('wants the status file and distroless status.d entries, not their md5sums', () => {
    expect(dpkgStatusAnalyzer.required('var/lib/dpkg/status', info)).toBe(true);
    expect(dpkgStatusAnalyzer.required('var/lib/dpkg/status.d/base-files', info)).toBe(true);
    expect(dpkgStatusAnalyzer.required('var/lib/dpkg/status.d/base-files.md5sums', info)).toBe(false);
    expect(dpkgStatusAnalyzer.required('var/lib/dpkg/status-old', info)).toBe(false);
    expect(dpkgStatusAnalyzer.required('var/lib/dpkg/status.d/sub/x', info)).toBe(false);
  });

  it('gives Debian and Ubuntu purls once the OS is known', async () => {
    const content = readFileSync(fixture);
    const result = await dpkgStatusAnalyzer.analyze(
      { path: 'var/lib/dpkg/status', size: content.length, mode: 0o100644, content },
      { warn: () => {} },
    );
    const set = result?.packageSets?.[0];
    if (!set) throw new Error('no package set');
    expect(set).toMatchObject({ class: 'os-pkgs', type: 'dpkg', filePath: 'var/lib/dpkg/status' });
    const debian = finalizeOsPackages(set, { family: 'debian', version: '12.5' });
    const bsdutils = debian.packages.find((p) => p.name === 'bsdutils');
    expect(bsdutils?.ecosystem).toBe('Debian');
    expect(bsdutils?.purl).toBe('pkg:deb/debian/bsdutils@2.38.1-5+deb12u3?arch=amd64&distro=debian-12.5&epoch=1');
    const ubuntu = finalizeOsPackages(set, { family: 'ubuntu', version: '22.04' });
    expect(ubuntu.packages[0]?.ecosystem).toBe('Ubuntu');
    expect(ubuntu.packages[0]?.purl).toBe('pkg:deb/ubuntu/bash@5.2.15-2+b8?arch=amd64&distro=ubuntu-22.04');
  });
});

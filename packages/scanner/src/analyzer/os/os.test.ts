import type { OsInfo } from '@palisade/core';
import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../types.js';
import {
  mergeOsInfo,
  osAnalyzers,
  osInfoFromOsRelease,
  osReleaseAnalyzer,
  parseOsRelease,
  parseRedhatRelease,
} from './index.js';

const osRelease = (text: string) => osInfoFromOsRelease(parseOsRelease(text, 'etc/os-release'));

async function analyzeFile(path: string, text: string): Promise<OsInfo | undefined> {
  const content = Buffer.from(text);
  const info = { size: content.length, mode: 0o100644 };
  const analyzer = osAnalyzers.find((a: Analyzer) => a.required(path, info));
  if (!analyzer) throw new Error(`no analyzer wants ${path}`);
  return (await analyzer.analyze({ path, content, ...info }, { warn: () => {} }))?.os;
}

describe('os-release', () => {
  it.each([
    [
      'debian',
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
      { family: 'debian', version: '12', codename: 'bookworm', name: 'Debian GNU/Linux 12 (bookworm)' },
    ],
    [
      'ubuntu',
      'NAME="Ubuntu"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nUBUNTU_CODENAME=jammy\n',
      { family: 'ubuntu', version: '22.04', codename: 'jammy' },
    ],
    [
      'alpine',
      'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n',
      { family: 'alpine', version: '3.19.1' },
    ],
    [
      'wolfi',
      'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\n',
      { family: 'wolfi', version: '20230201' },
    ],
    [
      'chainguard',
      'ID=chainguard\nNAME="Chainguard"\nVERSION_ID="20230214"\n',
      { family: 'chainguard', version: '20230214' },
    ],
    [
      'rhel',
      'NAME="Red Hat Enterprise Linux"\nVERSION="9.3 (Plow)"\nID="rhel"\nVERSION_ID="9.3"\n',
      { family: 'redhat', version: '9.3' },
    ],
    ['centos', 'NAME="CentOS Linux"\nID="centos"\nVERSION_ID="7"\n', { family: 'centos', version: '7' }],
    ['rocky', 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\n', { family: 'rocky', version: '9.3' }],
    ['alma', 'NAME="AlmaLinux"\nID="almalinux"\nVERSION_ID="9.3"\n', { family: 'alma', version: '9.3' }],
    ['oracle', 'NAME="Oracle Linux Server"\nID="ol"\nVERSION_ID="8.9"\n', { family: 'oracle', version: '8.9' }],
    ['fedora', 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=39\n', { family: 'fedora', version: '39' }],
    ['amazon 2', 'NAME="Amazon Linux"\nID="amzn"\nVERSION_ID="2"\n', { family: 'amazon', version: '2' }],
    ['amazon 2023', 'NAME="Amazon Linux"\nID="amzn"\nVERSION_ID="2023"\n', { family: 'amazon', version: '2023' }],
    [
      'opensuse',
      'NAME="openSUSE Leap"\nID="opensuse-leap"\nVERSION_ID="15.5"\n',
      { family: 'opensuse', version: '15.5' },
    ],
    ['sles', 'NAME="SLES"\nID="sles"\nVERSION_ID="15.5"\n', { family: 'sles', version: '15.5' }],
    ['photon', 'NAME="VMware Photon OS"\nID=photon\nVERSION_ID=5.0\n', { family: 'photon', version: '5.0' }],
    [
      'distroless',
      'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\nVERSION="Debian GNU/Linux 12 (bookworm)"\n',
      { family: 'debian', version: '12', distroless: true, name: 'Distroless' },
    ],
    ['unknown', 'ID=plan9\nVERSION_ID=4\n', { family: 'unknown', version: '4' }],
  ])('identifies %s', (_, text, expected) => {
    expect(osRelease(text)).toMatchObject(expected);
  });

  it('handles comments, single quotes and escapes, and rejects lines that are not KEY=value', () => {
    expect(osRelease('# c\nID=\'debian\'\nPRETTY_NAME="A \\"q\\""\n')).toMatchObject({
      family: 'debian',
      name: 'A "q"',
    });
    expect(osRelease('NAME=x\n')).toBeUndefined();
    expect(() => parseOsRelease('ID=debian\nbogus\n', 'etc/os-release')).toThrow(
      /etc\/os-release:2: expected KEY=value/,
    );
  });

  it('throws only InputError on arbitrary text (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          osRelease(text);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
    );
  });

  it('is wanted at both os-release paths', () => {
    const info = { size: 10, mode: 0o100644 };
    expect(osReleaseAnalyzer.required('etc/os-release', info)).toBe(true);
    expect(osReleaseAnalyzer.required('usr/lib/os-release', info)).toBe(true);
    expect(osReleaseAnalyzer.required('etc/os-release.d/x', info)).toBe(false);
  });
});

describe('release files', () => {
  it('reads Debian, Alpine, Ubuntu lsb-release and the RHEL family', async () => {
    expect(await analyzeFile('etc/debian_version', '12.5\n')).toEqual({ family: 'debian', version: '12.5' });
    expect(await analyzeFile('etc/alpine-release', '3.19.1\n')).toEqual({ family: 'alpine', version: '3.19.1' });
    expect(
      await analyzeFile(
        'etc/lsb-release',
        'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.4 LTS"\n',
      ),
    ).toEqual({ family: 'ubuntu', version: '22.04', codename: 'jammy', name: 'Ubuntu 22.04.4 LTS' });
    expect(await analyzeFile('etc/lsb-release', 'DISTRIB_ID=LinuxMint\nDISTRIB_RELEASE=21\n')).toBeUndefined();
    expect(await analyzeFile('etc/centos-release', 'CentOS Linux release 7.9.2009 (Core)\n')).toMatchObject({
      family: 'centos',
      version: '7.9.2009',
      codename: 'Core',
    });
    expect(parseRedhatRelease('Red Hat Enterprise Linux release 9.3 (Plow)')).toMatchObject({
      family: 'redhat',
      version: '9.3',
    });
    expect(parseRedhatRelease('Rocky Linux release 9.3 (Blue Onyx)')?.family).toBe('rocky');
    expect(parseRedhatRelease('AlmaLinux release 9.3 (Shamrock Pampas Cat)')?.family).toBe('alma');
    expect(parseRedhatRelease('CentOS Stream release 9')).toMatchObject({ family: 'centos', version: '9' });
    expect(parseRedhatRelease('Oracle Linux Server release 8.9')).toMatchObject({ family: 'oracle', version: '8.9' });
    expect(parseRedhatRelease('Fedora release 39 (Thirty Nine)')?.family).toBe('fedora');
    expect(parseRedhatRelease('Some Linux release 1')).toBeUndefined();
  });
});

describe('mergeOsInfo', () => {
  const merge = (...infos: OsInfo[]) => infos.reduce<OsInfo | undefined>((acc, i) => mergeOsInfo(acc, i), undefined);

  it("takes Debian's point release from debian_version whichever file comes first", () => {
    const osr: OsInfo = {
      family: 'debian',
      version: '12',
      codename: 'bookworm',
      name: 'Debian GNU/Linux 12 (bookworm)',
    };
    const dv: OsInfo = { family: 'debian', version: '12.5' };
    const expected = {
      family: 'debian',
      version: '12.5',
      codename: 'bookworm',
      name: 'Debian GNU/Linux 12 (bookworm)',
    };
    expect(merge(osr, dv)).toEqual(expected);
    expect(merge(dv, osr)).toEqual(expected);
  });

  it('lets a derivative beat the base release file it also ships', () => {
    const ubuntu: OsInfo = { family: 'ubuntu', version: '22.04' };
    const sid: OsInfo = { family: 'debian', version: 'bookworm/sid' };
    expect(merge(sid, ubuntu)).toEqual(ubuntu);
    expect(merge(ubuntu, sid)).toEqual(ubuntu);
    const rocky: OsInfo = { family: 'rocky', version: '9.3' };
    expect(merge({ family: 'redhat', version: '9.3' }, rocky)).toEqual(rocky);
  });

  it('keeps the distroless mark and fills an empty version (Debian testing)', () => {
    expect(merge({ family: 'debian', version: '12', distroless: true }, { family: 'debian', version: '12.5' })).toEqual(
      {
        family: 'debian',
        version: '12.5',
        distroless: true,
      },
    );
    expect(merge({ family: 'debian', version: '' }, { family: 'debian', version: 'trixie/sid' })?.version).toBe(
      'trixie/sid',
    );
    expect(merge({ family: 'unknown', version: '1' }, { family: 'alpine', version: '3.19.1' })?.family).toBe('alpine');
  });
});

import type { OsInfo } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { distroEcosystemKey, matchesBySourceName } from './distro-ecosystem.js';

const os = (family: OsInfo['family'], version: string, name?: string): OsInfo => ({ family, version, name });

describe('distroEcosystemKey', () => {
  it.each([
    ['Debian', os('debian', '12.5'), 'Debian:12'],
    ['Debian', os('debian', '11'), 'Debian:11'],
    ['Ubuntu', os('ubuntu', '22.04'), 'Ubuntu:22.04:LTS'],
    ['Ubuntu', os('ubuntu', '23.10'), 'Ubuntu:23.10'],
    ['Ubuntu', os('ubuntu', '24.04.1'), 'Ubuntu:24.04:LTS'],
    ['Alpine', os('alpine', '3.19.1'), 'Alpine:v3.19'],
    ['AlmaLinux', os('alma', '9.4'), 'AlmaLinux:9'],
    ['Rocky Linux', os('rocky', '8.10'), 'Rocky Linux:8'],
    ['Red Hat', os('centos', '9'), 'Red Hat:9'],
    ['Amazon Linux', os('amazon', '2023'), 'Amazon Linux:2023'],
    ['SUSE', os('sles', '15.5'), 'SUSE:15.5'],
    ['openSUSE', os('opensuse', '15.6'), 'openSUSE:Leap 15.6'],
    ['openSUSE', os('opensuse', '20240101', 'openSUSE Tumbleweed'), 'openSUSE:Tumbleweed'],
    ['Wolfi', os('wolfi', '20230201'), 'Wolfi'],
  ] as const)('%s on %j → %s', (eco, info, key) => {
    expect(distroEcosystemKey(eco, info)).toBe(key);
  });

  it('gives up when the release cannot be told', () => {
    expect(distroEcosystemKey('Debian', undefined)).toBeUndefined();
    expect(distroEcosystemKey('Debian', os('debian', 'trixie/sid'))).toBeUndefined();
    expect(distroEcosystemKey('Alpine', os('alpine', '3'))).toBeUndefined();
    expect(distroEcosystemKey('npm', os('debian', '12'))).toBeUndefined();
  });

  it('knows which distros file advisories under source package names', () => {
    expect(matchesBySourceName('Debian')).toBe(true);
    expect(matchesBySourceName('Alpine')).toBe(true);
    expect(matchesBySourceName('AlmaLinux')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { ecosystemBase, ecosystemKey, packageKey } from './osv-keys.js';

describe('ecosystemKey', () => {
  it.each([
    ['Debian:12', 'Debian:12'],
    ['Ubuntu:22.04:LTS', 'Ubuntu:22.04:LTS'],
    ['Ubuntu:Pro:18.04:LTS', 'Ubuntu:Pro:18.04:LTS'],
    ['Alpine:v3.19', 'Alpine:v3.19'],
    ['AlmaLinux:9', 'AlmaLinux:9'],
    ['Red Hat:enterprise_linux:9::appstream', 'Red Hat:9'],
    ['Red Hat:enterprise_linux:8::baseos', 'Red Hat:8'],
    ['Red Hat:rhel_application_stack:1', 'Red Hat:rhel_application_stack:1'],
    ['SUSE:Linux Enterprise Server 15 SP5', 'SUSE:15.5'],
    ['SUSE:Linux Enterprise Module for Basesystem 15 SP5', 'SUSE:15.5'],
    ['SUSE:Linux Enterprise Server 12', 'SUSE:12.0'],
    ['SUSE:Linux Enterprise Server 15 SP6-LTSS', 'SUSE:Linux Enterprise Server 15 SP6-LTSS'],
    ['Maven:https://repo.example.test/maven2/', 'Maven'],
    ['npm', 'npm'],
    ['Go', 'Go'],
  ])('%s → %s', (eco, key) => {
    expect(ecosystemKey(eco)).toBe(key);
  });

  it('strips the release for the base ecosystem', () => {
    expect(ecosystemBase('Rocky Linux:9')).toBe('Rocky Linux');
    expect(ecosystemBase('crates.io')).toBe('crates.io');
  });
});

describe('packageKey', () => {
  it.each([
    ['PyPI', 'Zope.Interface', 'zope-interface'],
    ['PyPI', 'zope__interface', 'zope-interface'],
    ['Maven', 'org.apache.logging.log4j:log4j-core', 'org.apache.logging.log4j:log4j-core'],
    ['Maven', 'org.apache.logging.log4j/log4j-core', 'org.apache.logging.log4j:log4j-core'],
    ['npm', '@Scope/Name', '@Scope/Name'],
    ['NuGet', 'Newtonsoft.Json', 'newtonsoft.json'],
    ['Go', 'github.com/BurntSushi/toml', 'github.com/BurntSushi/toml'],
    ['Debian:12', 'openssl', 'openssl'],
  ])('%s %s → %s', (eco, name, key) => {
    expect(packageKey(eco, name)).toBe(key);
  });
});

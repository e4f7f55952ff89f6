import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGroup, parsePasswd, parseShadow } from './parsers/account-files.js';
import { parseKeyValueConfig } from './parsers/key-value-config.js';
import { parseModprobeConfig } from './parsers/modprobe-config.js';
import { parseSshdConfig } from './parsers/sshd-config.js';
import { parseSysctlConfig } from './parsers/sysctl-config.js';

const configText = fc
  .array(
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        'Include *.conf',
        'Include /etc/ssh/sshd_config',
        'Match User x',
        'Match all',
        'PermitRootLogin no',
        '#c',
        '',
        'install x /bin/false',
        'a = b',
        'KEY VALUE',
      ),
    ),
    { maxLength: 40 },
  )
  .map((lines) => lines.join('\n'));

describe('host-audit config parsers (fuzz)', () => {
  it('sshd_config parsing terminates on self-including files and keeps line numbers in range', async () => {
    await fc.assert(
      fc.asyncProperty(configText, configText, async (main, included) => {
        const files: Record<string, string> = { '/etc/ssh/sshd_config': main, '/etc/ssh/a.conf': included };
        const cfg = await parseSshdConfig('/etc/ssh/sshd_config', {
          read: async (p) => files[p],
          list: async (d) => (d === '/etc/ssh' ? ['a.conf', 'sshd_config'] : []),
        });
        for (const s of cfg.settings.values()) {
          const lines = (files[s.file] ?? '').split(/\r?\n/).length;
          expect(s.line).toBeGreaterThanOrEqual(1);
          expect(s.line).toBeLessThanOrEqual(lines);
          expect(s.keyword.toLowerCase()).not.toBe('include');
        }
      }),
      { numRuns: 200 },
    );
  });
  it('login.defs / key-value, sysctl.conf, modprobe.d and account parsers never throw', () => {
    fc.assert(
      fc.property(configText, (text) => {
        for (const e of parseKeyValueConfig(text).values()) expect(e.line).toBeGreaterThan(0);
        for (const s of parseSysctlConfig(text)) expect(s.key).not.toMatch(/\//);
        for (const d of parseModprobeConfig(text)) expect(d.module).not.toContain('-');
        parsePasswd(text);
        parseGroup(text);
        parseShadow(text);
      }),
      { numRuns: 500 },
    );
  });
  it('a second value for an sshd keyword never overrides the first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('yes', 'no', 'prohibit-password'),
        fc.constantFrom('yes', 'no'),
        async (a, b) => {
          const cfg = await parseSshdConfig('/etc/ssh/sshd_config', {
            read: async () => `permitrootlogin ${a}\nPermitRootLogin=${b}\n`,
            list: async () => [],
          });
          expect(cfg.settings.get('permitrootlogin')?.value).toBe(a);
        },
      ),
    );
  });
});

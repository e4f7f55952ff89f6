import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeEntryPath } from './entry-path.js';
import { compileSkipRules } from './skip-rules.js';

describe('normalizeEntryPath', () => {
  it.each([
    ['./etc/os-release', 'etc/os-release'],
    ['/usr/lib/x', 'usr/lib/x'],
    ['a//b/./c/', 'a/b/c'],
    ['a/../b', 'b'],
    ['.', ''],
    ['a\\..\\b', 'b'],
  ])('%s → %s', (raw, want) => {
    expect(normalizeEntryPath(raw)).toBe(want);
  });

  it.each(['../x', 'a/../../x', '/../etc/passwd', '..\\..\\win', 'a\0b'])('refuses %s', (raw) => {
    expect(normalizeEntryPath(raw)).toBeUndefined();
  });

  it('never yields a path with "..", a leading "/" or an empty segment', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('..', '.', 'a', 'b', '', '/', '\\', 'c.d'), { maxLength: 12 }), (parts) => {
        const out = normalizeEntryPath(parts.join('/'));
        if (out === undefined || out === '') return;
        expect(out.startsWith('/')).toBe(false);
        expect(out.split('/')).not.toContain('..');
        expect(out.split('/')).not.toContain('');
      }),
    );
  });
});

describe('compileSkipRules', () => {
  const rules = compileSkipRules(['node_modules', '**/.cache', '/var/log'], ['**/*.pem', 'etc/shadow']);

  it('skips directories by prefix or glob, and files below them', () => {
    expect(rules.skipDir('node_modules')).toBe(true);
    expect(rules.skipDir('a/b/.cache')).toBe(true);
    expect(rules.skipDir('var/log')).toBe(true);
    expect(rules.skipDir('var')).toBe(false);
    expect(rules.skipFile('node_modules/x/package.json')).toBe(true);
    expect(rules.skipFile('var/log/apt/history.log')).toBe(true);
    expect(rules.skipFile('src/node_modules_x/y')).toBe(false);
  });

  it('skips files by glob or exact path', () => {
    expect(rules.skipFile('certs/key.pem')).toBe(true);
    expect(rules.skipFile('etc/shadow')).toBe(true);
    expect(rules.skipFile('etc/shadow-')).toBe(false);
  });
});

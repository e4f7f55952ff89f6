import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fixture } from '../__fixtures__/harness.js';
import { parsePnpmYaml } from './pnpm-yaml.js';

/** The general YAML parser's view, with scalars as the strings/booleans the subset reader yields and lists dropped. */
function normalized(v: unknown): unknown {
  if (Array.isArray(v)) return undefined;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalized(x);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  return typeof v === 'boolean' ? v : String(v);
}

describe('pnpm YAML subset reader', () => {
  it.each(['pnpm-v5', 'pnpm-v6', 'pnpm-v9'])('reads %s exactly as the yaml library does', (dir) => {
    const text = fixture('npm', dir, 'pnpm-lock.yaml').toString();
    expect(parsePnpmYaml(text)).toEqual(normalized(parse(text)));
  });

  it('reads quoted keys, flow maps with quoted values and nested flow maps', () => {
    const text = [
      "'@a/b@1.0.0(p@2.0.0)':",
      "  resolution: {integrity: sha512-x, tarball: 'https://r/a, b.tgz'}",
      '  engines: {node: ">=6", deep: {x: y}}',
      "  it''s: 'it''s'",
    ].join('\n');
    expect(parsePnpmYaml(text)).toEqual({
      '@a/b@1.0.0(p@2.0.0)': {
        resolution: { integrity: 'sha512-x', tarball: 'https://r/a, b.tgz' },
        engines: { node: '>=6', deep: { x: 'y' } },
        "it''s": "it's",
      },
    });
  });
});

// `palisade rules check` through the built CLI, on Falco's own upstream rulesets.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../test-support/paths.js';
import { runPalisade } from './cli-harness.js';

describe('palisade rules check', () => {
  it("loads all 25 rules of Falco's stable ruleset unmodified (exit 0)", async () => {
    const r = await runPalisade(['rules', 'check', sharedDataPath('falco', 'falco_rules.yaml'), '-f', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.summary).toMatchObject({ total: 25, loaded: 25, failed: 0 });
    expect(report.rules.map((x: { name: string }) => x.name)).toContain('Terminal shell in container');
  });

  it('exits 1 and names the unknown field when a rule does not load, keeping the others', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-rules-'));
    const file = path.join(dir, 'custom.yaml');
    writeFileSync(
      file,
      [
        '- rule: good',
        '  desc: shell',
        '  condition: evt.type = execve and proc.name = bash',
        '  output: shell %proc.cmdline',
        '  priority: WARNING',
        '- rule: bad',
        '  desc: typo',
        '  condition: evt.type = execve and proc.nmae = bash',
        '  output: x',
        '  priority: WARNING',
        '',
      ].join('\n'),
    );
    const r = await runPalisade(['rules', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/loaded\s+good/);
    expect(r.stdout).toMatch(/proc\.nmae/);
  });

  it('exits 2 on a file that is not YAML', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-rules-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'rules: [\n');
    expect((await runPalisade(['rules', 'check', file])).code).toBe(2);
  });
});

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { hostCommand } from './host.js';

const root = mkdtempSync(path.join(tmpdir(), 'palisade-host-cli-'));
function put(rel: string, text: string, mode = 0o644): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, mode);
}
put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
put('etc/group', 'root:x:0:\nshadow:x:42:\n');
put('etc/shadow', 'root:$y$abc:19000::::::\n', 0o640);
put('proc/sys/kernel/randomize_va_space', '0\n');
put('proc/sys/kernel/yama/ptrace_scope', '1\n');

afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<{ out: string; code: number | undefined }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const cmd = hostCommand().exitOverride();
  await cmd.parseAsync(['audit', '--root', root, '--no-container', ...args], { from: 'user' });
  vi.restoreAllMocks();
  return { out, code: typeof process.exitCode === 'number' ? process.exitCode : undefined };
}

describe('palisade host audit', () => {
  it('prints the check table with PASS/FAIL and CIS sections and gates on failures', async () => {
    const { out, code } = await run('--only', '1.5.1,1.5.2,7.1.5');
    expect(out).toMatch(/FAIL\s+1\.5\.1\s+PAL-HOST-SYSCTL-01/);
    expect(out).toMatch(/PASS\s+1\.5\.2\s+PAL-HOST-SYSCTL-02/);
    expect(out).toMatch(/3 checks: 2 passed, 1 failed, 0 not applicable/);
    expect(code).toBe(1);
  });
  it('writes JSON with findings and every check, and --severity filters the gate', async () => {
    const { out, code } = await run(
      '--only',
      '1.5.1,1.5.2',
      '--format',
      'json',
      '--severity',
      'LOW',
      '--exit-code',
      '3',
    );
    const doc = JSON.parse(out) as {
      results: { findings: unknown[] }[];
      hostAudit: { results: { id: string; status: string }[] };
    };
    expect(doc.results[0]?.findings).toHaveLength(0);
    expect(doc.hostAudit.results.find((r) => r.id === 'PAL-HOST-SYSCTL-01')?.status).toBe('fail');
    expect(code).toBe(0);
  });
  it('writes SARIF and JUnit through the shared writers', async () => {
    const sarif = JSON.parse((await run('--only', '1.5.1', '--format', 'sarif')).out) as {
      runs: { results: { ruleId: string }[] }[];
    };
    expect(sarif.runs[0]?.results[0]?.ruleId).toBe('PAL-HOST-SYSCTL-01');
    expect((await run('--only', '1.5.1', '--format', 'junit')).out).toMatch(/PAL-HOST-SYSCTL-01/);
  });
  it('rejects a selector that matches nothing', async () => {
    await expect(run('--only', 'nothing-here')).rejects.toThrow(/matches no check/);
  });
});

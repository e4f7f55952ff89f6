import { describe, expect, it } from 'vitest';
import { runHostAudit } from './run-audit.js';

describe('host audit of this machine', () => {
  it('completes against the real / with a valid status and evidence for every check', async () => {
    const report = await runHostAudit({ root: '/' });
    expect(report.results.length).toBeGreaterThanOrEqual(80);
    for (const r of report.results) {
      expect(['pass', 'fail', 'not-applicable']).toContain(r.status);
      expect(r.evidence.length).toBeGreaterThan(0);
      for (const e of r.evidence) expect(typeof e.value).toBe('string');
      expect(r.evidence[0]?.value).not.toMatch(/^check error/);
    }
  }, 180_000);
});

import { describe, expect, it } from 'vitest';
import { parseSeverityList, severityFromScore, severityRank } from './severity.js';

describe('severity', () => {
  it('orders ranks from UNKNOWN to CRITICAL', () => {
    expect(severityRank('CRITICAL')).toBeGreaterThan(severityRank('HIGH'));
    expect(severityRank('LOW')).toBeGreaterThan(severityRank('UNKNOWN'));
  });
  it('parses comma lists case-insensitively and rejects unknown names', () => {
    expect([...parseSeverityList('high, Critical')]).toEqual(['HIGH', 'CRITICAL']);
    expect(() => parseSeverityList('HIGH,SEVERE')).toThrow(/unknown severity "SEVERE"/);
  });
  it('maps CVSS scores to the standard bands', () => {
    expect(severityFromScore(9.8)).toBe('CRITICAL');
    expect(severityFromScore(7.0)).toBe('HIGH');
    expect(severityFromScore(6.9)).toBe('MEDIUM');
    expect(severityFromScore(0.1)).toBe('LOW');
    expect(severityFromScore(0)).toBe('UNKNOWN');
  });
});

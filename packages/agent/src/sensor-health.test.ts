import { describe, expect, it } from 'vitest';
import { isoTimeNs } from './alert-id.js';
import { SENSOR_HEALTH_RULE, sensorHealthAlert } from './sensor-health.js';

describe('sensor health alerts', () => {
  it('maps each health status to a priority and keeps the details as output fields', () => {
    const ts = 1_796_000_000_123_456_800;
    const died = sensorHealthAlert(
      { ts, status: 'died', message: 'killed by SIGKILL', exitCode: null, signal: 'SIGKILL' },
      'n1',
    );
    expect(died).toMatchObject({
      rule: SENSOR_HEALTH_RULE,
      priority: 'Error',
      hostname: 'n1',
      time: isoTimeNs(ts),
      output_fields: { 'palisade.sensor.status': 'died', 'palisade.sensor.signal': 'SIGKILL' },
    });
    expect(died.output).toMatch(/^\d\d:\d\d:\d\d\.\d{9}: Error Palisade sensor died \(killed by SIGKILL\)$/);
    expect(sensorHealthAlert({ ts, status: 'gave-up', message: 'x' }, 'n1').priority).toBe('Critical');
    expect(
      sensorHealthAlert({ ts, status: 'drops', message: 'x', drops: 7 }, 'n1').output_fields['palisade.sensor.drops'],
    ).toBe(7);
    expect(sensorHealthAlert({ ts, status: 'restarted', message: 'x' }, 'n1').priority).toBe('Notice');
  });

  it('formats nanosecond times as Falco does', () => {
    expect(isoTimeNs(1_796_000_000_123_456_800)).toMatch(/^2026-11-30T\d\d:\d\d:\d\d\.123456\d{3}Z$/);
  });
});

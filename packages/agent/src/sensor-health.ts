// Turns the sensor supervisor's health reports into alerts of the `Palisade sensor health` rule,
// so a dead, restarting or dropping sensor shows up wherever alerts go.

import type { Alert, RulePriority } from '@palisade/core';
import type { SensorHealth, SensorHealthStatus } from '@palisade/sensor';
import { isoTimeNs } from './alert-id.js';

export const SENSOR_HEALTH_RULE = 'Palisade sensor health';

/** Losing the sensor for good is critical; a crash or lost events is an error; a recovery is a notice. */
export const HEALTH_PRIORITY: Readonly<Record<SensorHealthStatus, RulePriority>> = {
  started: 'Informational',
  restarted: 'Notice',
  drops: 'Warning',
  'stream-error': 'Error',
  died: 'Error',
  'gave-up': 'Critical',
};

function clock(ns: number): string {
  return isoTimeNs(ns).slice(11, 29);
}

export function sensorHealthAlert(h: SensorHealth, hostname: string): Alert {
  const priority = HEALTH_PRIORITY[h.status];
  const fields: Alert['output_fields'] = {
    'palisade.sensor.status': h.status,
    'palisade.sensor.message': h.message,
    'evt.time': h.ts,
  };
  if (h.exitCode !== undefined) fields['palisade.sensor.exit_code'] = h.exitCode;
  if (h.signal !== undefined) fields['palisade.sensor.signal'] = h.signal;
  if (h.drops !== undefined) fields['palisade.sensor.drops'] = h.drops;
  return {
    time: isoTimeNs(h.ts),
    rule: SENSOR_HEALTH_RULE,
    priority,
    output: `${clock(h.ts)}: ${priority} Palisade sensor ${h.status} (${h.message})`,
    output_fields: fields,
    tags: ['palisade', 'sensor', 'health'],
    hostname,
    source: 'internal',
  };
}

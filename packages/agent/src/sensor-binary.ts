// Where palisade-sensor is: an explicit path, PALISADE_SENSOR_BIN, or the sensor package's build
// output found through module resolution (which also works from the bundled `palisade` bin).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sensorBinaryPath } from '@palisade/sensor';

export function locateSensorBinary(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.PALISADE_SENSOR_BIN) return process.env.PALISADE_SENSOR_BIN;
  try {
    // The package entry is src/index.ts or dist/index.js; the binary sits in native/build beside both.
    const entry = fileURLToPath(import.meta.resolve('@palisade/sensor'));
    const bin = path.resolve(path.dirname(entry), '..', 'native', 'build', 'palisade-sensor');
    if (existsSync(bin)) return bin;
  } catch {
    // fall through to the sensor's own idea of its location
  }
  return sensorBinaryPath();
}

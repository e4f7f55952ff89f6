// Official JSON schemas, loaded from the npm packages that ship them, compiled once with ajv:
// CycloneDX 1.6 (from @cyclonedx/cyclonedx-library) and SARIF 2.1.0 (from @microsoft/jest-sarif).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { spdx23RequiredSchema } from './spdx-2.3-required.schema.js';

const require = createRequire(import.meta.url);
// ajv-formats is CommonJS: its function is the module itself, and also its `default`.
const addFormats = addFormatsPlugin.default;

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

export function cycloneDx16Validator() {
  const dir = path.join(packageDir('@cyclonedx/cyclonedx-library'), 'res', 'schema');
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // ajv-formats lacks the internationalised forms; check what can be checked without a full IRI parser.
  ajv.addFormat('iri-reference', (s: string) => !/[\s<>"{}|\\^`]/.test(s));
  ajv.addFormat('idn-email', (s: string) => /^[^\s@]+@[^\s@]+$/.test(s));
  // The bundled bom schema refers to its companions by their SNAPSHOT file names.
  for (const [file, id] of [
    ['spdx.SNAPSHOT.schema.json', 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json'],
    ['jsf-0.82.SNAPSHOT.schema.json', 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json'],
  ] as const) {
    ajv.addSchema({ ...readJson(path.join(dir, file)), $id: id });
  }
  return ajv.compile(readJson(path.join(dir, 'bom-1.6.SNAPSHOT.schema.json')));
}

export function sarif210Validator() {
  const file = path.join(packageDir('@microsoft/jest-sarif'), 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
  const { id, $schema: _draft04, ...rest } = readJson(file);
  // The schema is draft-04 (`id`); its keywords are otherwise valid draft-07, which ajv 8 reads.
  // One pattern in it (a language tag) is not valid under the `u` flag, so compile without it.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile({ ...rest, $id: id as string });
}

export function spdx23Validator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(spdx23RequiredSchema);
}

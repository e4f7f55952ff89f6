// Falco output templates: "text %proc.name %proc.aname[2]" compiled once into literal parts and
// bound extractors; rendering fills `<NA>` for missing values and collects output_fields.

import type { EventContext } from './event-context.js';
import { type Extractor, FieldArgError, type FieldValue, resolveField } from './fields.js';

interface OutputField {
  key: string;
  ex: Extractor;
}

export interface CompiledOutput {
  /** literals[i] precedes fields[i]; literals has one more entry than fields. */
  literals: string[];
  fields: OutputField[];
}

export class OutputTemplateError extends Error {
  constructor(
    message: string,
    readonly unknownFields: string[],
  ) {
    super(message);
  }
}

const FIELD_CHARS = /[A-Za-z0-9_.]/;

export function compileOutput(template: string): CompiledOutput {
  const literals: string[] = [];
  const fields: OutputField[] = [];
  const unknown: string[] = [];
  let lit = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch !== '%') {
      lit += ch;
      i++;
      continue;
    }
    if (template[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    let j = i + 1;
    while (j < template.length && FIELD_CHARS.test(template[j]!)) j++;
    let name = template.slice(i + 1, j);
    // A sentence-ending period is not part of the field name.
    while (name.endsWith('.')) {
      name = name.slice(0, -1);
      j--;
    }
    if (!name) {
      lit += '%';
      i++;
      continue;
    }
    let arg: string | undefined;
    if (template[j] === '[') {
      const close = template.indexOf(']', j);
      if (close > 0) {
        arg = template.slice(j + 1, close);
        j = close + 1;
      }
    }
    let resolved: ReturnType<typeof resolveField>;
    try {
      resolved = resolveField(name, arg);
    } catch (err) {
      if (!(err instanceof FieldArgError)) throw err;
      resolved = undefined;
    }
    if (!resolved) {
      unknown.push(arg === undefined ? name : `${name}[${arg}]`);
    } else {
      literals.push(lit);
      lit = '';
      fields.push({ key: resolved.key, ex: resolved.def.make(resolved.arg) });
    }
    i = j;
  }
  literals.push(lit);
  if (unknown.length) throw new OutputTemplateError(`unknown field(s) in output: ${unknown.join(', ')}`, unknown);
  return { literals, fields };
}

function outputValue(v: FieldValue): string | number | boolean | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.join(',');
  return v as string | number | boolean;
}

export function renderOutput(
  out: CompiledOutput,
  c: EventContext,
): { text: string; fields: Record<string, string | number | boolean | null> } {
  let text = out.literals[0]!;
  const fields: Record<string, string | number | boolean | null> = {};
  for (let i = 0; i < out.fields.length; i++) {
    const f = out.fields[i]!;
    const v = outputValue(f.ex(c));
    fields[f.key] = v;
    text += (v === null ? '<NA>' : String(v)) + out.literals[i + 1]!;
  }
  return { text, fields };
}

// Loads `.palisadeignore`: the plain form (one id per line, `#` comments, optional `exp:YYYY-MM-DD`,
// as .trivyignore) and the YAML form (`vulnerabilities`/`misconfigurations`/`secrets` lists).

import { readFile } from 'node:fs/promises';
import { errorMessage, InputError, NotFoundError } from '@palisade/core';
import { parse as parseYaml } from 'yaml';
import { isObject, type JsonObject } from '../artifact/sbom/json-shape.js';
import { isValidPurl } from './purl-match.js';
import type { IgnoreRule, IgnoreRules } from './types.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export async function loadIgnoreFile(file: string): Promise<IgnoreRules> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new NotFoundError(`${file}: ignore file not found`);
  }
  return parseIgnoreFile(text, file);
}

export function parseIgnoreFile(text: string, file: string): IgnoreRules {
  const yamlLike = /\.ya?ml$/i.test(file) || /^(vulnerabilities|misconfigurations|secrets)\s*:/m.test(text);
  return yamlLike ? parseYamlIgnore(text, file) : parsePlainIgnore(text, file);
}

function parsePlainIgnore(text: string, file: string): IgnoreRules {
  const rules: IgnoreRules = { file, vulnerabilities: [], misconfigurations: [], secrets: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const [id, ...rest] = line.split(/\s+/) as [string, ...string[]];
    const rule: IgnoreRule = { id };
    for (const token of rest) {
      const m = /^exp:(.*)$/.exec(token);
      if (!m) throw new InputError(`${file}:${i + 1}: unexpected "${token}" after the id (expected exp:YYYY-MM-DD)`);
      rule.expires = checkDate(m[1]!, `${file}:${i + 1}`);
    }
    // The plain form does not say what kind of id it is; the id applies to every finding type.
    rules.vulnerabilities.push(rule);
    rules.misconfigurations.push(rule);
    rules.secrets.push(rule);
  });
  return rules;
}

function parseYamlIgnore(text: string, file: string): IgnoreRules {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100, logLevel: 'error' });
  } catch (err) {
    throw new InputError(`${file}: invalid YAML (${errorMessage(err)})`);
  }
  if (doc === null || doc === undefined) return { file, vulnerabilities: [], misconfigurations: [], secrets: [] };
  if (!isObject(doc))
    throw new InputError(`${file}: expected a mapping with vulnerabilities, misconfigurations or secrets`);
  return {
    file,
    vulnerabilities: yamlRules(doc, 'vulnerabilities', file),
    misconfigurations: yamlRules(doc, 'misconfigurations', file),
    secrets: yamlRules(doc, 'secrets', file),
  };
}

function yamlRules(doc: JsonObject, key: string, file: string): IgnoreRule[] {
  const list = doc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new InputError(`${file}: "${key}" must be a list`);
  return list.map((item, i) => {
    const where = `${file}: ${key}[${i}]`;
    if (!isObject(item)) throw new InputError(`${where}: expected a mapping with an "id"`);
    if (typeof item.id !== 'string' || !item.id.trim())
      throw new InputError(`${where}: "id" must be a non-empty string`);
    const rule: IgnoreRule = { id: item.id.trim() };
    if (item.purls !== undefined) {
      rule.purls = stringList(item.purls, `${where}.purls`);
      for (const p of rule.purls)
        if (!isValidPurl(p)) throw new InputError(`${where}.purls: "${p}" is not a valid purl`);
    }
    if (item.paths !== undefined) rule.paths = stringList(item.paths, `${where}.paths`);
    if (item.expires !== undefined) {
      // YAML reads an unquoted 2025-01-31 as a date.
      const value = item.expires instanceof Date ? item.expires.toISOString().slice(0, 10) : item.expires;
      if (typeof value !== 'string') throw new InputError(`${where}.expires: expected YYYY-MM-DD`);
      rule.expires = checkDate(value, `${where}.expires`);
    }
    if (item.reason !== undefined) {
      if (typeof item.reason !== 'string') throw new InputError(`${where}.reason: expected a string`);
      rule.reason = item.reason;
    }
    return rule;
  });
}

function stringList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new InputError(`${where}: expected a list of strings`);
  return v as string[];
}

function checkDate(value: string, where: string): string {
  const t = Date.parse(`${value}T00:00:00Z`);
  // The round trip rejects days that do not exist (2025-02-30).
  if (!DATE.test(value) || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value) {
    throw new InputError(`${where}: invalid expiry date "${value}" (expected YYYY-MM-DD)`);
  }
  return value;
}

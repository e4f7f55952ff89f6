// Loads user rules written in CEL (the ValidatingAdmissionPolicy dialect) from YAML files:
// validates each against the JSON Schema, compiles every expression once, and yields K8sRules.

import { readFileSync } from 'node:fs';
import type { Severity } from '@palisade/core';
import { Ajv, type ErrorObject } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { MAX_ALIAS_COUNT } from '../kubernetes-parser.js';
import type { K8sResource } from '../kubernetes-resource.js';
import { RULES } from '../rules/index.js';
import type { K8sIssue, K8sRule } from '../types.js';
import { type CompiledExpression, compileCel, isCompileError, toCelValue } from './compile-expression.js';
import { USER_RULE_SCHEMA } from './user-rule-schema.js';

/** Rule files are written by hand; anything larger is a mistake. */
const MAX_RULE_FILE_BYTES = 1024 * 1024;

interface UserRuleDocument {
  apiVersion: 'palisade.dev/v1';
  kind: 'ConfigRule';
  id: string;
  severity: Severity;
  title: string;
  description?: string;
  remediation?: string;
  references?: string[];
  tags?: string[];
  match: { kinds: string[]; apiGroups?: string[] };
  validations: { expression: string; message?: string; messageExpression?: string }[];
  params?: unknown;
}

interface CompiledValidation {
  expression: string;
  evaluate: CompiledExpression;
  message?: string;
  messageExpression?: CompiledExpression;
}

export interface UserRuleLoad {
  rules: K8sRule[];
  /** One line per problem: file, rule id (or document), field path, and what is wrong. */
  errors: string[];
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validateRuleDocument = ajv.compile<UserRuleDocument>(USER_RULE_SCHEMA);

/** Reads and compiles every rule file; an unreadable file is an error of its own, never a throw. */
export function loadUserRules(files: readonly string[]): UserRuleLoad {
  const rules: K8sRule[] = [];
  const errors: string[] = [];
  const seenIds = new Map<string, string>(RULES.map((r) => [r.id, 'the built-in rules']));
  for (const file of files) {
    let text: string;
    try {
      const content = readFileSync(file);
      if (content.length > MAX_RULE_FILE_BYTES) {
        errors.push(`${file}: ${content.length} bytes is too large for a rule file`);
        continue;
      }
      text = content.toString('utf8');
    } catch (err) {
      errors.push(`${file}: cannot read: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const loaded = parseUserRules(file, text);
    errors.push(...loaded.errors);
    for (const rule of loaded.rules) {
      const earlier = seenIds.get(rule.id);
      if (earlier) {
        errors.push(`${file}: rule ${rule.id}: id already used by ${earlier}`);
        continue;
      }
      seenIds.set(rule.id, file);
      rules.push(rule);
    }
  }
  return { rules, errors };
}

/** Parses one rule file's text: documents holding a ConfigRule, or a list of them. */
export function parseUserRules(file: string, text: string): UserRuleLoad {
  const rules: K8sRule[] = [];
  const errors: string[] = [];
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  docs.forEach((doc, d) => {
    const where = `${file}: document ${d + 1}`;
    if (doc.errors.length > 0) {
      errors.push(`${where}: invalid YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
      return;
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      errors.push(`${where}: refused: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (data === null || data === undefined) return;
    const items = Array.isArray(data) ? data : [data];
    items.forEach((item, i) => {
      const label = Array.isArray(data) ? `${where}, item ${i + 1}` : where;
      const rule = compileUserRule(file, label, item, errors);
      if (rule) rules.push(rule);
    });
  });
  return { rules, errors };
}

function compileUserRule(file: string, label: string, data: unknown, errors: string[]): K8sRule | undefined {
  const id = typeof (data as { id?: unknown } | null)?.id === 'string' ? (data as { id: string }).id : undefined;
  const where = id ? `${file}: rule ${id}` : label;
  if (!validateRuleDocument(data)) {
    for (const e of validateRuleDocument.errors ?? []) errors.push(`${where}: ${describeSchemaError(e)}`);
    return undefined;
  }
  const validations: CompiledValidation[] = [];
  let failed = false;
  const compile = (expr: string, at: string): CompiledExpression | undefined => {
    const c = compileCel(expr);
    if (!isCompileError(c)) return c;
    errors.push(`${where}: ${at}: CEL error at line ${c.line}, column ${c.column}: ${c.message}`);
    failed = true;
    return undefined;
  };
  data.validations.forEach((v, i) => {
    const evaluate = compile(v.expression, `/validations/${i}/expression`);
    const messageExpression = v.messageExpression
      ? compile(v.messageExpression, `/validations/${i}/messageExpression`)
      : undefined;
    if (evaluate) validations.push({ expression: v.expression, evaluate, message: v.message, messageExpression });
  });
  if (failed) return undefined;
  return userRule(data, validations);
}

function describeSchemaError(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') {
    return `${at}: unknown field "${String(e.params.additionalProperty)}"`;
  }
  if (e.keyword === 'enum') return `${at}: ${e.message} (${(e.params.allowedValues as unknown[]).join(', ')})`;
  if (e.keyword === 'const') return `${at}: must be ${JSON.stringify(e.params.allowedValue)}`;
  return `${at}: ${e.message ?? e.keyword}`;
}

/** "apps/v1" → "apps"; "v1" → "" (the core group), as admission policies name groups. */
function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

// One conversion per resource, shared by every user rule that matches it.
const celObjects = new WeakMap<object, unknown>();
function celObjectOf(resource: K8sResource): unknown {
  let v = celObjects.get(resource.object);
  if (v === undefined) {
    v = toCelValue(resource.object);
    celObjects.set(resource.object, v);
  }
  return v;
}

function userRule(doc: UserRuleDocument, validations: CompiledValidation[]): K8sRule {
  const kinds = new Set(doc.match.kinds);
  const groups = doc.match.apiGroups ? new Set(doc.match.apiGroups) : undefined;
  const params = toCelValue(doc.params ?? null);
  return {
    target: 'kubernetes',
    id: doc.id,
    severity: doc.severity,
    title: doc.title,
    rationale: doc.description ?? doc.title,
    remediation: doc.remediation ?? 'See the rule author.',
    references: doc.references ?? [],
    frameworks: {},
    ...(doc.tags ? { tags: doc.tags } : {}),
    check(resource) {
      if (!kinds.has('*') && !kinds.has(resource.kind)) return [];
      if (groups && !groups.has('*') && !groups.has(apiGroupOf(resource.apiVersion))) return [];
      const bindings = { object: celObjectOf(resource), oldObject: null, params };
      const issues: K8sIssue[] = [];
      for (const v of validations) {
        const detail = failureDetail(v, bindings);
        if (detail !== undefined) issues.push({ path: resource.basePath, detail });
      }
      return issues;
    },
  };
}

/**
 * undefined when the validation passes. As with an admission policy's default failurePolicy
 * (Fail), an expression that errors or does not return a bool counts as a failure.
 */
function failureDetail(v: CompiledValidation, bindings: Parameters<CompiledExpression>[0]): string | undefined {
  let result: unknown;
  try {
    result = v.evaluate(bindings);
  } catch (err) {
    return `expression could not be evaluated (${firstLine(err)}): ${v.expression}`;
  }
  if (result === true) return undefined;
  if (result !== false) return `expression did not return a bool: ${v.expression}`;
  if (v.messageExpression) {
    try {
      const m = v.messageExpression(bindings);
      if (typeof m === 'string' && m.trim() !== '') return m;
    } catch {
      // VAP falls back to `message` when messageExpression fails; so do we.
    }
  }
  return v.message ?? `failed expression: ${v.expression}`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'error';
}

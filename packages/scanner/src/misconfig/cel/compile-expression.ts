// Compiles and evaluates CEL in the Kubernetes ValidatingAdmissionPolicy dialect: the variables
// `object`, `oldObject` and `params`, YAML data converted to CEL values (integers become int).

import { Environment } from '@marcbachmann/cel-js';

/** Parse-time limits: a rule file is user input, and an enormous expression is a mistake or an attack. */
const celEnvironment = new Environment({
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: 10_000, maxDepth: 100, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 },
})
  .registerVariable('object', 'dyn')
  .registerVariable('oldObject', 'dyn')
  .registerVariable('params', 'dyn');

export interface CelBindings {
  object: unknown;
  oldObject: unknown;
  params: unknown;
}

export type CompiledExpression = (bindings: CelBindings) => unknown;

export interface CelCompileError {
  /** 1-based line and column inside the expression text. */
  line: number;
  column: number;
  message: string;
}

/** Compiles once; returns the evaluator, or where and why the expression does not parse. */
export function compileCel(expression: string): CompiledExpression | CelCompileError {
  try {
    const evaluate = celEnvironment.parse(expression);
    return (bindings) => evaluate({ ...bindings });
  } catch (err) {
    const offset = errorOffset(err);
    const before = expression.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1) + 1;
    // The library appends a source excerpt with a caret; the position we report replaces it.
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'invalid expression';
    return { line, column, message };
  }
}

export function isCompileError(c: CompiledExpression | CelCompileError): c is CelCompileError {
  return typeof c !== 'function';
}

function errorOffset(err: unknown): number {
  const node = (err as { node?: { pos?: unknown } } | null)?.node;
  return typeof node?.pos === 'number' ? node.pos : 0;
}

/**
 * YAML data as CEL sees it: whole numbers are CEL ints (BigInt), as the API server's schema
 * types them, so `object.spec.replicas > 1` compares int with int.
 */
export function toCelValue(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCelValue);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) out[k] = toCelValue(val);
    return out;
  }
  return v;
}

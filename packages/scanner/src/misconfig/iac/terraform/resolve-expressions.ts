// Static evaluation of the Terraform references rules care about: `var.x` (defaults and module
// inputs), `local.y`, `each.*` and dynamic-block iterators; anything else stays as its `${…}` text.

import { isObject } from '../../kubernetes-resource.js';

export interface TerraformScope {
  vars: Record<string, unknown>;
  locals: Record<string, unknown>;
  each?: { key: string; value: unknown };
  /** Iterators of `dynamic` blocks being expanded: `ingress.value`, or the name `iterator` sets. */
  iterators?: Record<string, { key: string; value: unknown }>;
}

const WHOLE = /^\$\{\s*([A-Za-z_][\w-]*\.[\w-]+(?:\.[\w-]+|\[\d+\]|\["[^"]*"\])*)\s*\}$/;
const EMBEDDED = /\$\{\s*([A-Za-z_][\w-]*\.[\w-]+(?:\.[\w-]+|\[\d+\]|\["[^"]*"\])*)\s*\}/g;
const MISSING = Symbol('missing');

function lookup(ref: string, scope: TerraformScope, depth: number): unknown {
  const steps = [...ref.matchAll(/\.([\w-]+)|\[(\d+)\]|\["([^"]*)"\]/g)].map(
    (m) => m[1] ?? (m[2] ? Number(m[2]) : m[3]!),
  );
  const head = ref.slice(0, ref.search(/[.[]/));
  let node: unknown;
  const first = steps.shift();
  if (head === 'var') node = isObject(scope.vars) && typeof first === 'string' ? scope.vars[first] : undefined;
  else if (head === 'local') node = typeof first === 'string' ? scope.locals[first] : undefined;
  else if (head === 'each' && scope.each)
    node = first === 'key' ? scope.each.key : first === 'value' ? scope.each.value : undefined;
  else if (scope.iterators && Object.hasOwn(scope.iterators, head)) {
    const it = scope.iterators[head]!;
    node = first === 'key' ? it.key : first === 'value' ? it.value : undefined;
  }
  if (node === undefined) return MISSING;
  // A local may refer to another local or a variable: resolve it too, a bounded number of times.
  node = resolveValue(node, scope, depth + 1);
  for (const s of steps) {
    if (typeof s === 'number' && Array.isArray(node)) node = node[s];
    else if (typeof s === 'string' && isObject(node)) node = node[s];
    else return MISSING;
  }
  return node === undefined ? MISSING : node;
}

export function resolveValue(value: unknown, scope: TerraformScope, depth = 0): unknown {
  if (depth > 16) return value;
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const whole = WHOLE.exec(value);
    if (whole) {
      const v = lookup(whole[1]!, scope, depth);
      return v === MISSING ? value : v;
    }
    return value.replace(EMBEDDED, (text, ref: string) => {
      const v = lookup(ref, scope, depth);
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : text;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope, depth));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, scope, depth);
    return out;
  }
  return value;
}

/** An unresolved expression: the rules treat it as unknown rather than as a bad value. */
export function isExpression(v: unknown): boolean {
  return typeof v === 'string' && v.includes('${');
}

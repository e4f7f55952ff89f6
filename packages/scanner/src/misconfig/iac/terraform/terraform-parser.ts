// Reads a Terraform module (one or more .tf files) into resources: values from @cdktf/hcl2json,
// lines from the source, variables/locals/for_each resolved where static, local modules followed.

import path from 'node:path';
import { asArray, isObject, type JsonObject } from '../../kubernetes-resource.js';
import type { IacParseError, IacResource, ParsedIac } from '../iac-resource.js';
import { type HclNode, hclLineOf, scanHclStructure } from './hcl-structure.js';
import { resolveValue, type TerraformScope } from './resolve-expressions.js';

export interface TerraformFile {
  path: string;
  text: string;
}

export interface TerraformModuleOptions {
  /** Values for the module's variables (a parent module's arguments); defaults fill the rest. */
  inputs?: Record<string, unknown>;
  /** Prefix of resource names inside a child module: "module.network.". */
  addressPrefix?: string;
  /** Reads the .tf files of a local module directory; without it `module` blocks are not followed. */
  readModule?: (dir: string) => Promise<TerraformFile[]>;
  /** How deep local modules nest before we stop (a module that includes itself). */
  depth?: number;
}

interface ParsedFile {
  file: string;
  json: JsonObject;
  structure: HclNode;
}

type HclToJson = (filename: string, contents: string) => Promise<unknown>;
let hclToJsonLoaded: Promise<HclToJson> | undefined;

/** Loaded on first use: the package instantiates its WASM on import, which other scans need not pay for. */
function hclToJson(filename: string, contents: string): Promise<unknown> {
  hclToJsonLoaded ??= import('@cdktf/hcl2json').then((m) => m.parse as HclToJson);
  return hclToJsonLoaded.then((parse) => parse(filename, contents));
}

const HCL_ERROR = /\[?[^:[\]]+:(\d+),\d+(?:-\d+(?:,\d+)?)?: ([^;\]]+)/;

/** hcl2json reports "parse config: [main.tf:3,14-15: Unclosed configuration block; …]". */
function parseErrorOf(file: string, err: unknown): IacParseError {
  const text = err instanceof Error ? err.message : String(err);
  const m = HCL_ERROR.exec(text);
  return { file, line: m ? Number(m[1]) : 1, message: m ? m[2]!.trim() : text.slice(0, 200) };
}

function blocksOf(v: unknown): JsonObject[] {
  return asArray(v).filter(isObject);
}

export async function parseTerraformModule(
  files: readonly TerraformFile[],
  opts: TerraformModuleOptions = {},
): Promise<ParsedIac> {
  const errors: IacParseError[] = [];
  const warnings: string[] = [];
  const parsed: ParsedFile[] = [];
  for (const f of files) {
    try {
      const json = (await hclToJson(path.basename(f.path), f.text)) as unknown;
      parsed.push({ file: f.path, json: isObject(json) ? json : {}, structure: scanHclStructure(f.text) });
    } catch (err) {
      errors.push(parseErrorOf(f.path, err));
    }
  }
  const scope = moduleScope(parsed, opts.inputs ?? {});
  const resources: IacResource[] = [];
  const prefix = opts.addressPrefix ?? '';
  for (const pf of parsed) {
    for (const kind of ['resource', 'data'] as const) {
      const byType = pf.json[kind];
      if (!isObject(byType)) continue;
      for (const [type, byName] of Object.entries(byType)) {
        if (!isObject(byName)) continue;
        for (const [name, bodies] of Object.entries(byName)) {
          const body = blocksOf(bodies)[0];
          if (!body) continue;
          const node = findBlock(pf.structure, kind, type, name);
          const base = `${prefix}${kind === 'data' ? 'data.' : ''}${type}.${name}`;
          for (const instance of instances(body, scope)) {
            resources.push({
              source: 'terraform',
              type: kind === 'data' ? `data.${type}` : type,
              name: `${base}${instance.suffix}`,
              attrs: instance.attrs,
              file: pf.file,
              lineOf: (p) => (node ? hclLineOf(node, p) : 1),
            });
          }
        }
      }
    }
  }
  const depth = opts.depth ?? 0;
  if (opts.readModule && depth < 8) {
    for (const pf of parsed) {
      const modules = pf.json.module;
      if (!isObject(modules)) continue;
      for (const [name, bodies] of Object.entries(modules)) {
        const body = blocksOf(bodies)[0];
        const source = body?.source;
        // Only local paths: registry and git sources would need the network.
        if (!body || typeof source !== 'string' || !/^\.\.?\//.test(source)) continue;
        const dir = path.join(path.dirname(pf.file), source);
        let childFiles: TerraformFile[];
        try {
          childFiles = await opts.readModule(dir);
        } catch (err) {
          warnings.push(
            `${pf.file}: module "${name}" (${source}) cannot be read: ${err instanceof Error ? err.message : String(err)}`,
          );
          continue;
        }
        const inputs = resolveValue(body, scope) as JsonObject;
        const child = await parseTerraformModule(childFiles, {
          ...opts,
          inputs,
          addressPrefix: `${prefix}module.${name}.`,
          depth: depth + 1,
        });
        resources.push(...child.resources);
        errors.push(...child.errors);
        warnings.push(...child.warnings);
      }
    }
  }
  return { resources, errors, warnings };
}

function moduleScope(files: readonly ParsedFile[], inputs: Record<string, unknown>): TerraformScope {
  const vars: Record<string, unknown> = {};
  const locals: Record<string, unknown> = {};
  for (const pf of files) {
    const variables = pf.json.variable;
    if (isObject(variables)) {
      for (const [name, bodies] of Object.entries(variables)) {
        const body = blocksOf(bodies)[0];
        if (body && 'default' in body) vars[name] = body.default;
      }
    }
    for (const block of blocksOf(pf.json.locals)) Object.assign(locals, block);
  }
  for (const [k, v] of Object.entries(inputs)) if (k !== 'source' && k !== 'version') vars[k] = v;
  return { vars, locals };
}

interface Instance {
  suffix: string;
  attrs: JsonObject;
}

function entriesOf(collection: unknown[] | JsonObject): [string, unknown][] {
  return Array.isArray(collection) ? collection.map((v, i) => [String(i), v]) : Object.entries(collection);
}

/** `count = 0` creates nothing; a static `for_each` creates one instance per key. */
function instances(body: JsonObject, scope: TerraformScope): Instance[] {
  const count = resolveValue(body.count, scope);
  if (count === 0 || count === false || count === '0') return [];
  const forEach = resolveValue(body.for_each, scope);
  if (Array.isArray(forEach) || isObject(forEach)) {
    // A set of strings is keyed by its values, a map by its keys.
    const entries: [string, unknown][] = Array.isArray(forEach)
      ? forEach.map((v) => [String(v), v])
      : Object.entries(forEach);
    return entries.map(([key, value]) => {
      const each = { key, value };
      return { suffix: `["${key}"]`, attrs: expandDynamicBlocks(body, { ...scope, each }) };
    });
  }
  return [{ suffix: '', attrs: expandDynamicBlocks(body, scope) }];
}

/**
 * Resolves a body and turns each `dynamic "x"` with a static for_each into plain `x` blocks, so
 * rules see generated ingress rules like written ones. Unknown for_each leaves nothing behind.
 */
function expandDynamicBlocks(body: JsonObject, scope: TerraformScope, depth = 0): JsonObject {
  const { dynamic, ...rest } = body;
  const out = resolveValue(rest, scope) as JsonObject;
  for (const [k, v] of Object.entries(out)) {
    // Nested blocks may hold their own dynamic blocks.
    if (depth < 4 && Array.isArray(v))
      out[k] = v.map((b) => (isObject(b) && 'dynamic' in b ? expandDynamicBlocks(b, scope, depth + 1) : b));
  }
  if (!isObject(dynamic)) return out;
  for (const [name, defs] of Object.entries(dynamic)) {
    for (const def of blocksOf(defs)) {
      const collection = resolveValue(def.for_each, scope);
      if (!Array.isArray(collection) && !isObject(collection)) continue;
      const iterator = typeof def.iterator === 'string' ? def.iterator : name;
      const content = blocksOf(def.content)[0] ?? {};
      const generated = entriesOf(collection).map(([key, value]) =>
        expandDynamicBlocks(
          content,
          { ...scope, iterators: { ...scope.iterators, [iterator]: { key, value } } },
          depth + 1,
        ),
      );
      out[name] = [...blocksOf(out[name]), ...generated];
    }
  }
  return out;
}

function findBlock(root: HclNode, kind: string, type: string, name: string): HclNode | undefined {
  return root.children.get(kind)?.find((b) => b.labels[0] === type && b.labels[1] === name);
}

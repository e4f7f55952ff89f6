// Parses a serverless function's configuration: AWS `lambda get-function(-configuration)` output,
// Azure `functionapp config show` / `appsettings list` output, GCP `functions describe` JSON.

import { InputError } from '@palisade/core';
import type { FunctionConfig } from '../../analyzer/types.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function stringMap(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function withOptional(
  base: FunctionConfig,
  fields: Partial<Record<'name' | 'runtime' | 'handler', string | undefined>>,
) {
  for (const [k, v] of Object.entries(fields)) if (v) base[k as 'name' | 'runtime' | 'handler'] = v;
  return base;
}

function parseAws(doc: Json, source: string, raw: unknown): FunctionConfig {
  const env = isObject(doc.Environment) ? stringMap(doc.Environment.Variables) : {};
  return withOptional(
    { provider: 'aws', environment: env, source, raw },
    { name: str(doc.FunctionName), runtime: str(doc.Runtime), handler: str(doc.Handler) },
  );
}

function parseGcp(doc: Json, source: string): FunctionConfig {
  const build = isObject(doc.buildConfig) ? doc.buildConfig : {};
  const service = isObject(doc.serviceConfig) ? doc.serviceConfig : {};
  const env = { ...stringMap(doc.environmentVariables), ...stringMap(service.environmentVariables) };
  // "projects/P/locations/L/functions/NAME" → NAME
  const name = str(doc.name)?.split('/').pop();
  return withOptional(
    { provider: 'gcp', environment: env, source, raw: doc },
    { name, runtime: str(doc.runtime) ?? str(build.runtime), handler: str(doc.entryPoint) ?? str(build.entryPoint) },
  );
}

/** "PYTHON|3.11" → "python3.11"; the app setting FUNCTIONS_WORKER_RUNTIME is the fallback. */
function azureRuntime(site: Json, env: Record<string, string>): string | undefined {
  const fx = str(site.linuxFxVersion);
  if (fx?.includes('|')) {
    const [stack, version] = fx.split('|') as [string, string];
    return `${stack.toLowerCase()}${version}`;
  }
  return env.FUNCTIONS_WORKER_RUNTIME;
}

function parseAzure(doc: Json | Json[], source: string): FunctionConfig {
  if (Array.isArray(doc)) {
    // appsettings list: [{ name, value, slotSetting }]
    const env = Object.fromEntries(
      doc.filter((e) => typeof e.name === 'string').map((e) => [e.name as string, String(e.value ?? '')]),
    );
    return withOptional({ provider: 'azure', environment: env, source, raw: doc }, { runtime: azureRuntime({}, env) });
  }
  const site = isObject(doc.siteConfig) ? doc.siteConfig : doc;
  const env = Array.isArray(site.appSettings)
    ? Object.fromEntries(
        site.appSettings.filter(isObject).map((e) => [String(e.name ?? ''), String(e.value ?? '')] as [string, string]),
      )
    : {};
  return withOptional(
    { provider: 'azure', environment: env, source, raw: doc },
    { name: str(doc.name), runtime: azureRuntime(site, env) },
  );
}

/** Recognises the provider from the document's shape; InputError when it is none of the three. */
export function parseFunctionConfig(doc: unknown, source: string): FunctionConfig {
  if (Array.isArray(doc) && doc.length > 0 && doc.every((e) => isObject(e) && 'name' in e && 'value' in e)) {
    return parseAzure(doc as Json[], source);
  }
  if (isObject(doc)) {
    if (isObject(doc.Configuration)) return parseAws(doc.Configuration, source, doc);
    if ('FunctionName' in doc || 'FunctionArn' in doc || ('Runtime' in doc && 'Handler' in doc)) {
      return parseAws(doc, source, doc);
    }
    if ('entryPoint' in doc || 'buildConfig' in doc || ('runtime' in doc && 'name' in doc))
      return parseGcp(doc, source);
    if ('linuxFxVersion' in doc || 'siteConfig' in doc || 'netFrameworkVersion' in doc) return parseAzure(doc, source);
  }
  throw new InputError(
    `${source}: not an AWS Lambda, Azure Functions or Google Cloud Functions configuration (expected the JSON output of the provider's CLI)`,
  );
}

const SCRIPT_RUNTIMES: Record<string, string> = {
  '.py': 'python',
  '.js': 'node',
  '.mjs': 'node',
  '.cjs': 'node',
  '.ts': 'node',
  '.ps1': 'powershell',
  '.dll': 'dotnet',
  '.jar': 'java',
};

/**
 * The Azure Functions layout inside a package: host.json at the root, one NAME/function.json per
 * function. Returns undefined when the package has no host.json.
 */
export function azureConfigFromPackage(
  hostJson: unknown,
  functionJsons: ReadonlyMap<string, unknown>,
  source: string,
): FunctionConfig | undefined {
  if (hostJson === undefined) return undefined;
  const [first] = [...functionJsons.entries()].sort(([a], [b]) => a.localeCompare(b));
  const config: FunctionConfig = {
    provider: 'azure',
    environment: {},
    source,
    raw: { hostJson, functions: Object.fromEntries(functionJsons) },
  };
  if (!first) return config;
  const [dir, fn] = first;
  config.name = dir;
  if (isObject(fn)) {
    const script = str(fn.scriptFile);
    const entry = str(fn.entryPoint);
    const handler = script && entry ? `${script}:${entry}` : (entry ?? script);
    if (handler) config.handler = handler;
    const ext = script ? /\.[a-z0-9]+$/i.exec(script)?.[0]?.toLowerCase() : undefined;
    const runtime = ext ? SCRIPT_RUNTIMES[ext] : undefined;
    if (runtime) config.runtime = runtime;
  }
  return config;
}

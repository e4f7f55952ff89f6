// The function artifact: a serverless package zip streamed through the analyzers without
// extraction, plus the function's configuration (given as a file, or Azure's files in the zip).

import { readFile, stat } from 'node:fs/promises';
import { type ArtifactInfo, errorMessage, InputError, NotFoundError } from '@palisade/core';
import type { Analyzer, ArtifactAnalysis, FunctionConfig } from '../../analyzer/types.js';
import { walkZip } from '../../walker/walk-zip.js';
import { createAnalyzingVisitor } from '../analyzing-visitor.js';
import { LayerApplier } from '../layer-applier.js';
import type { ResolvedOptions } from '../resolved-options.js';
import { azureConfigFromPackage, parseFunctionConfig } from './function-config.js';

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Collects host.json and NAME/function.json while the zip streams by; reports nothing itself. */
function azureLayoutCollector(warn: (m: string) => void) {
  const state = { host: undefined as unknown, functions: new Map<string, unknown>() };
  const parse = (content: Buffer, path: string): unknown => {
    try {
      return JSON.parse(content.toString('utf8'));
    } catch {
      warn(`${path}: not valid JSON`);
      return undefined;
    }
  };
  const analyzer: Analyzer = {
    name: 'azure-functions-layout',
    category: 'config',
    required: (path) => path === 'host.json' || /^[^/]+\/function\.json$/.test(path),
    async analyze(input) {
      const doc = parse(input.content, input.path);
      if (input.path === 'host.json') state.host = doc ?? {};
      else if (doc !== undefined) state.functions.set(input.path.slice(0, input.path.indexOf('/')), doc);
      return undefined;
    },
  };
  return { analyzer, state };
}

async function readConfigFile(file: string): Promise<FunctionConfig> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new NotFoundError(`function configuration not found: ${file}`);
  if (st.size > MAX_CONFIG_BYTES)
    throw new InputError(`${file}: ${st.size} bytes is too large for a function configuration`);
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: not valid JSON: ${errorMessage(err)}`);
  }
  return parseFunctionConfig(doc, file);
}

/** Explicit configuration wins; what the package says fills the gaps. */
function mergeConfigs(explicit: FunctionConfig | undefined, fromPackage: FunctionConfig | undefined) {
  if (!explicit) return fromPackage;
  if (!fromPackage || fromPackage.provider !== explicit.provider) return explicit;
  return {
    ...fromPackage,
    ...explicit,
    name: explicit.name ?? fromPackage.name,
    runtime: explicit.runtime ?? fromPackage.runtime,
    handler: explicit.handler ?? fromPackage.handler,
    environment: { ...fromPackage.environment, ...explicit.environment },
  };
}

export async function analyzeFunction(target: string, opts: ResolvedOptions): Promise<ArtifactAnalysis> {
  const st = await stat(target).catch(() => undefined);
  if (!st?.isFile()) throw new NotFoundError(`function package not found: ${target}`);
  // Read the configuration first: a bad config file should fail before the package is read.
  const explicit = opts.functionConfig ? await readConfigFile(opts.functionConfig) : undefined;
  const warnings: string[] = [];
  const collector = azureLayoutCollector((m) => warnings.push(m));
  const applier = new LayerApplier();
  const visitor = createAnalyzingVisitor({
    analyzers: [...opts.analyzers, collector.analyzer],
    applier,
    skip: opts.skip,
    maxFileSize: opts.maxFileSize,
    warnings,
    onProgress: opts.onProgress,
  });
  applier.beginLayer(0);
  await walkZip(target, visitor, {
    skip: opts.skip,
    limits: { maxFileSize: opts.maxFileSize, maxArchiveBytes: opts.maxArchiveBytes },
  });
  applier.endLayer();
  opts.onProgress?.({ phase: 'analyze', ...visitor.stats });
  const fromPackage = azureConfigFromPackage(collector.state.host, collector.state.functions, `${target}!host.json`);
  const config = mergeConfigs(explicit, fromPackage);
  const os = applier.os();
  const artifact: ArtifactInfo = { name: target, type: 'function' };
  if (os) artifact.os = os;
  const analysis: ArtifactAnalysis = { artifact, packageSets: applier.packageSets(), warnings };
  const secrets = applier.secrets();
  if (secrets.length > 0) analysis.secrets = secrets;
  const misconfigurations = applier.misconfigurations();
  if (misconfigurations.length > 0) analysis.misconfigurations = misconfigurations;
  if (config) {
    const fn: NonNullable<ArtifactInfo['function']> = { provider: config.provider };
    if (config.runtime) fn.runtime = config.runtime;
    if (config.handler) fn.handler = config.handler;
    if (config.name) fn.name = config.name;
    artifact.function = fn;
    analysis.functionConfig = config;
  }
  return analysis;
}

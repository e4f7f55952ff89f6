// Configuration precedence (DESIGN.md): flags > PALISADE_* environment > palisade.yaml > defaults.
// Commander resolves flags, env and defaults; this module adds the config file underneath them.

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '@palisade/core';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';

export const DEFAULT_CONFIG_FILE = 'palisade.yaml';

export type ConfigFile = Record<string, unknown>;

/** Reads palisade.yaml (or the file named by --config / PALISADE_CONFIG); absent default file → {}. */
export function loadConfigFile(explicit: string | undefined, cwd = process.cwd()): ConfigFile {
  const file = explicit ?? path.join(cwd, DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (explicit) throw new UsageError(`config file not found: ${explicit}`);
    return {};
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'), { maxAliasCount: 100 });
  } catch (err) {
    throw new UsageError(`invalid config file ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new UsageError(`invalid config file ${file}: expected a mapping of option names to values`);
  return doc as ConfigFile;
}

/** "cache-dir" → "cacheDir": config keys are the long flag names, as users type them. */
function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Fills every option of `cmd` that the user did not set by flag or environment from the config
 * file. Keys may sit at the top level or under a section named after the command ("scan:", "db:").
 */
export function applyConfigFile(cmd: Command, config: ConfigFile): void {
  // Sections from the outermost command in: "scan:" applies to every `scan …`, "image:" to `scan image`.
  const sections: ConfigFile[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) {
    const section = config[c.name()];
    if (section && typeof section === 'object' && !Array.isArray(section)) sections.unshift(section as ConfigFile);
  }
  const known = new Map(cmd.options.map((o) => [o.attributeName(), o]));
  const entries = [config, ...sections].flatMap((s) => Object.entries(s));
  for (const [rawKey, value] of entries) {
    const key = camel(rawKey);
    const opt = known.get(key);
    if (!opt) continue;
    const source = cmd.getOptionValueSource(key);
    if (source === 'cli' || source === 'env') continue;
    const normalised = Array.isArray(value) ? value.map(String).join(',') : value;
    cmd.setOptionValueWithSource(
      key,
      opt.parseArg && typeof normalised === 'string' ? opt.parseArg(normalised, undefined) : normalised,
      'config',
    );
  }
}

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'palisade');
}

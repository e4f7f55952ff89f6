// `palisade db update|import|status`: the local OSV vulnerability database in the cache dir.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ECOSYSTEMS, DEFAULT_MIRROR, importOsv, updateDb, VulnDb, vulnDbPath } from '@palisade/scanner';
import { Command, Option } from 'commander';
import { applyConfigFile, defaultCacheDir, loadConfigFile } from '../config.js';
import { progressLine } from '../progress.js';

interface DbFlags {
  cacheDir: string;
  mirror: string;
  ecosystems: string;
  format: 'table' | 'json';
  config?: string;
}

function commonOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--cache-dir <dir>', 'cache directory holding the vulnerability database')
        .default(defaultCacheDir())
        .env('PALISADE_CACHE_DIR'),
    )
    .addOption(
      new Option('--config <file>', 'configuration file (default ./palisade.yaml when present)').env('PALISADE_CONFIG'),
    );
}

function flagsOf(cmd: Command): DbFlags {
  applyConfigFile(cmd, loadConfigFile(cmd.opts<DbFlags>().config));
  return cmd.opts<DbFlags>();
}

async function openDb(cacheDir: string): Promise<VulnDb> {
  const file = vulnDbPath(cacheDir);
  await mkdir(path.dirname(file), { recursive: true });
  return VulnDb.open(file);
}

export function dbCommand(): Command {
  const db = new Command('db').description('manage the local OSV vulnerability database');

  commonOptions(
    db
      .command('update')
      .description('download OSV advisories (all.zip per ecosystem the first time, then modified_id.csv deltas)')
      .addOption(
        new Option('--mirror <url>', 'base URL of an OSV bulk-download mirror')
          .default(DEFAULT_MIRROR)
          .env('PALISADE_DB_MIRROR'),
      )
      .addOption(
        new Option('--ecosystems <list>', 'OSV ecosystems to download (comma-separated)')
          .default(DEFAULT_ECOSYSTEMS.join(','))
          .env('PALISADE_DB_ECOSYSTEMS'),
      ),
  ).action(async (_o, cmd: Command) => {
    const flags = flagsOf(cmd);
    const store = await openDb(flags.cacheDir);
    const progress = progressLine();
    try {
      const stats = await updateDb(store, {
        mirror: flags.mirror,
        ecosystems: flags.ecosystems
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        onProgress: (p: { message?: string }) => progress.update(p.message ?? ''),
      });
      progress.done();
      process.stderr.write(`palisade: database updated: ${JSON.stringify(stats)}\n`);
    } finally {
      progress.done();
      store.close();
    }
  });

  commonOptions(
    db
      .command('import')
      .description('load OSV JSON from a directory, a zip, or a directory of <ECOSYSTEM>/all.zip (air-gapped sites)')
      .argument('<path>', 'directory or zip of OSV records'),
  ).action(async (source: string, _o, cmd: Command) => {
    const flags = flagsOf(cmd);
    const store = await openDb(flags.cacheDir);
    const progress = progressLine();
    try {
      const stats = await importOsv(store, source, {
        onProgress: (p: { message?: string }) => progress.update(p.message ?? ''),
      });
      progress.done();
      process.stderr.write(`palisade: imported: ${JSON.stringify(stats)}\n`);
    } finally {
      progress.done();
      store.close();
    }
  });

  commonOptions(
    db
      .command('status')
      .description('show record counts per ecosystem and the age of the database')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table')),
  ).action(async (_o, cmd: Command) => {
    const flags = flagsOf(cmd);
    const store = await openDb(flags.cacheDir);
    try {
      const status = store.status();
      process.stdout.write(
        flags.format === 'json'
          ? `${JSON.stringify(status, null, 2)}\n`
          : formatStatus(status, vulnDbPath(flags.cacheDir)),
      );
    } finally {
      store.close();
    }
  });
  return db;
}

function formatStatus(status: ReturnType<VulnDb['status']>, file: string): string {
  const rows = Object.entries(status.ecosystems).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(9, ...rows.map(([e]) => e.length));
  const age = status.updatedAt ? ` (${formatAge(Date.now() - Date.parse(status.updatedAt))} ago)` : '';
  const lines = [
    `database  ${file}`,
    `updated   ${status.updatedAt ?? 'never'}${age}`,
    `source    ${status.source ?? '-'}`,
    '',
    `${'ecosystem'.padEnd(width)}  records`,
    ...rows.map(([e, n]) => `${e.padEnd(width)}  ${String(n).padStart(7)}`),
    `${'total'.padEnd(width)}  ${String(status.total).padStart(7)}`,
  ];
  return `${lines.join('\n')}\n`;
}

function formatAge(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

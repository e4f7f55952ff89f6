// `palisade scan image|rootfs|fs|repo|function|sbom TARGET`: runs the scan pipeline, filters,
// writes the report and sets the exit code from the gate.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { parseSeverityList, type ScanReport, SEVERITIES, UsageError } from '@palisade/core';
import { REPORT_FORMATS, type ReportFormat, writeReport } from '@palisade/report';
import {
  explainSuppressions,
  filterReport,
  loadBaseline,
  loadIgnoreFile,
  loadVex,
  type ScannerName,
  type ScanTargetKind,
  scanArtifact,
  writeBaseline,
} from '@palisade/scanner';
import { PalisadeClient } from '@palisade/server/client';
import { Command, Option } from 'commander';
import { applyConfigFile, defaultCacheDir, loadConfigFile } from '../config.js';
import { EXIT_FINDINGS } from '../exit.js';
import { progressLine } from '../progress.js';
import { VERSION } from '../version.js';

const TARGETS: { kind: ScanTargetKind; arg: string; summary: string }[] = [
  {
    kind: 'image',
    arg: 'IMAGE',
    summary: 'a container image: docker-archive or OCI archive tar, OCI layout directory, or podman:NAME',
  },
  { kind: 'rootfs', arg: 'DIR', summary: 'the root filesystem of a host or VM (e.g. /) or a mounted disk' },
  { kind: 'fs', arg: 'DIR', summary: 'a source tree: lockfiles and manifests' },
  { kind: 'repo', arg: 'DIR', summary: 'a local git repository (like fs, skipping .git)' },
  {
    kind: 'function',
    arg: 'ZIP',
    summary: 'a serverless function package (AWS Lambda, Azure Functions, GCP Cloud Functions zip)',
  },
  { kind: 'sbom', arg: 'FILE', summary: 'an existing CycloneDX or SPDX JSON SBOM' },
];

const SCANNERS = ['vuln', 'secret', 'config', 'exposure', 'none'] as const;

interface ScanFlags {
  format: ReportFormat;
  output?: string;
  severity: string;
  ignoreUnfixed?: boolean;
  exitCode: number;
  ignorefile?: string;
  vex?: string[];
  scanners: string;
  cacheDir: string;
  skipDirs?: string;
  skipFiles?: string;
  functionConfig?: string;
  rulesConfig?: string[];
  helmValues?: string[];
  showSuppressed?: boolean;
  baseline?: string;
  writeBaseline?: string;
  explain?: boolean;
  progress: boolean;
  server?: string;
  token?: string;
  workload?: string;
  workloadKind?: 'host' | 'vm' | 'container' | 'pod' | 'function';
  config?: string;
}

export function scanCommand(): Command {
  const scan = new Command('scan').description(
    'scan an artifact: packages (SBOM), known vulnerabilities, secrets and misconfigurations',
  );
  for (const t of TARGETS) {
    const cmd = scan.command(t.kind).description(`scan ${t.summary}`).argument(`<${t.arg}>`, t.summary);
    addScanOptions(cmd, t.kind);
    cmd.action(async (target: string, _flags: ScanFlags, self: Command) => {
      const flags = resolveFlags(self);
      process.exitCode = await runScan(t.kind, target, flags);
    });
  }
  return scan;
}

function addScanOptions(cmd: Command, kind: ScanTargetKind): void {
  cmd
    .addOption(
      new Option('-f, --format <format>', 'report format')
        .choices(REPORT_FORMATS)
        .default('table')
        .env('PALISADE_FORMAT'),
    )
    .addOption(new Option('-o, --output <file>', 'write the report to FILE instead of stdout').env('PALISADE_OUTPUT'))
    .addOption(
      new Option('-s, --severity <list>', 'report only these severities (comma-separated)')
        .default(SEVERITIES.join(','))
        .env('PALISADE_SEVERITY'),
    )
    .addOption(
      new Option('--ignore-unfixed', 'report only vulnerabilities that have a fixed version').env(
        'PALISADE_IGNORE_UNFIXED',
      ),
    )
    .addOption(
      new Option('--exit-code <n>', 'exit code when findings remain after filtering; 0 disables the gate')
        .argParser(parseExitCode)
        .default(EXIT_FINDINGS)
        .env('PALISADE_EXIT_CODE'),
    )
    .addOption(
      new Option(
        '--ignorefile <file>',
        'ignore file: ids, purls and paths with optional expiry (default .palisadeignore when present)',
      ).env('PALISADE_IGNOREFILE'),
    )
    .addOption(new Option('--vex <file...>', 'OpenVEX or CycloneDX VEX documents that mark findings not affected'))
    .addOption(
      new Option(
        '--rules-config <file...>',
        'user misconfiguration rules in CEL (YAML, kind ConfigRule), run by the config scanner beside the built-in rules',
      ),
    )
    .addOption(
      new Option(
        '--helm-values <file...>',
        'values files for rendering Helm charts found in fs/repo scans (needs helm on PATH)',
      ),
    )
    .addOption(
      new Option(
        '--scanners <list>',
        'what to detect, comma-separated: vuln, secret, config (misconfigurations), exposure (listening sockets and published ports; rootfs / only); none lists packages only',
      )
        .default('vuln')
        .env('PALISADE_SCANNERS'),
    )
    .addOption(
      new Option('--cache-dir <dir>', 'cache directory holding the vulnerability database')
        .default(defaultCacheDir())
        .env('PALISADE_CACHE_DIR'),
    )
    .addOption(
      new Option('--skip-dirs <list>', 'directories to skip (comma-separated globs or path prefixes)').env(
        'PALISADE_SKIP_DIRS',
      ),
    )
    .addOption(
      new Option('--skip-files <list>', 'files to skip (comma-separated globs or paths)').env('PALISADE_SKIP_FILES'),
    )
    .addOption(
      new Option(
        '--show-suppressed',
        'also show findings suppressed by the ignore file, VEX, inline comments or the baseline',
      ),
    )
    .addOption(
      new Option(
        '--baseline <file>',
        'suppress findings recorded in this baseline file (by fingerprint, not line)',
      ).env('PALISADE_BASELINE'),
    )
    .addOption(new Option('--write-baseline <file>', "record this scan's open findings as the accepted baseline"))
    .addOption(new Option('--explain', 'print on stderr which suppression hid each suppressed finding'))
    .addOption(new Option('--no-progress', 'never show progress on stderr (it only shows on a terminal anyway)'))
    .addOption(
      new Option('--config <file>', 'configuration file (default ./palisade.yaml when present)').env('PALISADE_CONFIG'),
    )
    .addOption(
      new Option('--server <url>', 'also upload the full report to this Palisade server').env('PALISADE_SERVER'),
    )
    .addOption(
      new Option('--token <token>', 'API token for --server, role ci or above (prefer PALISADE_TOKEN)').env(
        'PALISADE_TOKEN',
      ),
    )
    .addOption(
      new Option(
        '--workload <name>',
        'with --server: the workload this artifact belongs to (findings are tracked per workload)',
      ),
    )
    .addOption(
      new Option('--workload-kind <kind>', 'with --workload: host, vm, container, pod or function').choices([
        'host',
        'vm',
        'container',
        'pod',
        'function',
      ]),
    );
  if (kind === 'function') {
    cmd.addOption(
      new Option(
        '--function-config <file>',
        "the function's configuration JSON (aws lambda get-function-configuration, gcloud functions describe, az functionapp config)",
      ).env('PALISADE_FUNCTION_CONFIG'),
    );
  }
}

function parseExitCode(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 255)
    throw new UsageError(`--exit-code must be an integer 0-255, got "${v}"`);
  return n;
}

function resolveFlags(cmd: Command): ScanFlags {
  const pre = cmd.opts<ScanFlags>();
  applyConfigFile(cmd, loadConfigFile(pre.config));
  return cmd.opts<ScanFlags>();
}

function splitList(v: string | undefined): string[] | undefined {
  const items = v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

function parseScanners(v: string): ScannerName[] {
  const list = splitList(v) ?? [];
  for (const s of list) {
    if (!(SCANNERS as readonly string[]).includes(s))
      throw new UsageError(`unknown scanner "${s}" (expected ${SCANNERS.join(', ')})`);
  }
  return list.filter((s): s is ScannerName => s !== 'none');
}

export async function runScan(kind: ScanTargetKind, target: string, flags: ScanFlags): Promise<number> {
  const severities = parseSeverityList(flags.severity);
  const scanners = parseScanners(flags.scanners);
  if (!(REPORT_FORMATS as readonly string[]).includes(flags.format)) {
    throw new UsageError(`unknown format "${flags.format}" (expected ${REPORT_FORMATS.join(', ')})`);
  }
  const ignorefile = flags.ignorefile ?? (existsSync('.palisadeignore') ? '.palisadeignore' : undefined);
  const ignore = ignorefile ? await loadIgnoreFile(ignorefile) : undefined;
  const vex = await Promise.all((flags.vex ?? []).map((f) => loadVex(f)));
  const baseline = flags.baseline ? await loadBaseline(flags.baseline) : undefined;

  await mkdir(flags.cacheDir, { recursive: true });
  const progress = progressLine(flags.progress !== false && process.stderr.isTTY === true);
  let report: ScanReport;
  try {
    report = await scanArtifact({
      kind,
      target,
      cacheDir: flags.cacheDir,
      scanners,
      skipDirs: splitList(flags.skipDirs),
      skipFiles: splitList(flags.skipFiles),
      functionConfig: flags.functionConfig,
      rulesConfig: flags.rulesConfig,
      helmValues: flags.helmValues,
      onProgress: (p) =>
        progress.update(
          p.layerCount
            ? `layer ${(p.layerIndex ?? 0) + 1}/${p.layerCount} · ${p.files} files · ${formatBytes(p.bytes)}`
            : `${p.files} files · ${formatBytes(p.bytes)}`,
        ),
    });
  } finally {
    progress.done();
  }

  if (flags.server) await uploadReport(report, kind, flags);

  const filtered = filterReport(report, {
    severities,
    ignoreUnfixed: flags.ignoreUnfixed === true,
    ignore,
    vex,
    baseline,
  });
  for (const w of filtered.warnings) process.stderr.write(`palisade: warning: ${w}\n`);
  if (flags.explain) for (const line of explainSuppressions(filtered)) process.stderr.write(`palisade: ${line}\n`);
  if (flags.writeBaseline) await writeFile(flags.writeBaseline, writeBaseline(filtered));
  const text = writeReport(filtered, flags.format, {
    color: !flags.output && flags.format === 'table' && process.stdout.isTTY === true,
    toolVersion: VERSION,
    showSuppressed: flags.showSuppressed === true,
  });
  if (flags.output) await writeFile(flags.output, text);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

  const open = filtered.results.some((r) => r.findings.some((f) => f.status !== 'suppressed'));
  return open ? flags.exitCode : 0;
}

/** Sends the unfiltered report: the server keeps every finding and applies its own suppressions. */
async function uploadReport(report: ScanReport, kind: ScanTargetKind, flags: ScanFlags): Promise<void> {
  if (!flags.token) throw new UsageError('--server needs a token: set PALISADE_TOKEN (or pass --token)');
  const client = new PalisadeClient(flags.server!, flags.token);
  const defaultKind = kind === 'rootfs' ? 'host' : kind === 'function' ? 'function' : 'container';
  const workload = flags.workload ? { kind: flags.workloadKind ?? defaultKind, name: flags.workload } : undefined;
  const r = await client.uploadScan(report, workload);
  process.stderr.write(
    `palisade: uploaded to ${flags.server}: ${r.findings} findings (${r.opened} new, ${r.reopened} reopened, ${r.fixed} fixed)\n`,
  );
}

function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

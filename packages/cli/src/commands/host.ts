// `palisade host audit`: CIS Debian 12 / Ubuntu 22.04 hardening checks against a root directory,
// printed as the host check table (or a shared report format) with the usual severity gate.

import { writeFile } from 'node:fs/promises';
import { parseSeverityList, SEVERITIES, UsageError } from '@palisade/core';
import { writeReport } from '@palisade/report';
import { hostAuditScanReport, renderHostAuditTable, runHostAudit } from '@palisade/scanner';
import { Command, Option } from 'commander';
import { EXIT_FINDINGS } from '../exit.js';
import { VERSION } from '../version.js';

const HOST_FORMATS = ['table', 'json', 'sarif', 'junit'] as const;
type HostFormat = (typeof HOST_FORMATS)[number];

interface HostAuditFlags {
  root: string;
  format: HostFormat;
  output?: string;
  severity: string;
  exitCode: number;
  only?: string;
  skip?: string;
  container?: boolean;
}

export function hostCommand(): Command {
  const host = new Command('host').description('audit the hardening of a host, VM disk or mounted image');
  host
    .command('audit')
    .description('run CIS Debian 12 / Ubuntu 22.04 hardening checks (read-only) and report PASS/FAIL/N/A per check')
    .addOption(
      new Option('--root <dir>', 'root of the system to audit (a mounted image or VM disk works too)').default('/'),
    )
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(HOST_FORMATS)
        .default('table')
        .env('PALISADE_FORMAT'),
    )
    .addOption(new Option('-o, --output <file>', 'write the report to FILE instead of stdout'))
    .addOption(
      new Option('-s, --severity <list>', 'report failures of these severities only (comma-separated)')
        .default(SEVERITIES.join(','))
        .env('PALISADE_SEVERITY'),
    )
    .addOption(
      new Option('--exit-code <n>', 'exit code when failed checks remain after filtering; 0 disables the gate')
        .argParser(parseExitCode)
        .default(EXIT_FINDINGS),
    )
    .addOption(
      new Option(
        '--only <list>',
        'run only these checks: ids or CIS sections, globs allowed ("5.1.*,PAL-HOST-SYSCTL-*")',
      ),
    )
    .addOption(new Option('--skip <list>', 'skip these checks: ids or CIS sections, globs allowed'))
    .addOption(new Option('--container', 'treat the root as a container (kernel, mount and boot checks become N/A)'))
    .addOption(new Option('--no-container', 'treat the root as a host even when container markers are present'))
    .action(async (flags: HostAuditFlags) => {
      process.exitCode = await runHostAuditCommand(flags);
    });
  return host;
}

function parseExitCode(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 255)
    throw new UsageError(`--exit-code must be an integer 0-255, got "${v}"`);
  return n;
}

const splitList = (v: string | undefined): string[] | undefined =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export async function runHostAuditCommand(flags: HostAuditFlags): Promise<number> {
  let severities: ReturnType<typeof parseSeverityList>;
  try {
    severities = parseSeverityList(flags.severity);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const audit = await runHostAudit({
    root: flags.root,
    ...(flags.only ? { only: splitList(flags.only) ?? [] } : {}),
    ...(flags.skip ? { skip: splitList(flags.skip) ?? [] } : {}),
    ...(flags.container !== undefined ? { container: flags.container } : {}),
  });
  const scan = hostAuditScanReport(audit, severities);
  let text: string;
  if (flags.format === 'table') {
    text = renderHostAuditTable(audit, { color: !flags.output && process.stdout.isTTY === true });
  } else if (flags.format === 'json') {
    // The shared ScanReport (failures as findings) plus every check with its status and evidence.
    const doc = JSON.parse(writeReport(scan, 'json', { toolVersion: VERSION })) as Record<string, unknown>;
    doc.hostAudit = audit;
    text = `${JSON.stringify(doc, null, 2)}\n`;
  } else {
    text = writeReport(scan, flags.format, { toolVersion: VERSION });
  }
  if (flags.output) await writeFile(flags.output, text);
  else process.stdout.write(text);
  const failed = scan.results.some((r) => r.findings.length > 0);
  return failed ? flags.exitCode : 0;
}

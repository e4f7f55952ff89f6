// Runs the selected checks against a root and turns the outcome into the two shapes users see:
// every check with its status (the host table, JSON) and failures as misconfiguration Findings.

import { stat } from 'node:fs/promises';
import { type Finding, fingerprint, InputError, type ScanReport, type Severity, UsageError } from '@palisade/core';
import { HostRoot, type HostRootOptions } from './host-root.js';
import { HOST_CHECKS } from './registry.js';
import type { CheckResult, HostCheck } from './types.js';

export interface HostAuditOptions extends HostRootOptions {
  /** Root of the system to audit; default "/". */
  root?: string;
  /** Check ids or CIS sections (globs: "5.1.*", "PAL-HOST-SSH-*"); only these run. */
  only?: string[];
  skip?: string[];
  checks?: readonly HostCheck[];
}

export interface HostAuditReport {
  root: string;
  container: boolean;
  containerEvidence: string;
  /** Which benchmark's section numbers fit the audited OS (from /etc/os-release ID). */
  benchmark: 'debian12' | 'ubuntu2204';
  results: CheckResult[];
  summary: { pass: number; fail: number; notApplicable: number };
}

/** A selector matches an id or a section exactly, a glob, or a section prefix ("5.1" covers "5.1.20"). */
export function checkSelected(check: HostCheck, selector: string): boolean {
  const names = [check.id, check.cis.debian12, check.cis.ubuntu2204 ?? check.cis.debian12];
  if (selector.includes('*') || selector.includes('?')) {
    const re = new RegExp(
      `^${selector
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replaceAll('*', '.*')
        .replaceAll('?', '.')}$`,
      'i',
    );
    return names.some((n) => re.test(n));
  }
  const s = selector.toUpperCase();
  return names.some((n) => n.toUpperCase() === s || n.startsWith(`${selector}.`));
}

export function selectChecks(checks: readonly HostCheck[], only?: string[], skip?: string[]): HostCheck[] {
  const picked = checks.filter(
    (c) => (!only?.length || only.some((s) => checkSelected(c, s))) && !skip?.some((s) => checkSelected(c, s)),
  );
  if (only?.length && picked.length === 0) throw new UsageError(`--only ${only.join(',')} matches no check`);
  return picked;
}

export async function runHostAudit(opts: HostAuditOptions = {}): Promise<HostAuditReport> {
  const host = new HostRoot(opts.root ?? '/', opts);
  const rootStat = await stat(host.root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new InputError(`host audit root ${host.root}: not a readable directory`);
  const checks = selectChecks(opts.checks ?? HOST_CHECKS, opts.only, opts.skip);
  const container = await host.container();
  const osRelease = (await host.readText('/etc/os-release')) ?? (await host.readText('/usr/lib/os-release')) ?? '';
  const benchmark = /^ID="?ubuntu"?$/m.test(osRelease) ? 'ubuntu2204' : 'debian12';
  const results = await Promise.all(
    checks.map(async (c): Promise<CheckResult> => {
      const base = {
        id: c.id,
        family: c.family,
        cis: { debian12: c.cis.debian12, ubuntu2204: c.cis.ubuntu2204 ?? c.cis.debian12 },
        title: c.title,
        severity: c.severity,
      };
      if (c.hostOnly && container.container) {
        return {
          ...base,
          status: 'not-applicable',
          evidence: [{ value: `inside a container: ${container.evidence}` }],
        };
      }
      try {
        const out = await c.run(host);
        return { ...base, status: out.status, evidence: out.evidence };
      } catch (err) {
        // A check that cannot read what it needs fails loudly rather than passing silently.
        return { ...base, status: 'fail', evidence: [{ value: `check error: ${(err as Error).message}` }] };
      }
    }),
  );
  const summary = { pass: 0, fail: 0, notApplicable: 0 };
  for (const r of results) {
    if (r.status === 'pass') summary.pass++;
    else if (r.status === 'fail') summary.fail++;
    else summary.notApplicable++;
  }
  return {
    root: host.root,
    container: container.container,
    containerEvidence: container.evidence,
    benchmark,
    results,
    summary,
  };
}

const CHECKS_BY_ID = new Map(HOST_CHECKS.map((c) => [c.id, c]));

export function hostAuditFindings(report: HostAuditReport): Finding[] {
  return report.results
    .filter((r) => r.status === 'fail')
    .map((r) => {
      const meta = CHECKS_BY_ID.get(r.id);
      const at = r.evidence.find((e) => e.file);
      const detail = r.evidence
        .map((e) => (e.file ? `${e.file}${e.line ? `:${e.line}` : ''}: ${e.value}` : e.value))
        .join('; ');
      const f: Finding = {
        id: fingerprint(r.id, report.root, detail),
        type: 'misconfiguration',
        ruleId: r.id,
        severity: r.severity,
        severitySource: 'rule',
        title: r.title,
        description: `${detail}.${meta ? ` ${meta.rationale} Remediation: ${meta.remediation}` : ''}`,
        target: { workload: report.root, path: at?.file ?? report.root },
        references: [],
        frameworks: {
          cis: [
            `CIS Debian Linux 12 v1.1.0 ${r.cis.debian12}`,
            `CIS Ubuntu Linux 22.04 LTS v2.0.0 ${r.cis.ubuntu2204}`,
          ],
        },
        status: 'open',
      };
      if (at?.line !== undefined) f.target.line = at.line;
      return f;
    });
}

/** The audit as a ScanReport, so the shared writers (table, json, sarif, junit) and gates apply. */
export function hostAuditScanReport(report: HostAuditReport, severities?: Set<Severity>): ScanReport {
  const findings = hostAuditFindings(report).filter((f) => !severities || severities.has(f.severity));
  return {
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    artifact: { name: report.root, type: 'rootfs' },
    results: [
      {
        target: `${report.root} (CIS Debian 12 / Ubuntu 22.04)`,
        class: 'host',
        type: 'host-audit',
        packages: [],
        findings,
      },
    ],
    warnings: [],
  };
}

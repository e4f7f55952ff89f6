// Baseline files: the fingerprints of findings a team has accepted as they stand today, so a
// scan reports only what is new. Keyed by the finding id (rule + target + content hash), never
// by line numbers, so moving code around does not resurface old findings.

import { readFile } from 'node:fs/promises';
import { type Finding, InputError, NotFoundError, type ScanReport } from '@palisade/core';

export interface Baseline {
  file: string;
  ids: ReadonlySet<string>;
}

interface BaselineEntry {
  id: string;
  ruleId?: string;
  target?: string;
}

/** One entry per open finding, sorted, with rule and place for the humans who review the file. */
export function writeBaseline(report: ScanReport): string {
  const entries: BaselineEntry[] = [];
  for (const r of report.results) {
    for (const f of r.findings) {
      if (f.status === 'suppressed') continue;
      entries.push({ id: f.id, ruleId: f.ruleId, target: describeTarget(f, r.target) });
    }
  }
  entries.sort((a, b) => a.id.localeCompare(b.id));
  const unique = entries.filter((e, i) => i === 0 || entries[i - 1]!.id !== e.id);
  return `${JSON.stringify({ palisadeBaseline: 1, createdAt: new Date().toISOString(), findings: unique }, null, 2)}\n`;
}

function describeTarget(f: Finding, resultTarget: string): string {
  const where = f.target.path ?? resultTarget;
  const pkg = f.package ? ` ${f.package.name}@${f.installedVersion ?? f.package.version}` : '';
  return `${where}${f.target.line ? `:${f.target.line}` : ''}${pkg}`;
}

export async function loadBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new NotFoundError(`baseline file ${file} cannot be read`);
  }
  return parseBaseline(text, file);
}

export function parseBaseline(text: string, file: string): Baseline {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InputError(`${file}: not a baseline file (expected JSON written by --write-baseline)`);
  }
  const findings = (doc as { findings?: unknown })?.findings;
  if (!Array.isArray(findings)) throw new InputError(`${file}: baseline has no "findings" list`);
  const ids = new Set<string>();
  findings.forEach((e, i) => {
    const id = (e as { id?: unknown })?.id;
    if (typeof id !== 'string' || id.length === 0) throw new InputError(`${file}: findings[${i}] has no "id"`);
    ids.add(id);
  });
  return { file, ids };
}

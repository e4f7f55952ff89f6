// The Finding contract (DESIGN.md "Contracts"): what every scanner, the runtime and integrity
// checks report, and what the server stores and deduplicates by `id`.

import { createHash } from 'node:crypto';
import type { LayerRef, Package } from './package.js';
import type { Severity } from './severity.js';

export type FindingType =
  | 'vulnerability'
  | 'misconfiguration'
  | 'secret'
  | 'malware'
  | 'integrity'
  | 'exposure'
  | 'runtime';

export type FindingStatus = 'open' | 'fixed' | 'suppressed';

export interface FindingTarget {
  workload?: string;
  artifact?: string;
  path?: string;
  line?: number;
  layer?: LayerRef;
  /** Git history scans: the commit that introduced what was found. */
  commit?: string;
}

export interface Cvss {
  version: '2.0' | '3.0' | '3.1' | '4.0';
  vector: string;
  score: number;
  /** Who rated it: "nvd", "ghsa", "debian", the advisory's database … */
  source?: string;
}

export interface Frameworks {
  cis?: string[];
  mitre?: string[];
  nsa?: string[];
  pci?: string[];
  /** Kubernetes Pod Security Standards level(s) whose control a misconfiguration breaks: "baseline", "restricted". */
  pss?: string[];
}

export interface Suppression {
  /** Where the suppression came from: "ignorefile", "vex", "inline", "baseline", "annotation". */
  source: string;
  reason?: string;
  expires?: string;
}

export interface Finding {
  /** Stable fingerprint: rule + target + location content hash. */
  id: string;
  type: FindingType;
  /** Vulnerability id (CVE first), misconfiguration rule id, secret rule id … */
  ruleId: string;
  /** Other ids of the same vulnerability (GHSA, distro advisory ids …). */
  aliases?: string[];
  severity: Severity;
  /** Where the severity came from: "cvss", "distro", "advisory", "rule". */
  severitySource?: string;
  cvss?: Cvss[];
  title: string;
  description?: string;
  target: FindingTarget;
  package?: Package;
  installedVersion?: string;
  fixedVersion?: string;
  /** Go: vulnerable functions named by the advisory that the binary or module contains. */
  symbols?: string[];
  references: string[];
  frameworks?: Frameworks;
  status: FindingStatus;
  suppression?: Suppression;
  /** Cross-cutting labels a report can select on: "exposure" marks a cloud firewall rule open to the world. */
  tags?: string[];
  publishedAt?: string;
  modifiedAt?: string;
  firstSeen?: string;
  lastSeen?: string;
}

/** Fingerprint from the parts that identify a finding independent of when or how it was found. */
export function fingerprint(...parts: (string | number | undefined)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p ?? ''}\u0000`);
  return h.digest('hex').slice(0, 32);
}

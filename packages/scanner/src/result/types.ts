// The shapes result filtering works with: ignore rules (from .palisadeignore) and VEX documents
// (OpenVEX, CycloneDX VEX), both reduced to "this id, for these packages/paths, is not a problem".

import type { Severity } from '@palisade/core';
import type { Baseline } from './baseline.js';

export interface IgnoreRule {
  /** Vulnerability id, misconfiguration or secret rule id; matched against the finding's ruleId and aliases. */
  id: string;
  /** Only findings in packages matching one of these purls (qualifiers ignored unless stated). */
  purls?: string[];
  /** Only findings in files matching one of these globs (`*`, `**`, `?`). */
  paths?: string[];
  /** YYYY-MM-DD; the rule stops applying after this day (UTC). */
  expires?: string;
  reason?: string;
}

export interface IgnoreRules {
  /** The file the rules came from, for messages. */
  file: string;
  vulnerabilities: IgnoreRule[];
  misconfigurations: IgnoreRule[];
  secrets: IgnoreRule[];
}

export type VexStatus = 'not_affected' | 'fixed' | 'affected' | 'under_investigation';

/** What a statement is about: a package, or an artifact (an image by its pkg:oci purl) and packages in it. */
export interface VexProduct {
  /** A purl (or other identifier) of the product. */
  id: string;
  /** Purls of the packages inside the product the statement is about (OpenVEX subcomponents). */
  subcomponents?: string[];
}

export interface VexStatement {
  /** The vulnerability's id and aliases. */
  vulnerabilityIds: string[];
  /** The products the statement covers; empty means every package. */
  products: VexProduct[];
  status: VexStatus;
  /** Justification, impact statement or analysis detail. */
  reason?: string;
}

export interface VexDocument {
  file: string;
  format: 'openvex' | 'cyclonedx';
  statements: VexStatement[];
}

export interface FilterOptions {
  /** Keep only findings of these severities. */
  severities?: Set<Severity>;
  /** Drop vulnerabilities that have no fixed version. */
  ignoreUnfixed?: boolean;
  ignore?: IgnoreRules;
  vex?: VexDocument[];
  /** The day expiry dates are compared with; defaults to now. */
  now?: Date;
  /** Findings accepted earlier (by fingerprint): suppressed with source "baseline". */
  baseline?: Baseline;
}

// Types shared by the misconfiguration parsers, rules and the scan: rule metadata (the docs and
// findings read it) and what a rule check returns (where, in the parsed document, it found a problem).

import type { Finding, Severity } from '@palisade/core';
import type { ComposeService } from './compose/compose-service.js';
import type { Dockerfile, DockerInstruction } from './dockerfile-parser.js';
import type { IacContext, IacIssue, IacResource } from './iac/iac-resource.js';
import type { K8sResource } from './kubernetes-resource.js';

export type ConfigType =
  | 'kubernetes'
  | 'dockerfile'
  | 'terraform'
  | 'terraform-plan'
  | 'cloudformation'
  | 'serverless'
  | 'function-config'
  | 'docker-compose';

export interface RuleFrameworks {
  cis?: string[];
  nsa?: string[];
  /** Pod Security Standards level whose control this rule enforces. */
  pss?: 'baseline' | 'restricted';
  mitre?: string[];
}

export interface RuleMeta {
  /** Stable id: PAL-K8S-001, PAL-DF-001, PAL-IMG-001. Never reused for another check. */
  id: string;
  severity: Severity;
  title: string;
  rationale: string;
  remediation: string;
  references: string[];
  frameworks: RuleFrameworks;
  /** Labels copied to every finding: "exposure" for rules about something reachable from the internet. */
  tags?: string[];
}

/** A path into a parsed YAML/JSON document: keys and sequence indexes. */
export type DocPath = readonly (string | number)[];

export interface K8sIssue {
  /** The offending field, or the nearest existing parent when the problem is a missing field. */
  path: DocPath;
  /** What exactly is wrong here ("container \"app\" sets privileged: true"). */
  detail: string;
}

export interface K8sRule extends RuleMeta {
  readonly target: 'kubernetes';
  check(resource: K8sResource): K8sIssue[];
}

export interface DockerIssue {
  /** The offending instruction, or the stage's FROM when the problem is something missing. */
  instruction: DockerInstruction;
  detail: string;
}

export interface DockerfileRule extends RuleMeta {
  readonly target: 'dockerfile';
  check(dockerfile: Dockerfile): DockerIssue[];
}

export type ConfigRule = K8sRule | DockerfileRule | IacRule;

export interface IacRule extends RuleMeta {
  readonly target: 'iac';
  check(resource: IacResource, context: IacContext): IacIssue[];
}

export interface ComposeIssue {
  /** The offending field, relative to the service (["privileged"], ["ports", 0]); [] for the service itself. */
  path: DocPath;
  detail: string;
}

export interface ComposeRule extends RuleMeta {
  readonly target: 'docker-compose';
  check(service: ComposeService): ComposeIssue[];
}

/** The outcome of scanning one configuration file. */
export interface ConfigScanResult {
  type: ConfigType;
  findings: Finding[];
  /** Non-fatal problems: expired suppressions, skipped templates, unknown directives. */
  warnings: string[];
}

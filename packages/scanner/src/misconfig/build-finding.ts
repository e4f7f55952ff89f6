// Turns a rule's issue into a Finding: rule metadata, location, and a stable id built from the
// rule, the file, the resource (or stage) and the offending content — never the line number.

import { type Finding, type Frameworks, fingerprint } from '@palisade/core';
import type { RuleMeta } from './types.js';

export function frameworksOf(rule: RuleMeta): Frameworks | undefined {
  const f: Frameworks = {};
  if (rule.frameworks.cis) f.cis = [...rule.frameworks.cis];
  if (rule.frameworks.nsa) f.nsa = [...rule.frameworks.nsa];
  if (rule.frameworks.mitre) f.mitre = [...rule.frameworks.mitre];
  if (rule.frameworks.pss) f.pss = [rule.frameworks.pss];
  return Object.keys(f).length > 0 ? f : undefined;
}

export interface FindingLocation {
  path: string;
  line: number;
  /** "Deployment/prod/web" or "stage builder": what the finding is about inside the file. */
  subject: string;
  /** The offending node's content (a scalar, an instruction, or the detail). */
  content: string;
}

export function buildFinding(rule: RuleMeta, detail: string, at: FindingLocation): Finding {
  const finding: Finding = {
    id: fingerprint(rule.id, at.path, at.subject, at.content),
    type: 'misconfiguration',
    ruleId: rule.id,
    severity: rule.severity,
    severitySource: 'rule',
    title: rule.title,
    description: `${detail}. ${rule.rationale} Remediation: ${rule.remediation}`,
    target: { path: at.path, line: at.line },
    references: [...rule.references],
    status: 'open',
  };
  const frameworks = frameworksOf(rule);
  if (frameworks) finding.frameworks = frameworks;
  if (rule.tags && rule.tags.length > 0) finding.tags = [...rule.tags];
  return finding;
}

// The one suppression grammar: `# palisade:ignore=RULE[,RULE2] reason="…" until=YYYY-MM-DD` on
// the finding's line or the line above, and Kubernetes annotations `palisade.dev/ignore*`.

import type { Finding } from '@palisade/core';

export interface SuppressionRule {
  ruleIds: Set<string>;
  source: 'inline' | 'annotation';
  reason?: string;
  /** YYYY-MM-DD: the suppression applies through this day (UTC). */
  until?: string;
  /** Where it was written, for warnings: "deploy.yaml:12" or "deploy.yaml Deployment/prod/web". */
  origin: string;
}

// `#` for YAML, Dockerfiles and HCL; HCL also writes comments with `//`.
const INLINE = /(?:#|\/\/)\s*palisade:ignore=([A-Za-z0-9_*,-]+)(.*)$/;

/** Options after the rule list, in any order: reason="…" (or reason=word) and until=YYYY-MM-DD. */
function parseOptions(rest: string): { reason?: string; until?: string } {
  const reason = /\breason=(?:"([^"]*)"|(\S+))/.exec(rest);
  const until = /\buntil=(\d{4}-\d{2}-\d{2})\b/.exec(rest);
  return { reason: reason ? (reason[1] ?? reason[2]) : undefined, until: until?.[1] };
}

function ruleSet(list: string): Set<string> {
  return new Set(
    list
      .split(',')
      .map((r) => r.trim().toUpperCase())
      .filter((r) => r !== ''),
  );
}

/** Inline comments by 1-based line. Cheap when the file has none (one substring search). */
export function inlineSuppressions(text: string, file: string): Map<number, SuppressionRule> {
  const out = new Map<number, SuppressionRule>();
  if (!text.includes('palisade:ignore=')) return out;
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = INLINE.exec(line);
    if (!m) return;
    out.set(i + 1, { ruleIds: ruleSet(m[1]!), source: 'inline', ...parseOptions(m[2]!), origin: `${file}:${i + 1}` });
  });
  return out;
}

export const IGNORE_ANNOTATION = 'palisade.dev/ignore';
export const IGNORE_REASON_ANNOTATION = 'palisade.dev/ignore-reason';
export const IGNORE_UNTIL_ANNOTATION = 'palisade.dev/ignore-until';

export function annotationSuppression(
  annotations: Record<string, unknown> | undefined,
  origin: string,
): SuppressionRule | undefined {
  const list = annotations?.[IGNORE_ANNOTATION];
  if (typeof list !== 'string') return undefined;
  const reason = annotations?.[IGNORE_REASON_ANNOTATION];
  const until = annotations?.[IGNORE_UNTIL_ANNOTATION];
  return {
    ruleIds: ruleSet(list),
    source: 'annotation',
    reason: typeof reason === 'string' ? reason : undefined,
    until: typeof until === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(until) ? until : undefined,
    origin,
  };
}

export function isExpired(until: string | undefined, now: Date): boolean {
  if (!until) return false;
  const end = Date.parse(`${until}T00:00:00Z`);
  return Number.isFinite(end) && now.getTime() >= end + 86_400_000;
}

function matches(rule: SuppressionRule, ruleId: string): boolean {
  return rule.ruleIds.has(ruleId.toUpperCase()) || rule.ruleIds.has('*');
}

/**
 * Marks `finding` suppressed by the first candidate that names its rule and has not expired.
 * An expired match leaves the finding open and adds a warning naming where it was written.
 */
export function applySuppressions(
  finding: Finding,
  candidates: (SuppressionRule | undefined)[],
  now: Date,
  warnings: string[],
): void {
  for (const s of candidates) {
    if (!s || !matches(s, finding.ruleId)) continue;
    if (isExpired(s.until, now)) {
      warnings.push(`${s.origin}: suppression of ${finding.ruleId} expired on ${s.until}; the finding is reported`);
      continue;
    }
    finding.status = 'suppressed';
    finding.suppression = { source: s.source, reason: s.reason, expires: s.until };
    return;
  }
}

// The secret detector: one file's bytes → secret findings. A keyword pre-filter decides which
// rules run at all; matches pass allowlists and entropy checks, and only redacted text leaves here.

import { createHash } from 'node:crypto';
import { type Finding, fingerprint } from '@palisade/core';
import { Minimatch } from 'minimatch';
import { DEFAULT_ALLOWED_PATHS, isPlaceholder, shannonEntropy } from './allowlist.js';
import { KeywordFilter } from './keyword-filter.js';
import { SECRET_RULES, type SecretRule } from './rules.js';

export type SecretFinding = Finding & { type: 'secret' };

export interface SecretScanOptions {
  /** Larger files are not scanned (default 10 MiB): secrets live in small text files. */
  maxFileSize?: number;
  /** Globs (minimatch, relative paths) whose files hold test data; default `DEFAULT_ALLOWED_PATHS`. */
  allowedPaths?: readonly string[];
  /** Rule ids to leave out. */
  disabledRules?: readonly string[];
  /** The rule table (default `SECRET_RULES`). */
  rules?: readonly SecretRule[];
}

export const DEFAULT_SECRET_MAX_FILE_SIZE = 10 * 1024 * 1024;
const BINARY_PROBE_BYTES = 8192;
const EXCERPT_MAX = 160;

interface CompiledRule {
  rule: SecretRule;
  regex: RegExp;
}

interface CompiledScanner {
  rules: CompiledRule[];
  keywords: KeywordFilter;
  allowedPaths: Minimatch[];
  maxFileSize: number;
}

// Options objects are usually made once per scan: compile each once, not once per file.
const compiledByOptions = new WeakMap<SecretScanOptions, CompiledScanner>();
const DEFAULT_OPTIONS: SecretScanOptions = {};

function compile(opts: SecretScanOptions): CompiledScanner {
  const cached = compiledByOptions.get(opts);
  if (cached) return cached;
  const disabled = new Set(opts.disabledRules ?? []);
  const rules = (opts.rules ?? SECRET_RULES)
    .filter((r) => !disabled.has(r.id))
    .map((rule) => ({ rule, regex: new RegExp(rule.regex.source, withFlags(rule.regex.flags, 'gd')) }));
  const compiled: CompiledScanner = {
    rules,
    keywords: new KeywordFilter(rules.map((r) => r.rule)),
    allowedPaths: (opts.allowedPaths ?? DEFAULT_ALLOWED_PATHS).map((g) => new Minimatch(g, { dot: true })),
    maxFileSize: opts.maxFileSize ?? DEFAULT_SECRET_MAX_FILE_SIZE,
  };
  compiledByOptions.set(opts, compiled);
  return compiled;
}

function withFlags(flags: string, extra: string): string {
  return [...new Set(flags + extra)].join('');
}

/** True when a path is one the options allow secrets in (test fixtures). */
export function isAllowedSecretPath(path: string, opts: SecretScanOptions = DEFAULT_OPTIONS): boolean {
  return compile(opts).allowedPaths.some((m) => m.match(path));
}

/** True when the first 8 KiB hold a NUL byte: binaries are not scanned. */
export function looksBinary(content: Buffer): boolean {
  return content.subarray(0, BINARY_PROBE_BYTES).includes(0);
}

/**
 * Scans one file. Never throws on content: binary, oversized and allowlisted files give [].
 * The raw secret is never in the result: `description` shows the line with every secret redacted.
 */
export function scanSecrets(path: string, content: Buffer, opts: SecretScanOptions = DEFAULT_OPTIONS): SecretFinding[] {
  const scanner = compile(opts);
  if (content.length === 0 || content.length > scanner.maxFileSize) return [];
  if (looksBinary(content)) return [];
  if (scanner.allowedPaths.some((m) => m.match(path))) return [];
  const candidates = scanner.keywords.candidates(content);
  if (candidates.length === 0) return [];
  // latin1 keeps one character per byte: offsets are byte offsets and nothing fails to decode.
  const text = content.toString('latin1');
  const matches = collectMatches(
    text,
    candidates.map((i) => scanner.rules[i]!),
  );
  if (matches.items.length === 0) return [];
  return toFindings(path, text, matches);
}

interface SecretMatch {
  rule: SecretRule;
  secret: string;
  start: number;
  end: number;
}

/** Accepted secret spans, sorted by start; spans never overlap, so they are sorted by end too. */
class SpanList {
  readonly items: SecretMatch[] = [];

  /** Index of the first span ending after `offset`. */
  firstEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid]!.end <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  overlaps(start: number, end: number): boolean {
    const i = this.firstEndingAfter(start);
    return i < this.items.length && this.items[i]!.start < end;
  }

  add(m: SecretMatch): void {
    this.items.splice(this.firstEndingAfter(m.start), 0, m);
  }
}

function collectMatches(text: string, rules: CompiledRule[]): SpanList {
  const accepted = new SpanList();
  for (const { rule, regex } of rules) {
    regex.lastIndex = 0;
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      if (m[0].length === 0) regex.lastIndex++;
      const group = m.groups?.secret !== undefined ? 'secret' : m.groups?.bare !== undefined ? 'bare' : undefined;
      const secret = group ? m.groups![group]! : m[0];
      const [start, end] = group ? m.indices!.groups![group]! : m.indices![0]!;
      if (!isSecret(rule, secret, m) || accepted.overlaps(start, end)) continue;
      accepted.add({ rule, secret, start, end });
    }
  }
  addAwsSecretKeyPairs(text, accepted);
  return accepted;
}

// biome-ignore format: short words, one table
const PLACEHOLDER_VALUES: ReadonlySet<string> = new Set([
  'password', 'passwd', 'pass', 'secret', 'admin', 'root', 'test', 'postgres', 'mysql', 'redis', 'changeit',
  'pwd', 'user', 'username', 'token',
]);

// Cheapest checks first: the generic rule meets many names and references per file.
function isSecret(rule: SecretRule, secret: string, m: RegExpExecArray): boolean {
  if (rule.allowedSecrets?.includes(secret)) return false;
  if (rule.validate && !rule.validate(secret, m)) return false;
  if (rule.minEntropy !== undefined && shannonEntropy(secret) < rule.minEntropy) return false;
  return !PLACEHOLDER_VALUES.has(secret.toLowerCase()) && !isPlaceholder(secret);
}

const AWS_PAIR_WINDOW_LINES = 4;
const AWS_SECRET_SHAPE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const AWS_SECRET_RULE: SecretRule = SECRET_RULES.find((r) => r.id === 'aws-secret-access-key')!;

/**
 * An access key id is half a credential; its secret often sits on a nearby line under a name the
 * keyword rule does not know. Any 40-character random base64 string a few lines away counts.
 */
function addAwsSecretKeyPairs(text: string, accepted: SpanList): void {
  const ids = accepted.items.filter((a) => a.rule.id === 'aws-access-key-id');
  if (ids.length === 0 || !AWS_SECRET_RULE) return;
  for (const id of ids) {
    let from = id.start;
    let to = id.end;
    for (let n = 0; n < AWS_PAIR_WINDOW_LINES && from > 0; n++) from = text.lastIndexOf('\n', from - 2) + 1;
    for (let n = 0; n < AWS_PAIR_WINDOW_LINES && to !== -1 && to < text.length; n++) to = text.indexOf('\n', to + 1);
    if (to === -1) to = text.length;
    const window = text.slice(from, to);
    AWS_SECRET_SHAPE.lastIndex = 0;
    for (let m = AWS_SECRET_SHAPE.exec(window); m !== null; m = AWS_SECRET_SHAPE.exec(window)) {
      const secret = m[0];
      const start = from + m.index;
      const end = start + secret.length;
      if (accepted.overlaps(start, end)) continue;
      if (!/[a-z]/.test(secret) || !/[A-Z]/.test(secret) || !/[0-9]/.test(secret)) continue;
      if (shannonEntropy(secret) < 4.2 || !isSecret(AWS_SECRET_RULE, secret, m)) continue;
      accepted.add({ rule: AWS_SECRET_RULE, secret, start, end });
    }
  }
}

/** Keeps a short prefix so a reader can tell which key it is, and nothing that would let them use it. */
export function redactSecret(secret: string): string {
  const body = secret.replace(/^(?:\s|\\n)+/, '');
  const keep = body.length >= 16 ? 4 : body.length >= 10 ? 2 : 0;
  return `${body.slice(0, keep)}*****`;
}

function sha256(s: string): string {
  return createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
}

function toFindings(path: string, text: string, matches: SpanList): SecretFinding[] {
  const lineStarts = lineStartOffsets(text);
  return matches.items.map((m) => {
    const lineIndex = lineIndexOf(lineStarts, m.start);
    const finding: SecretFinding = {
      id: fingerprint(m.rule.id, path, sha256(m.secret)),
      type: 'secret',
      ruleId: m.rule.id,
      severity: m.rule.severity,
      severitySource: 'rule',
      title: m.rule.title,
      description: `Match: ${excerpt(text, lineStarts, lineIndex, m, matches)}`,
      target: { path, line: lineIndex + 1 },
      references: [],
      status: 'open',
    };
    return finding;
  });
}

function lineStartOffsets(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineIndexOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The match's line with every secret of the file that touches it redacted, trimmed around the match. */
function excerpt(text: string, starts: number[], lineIndex: number, m: SecretMatch, spans: SpanList): string {
  const lineStart = starts[lineIndex]!;
  const next = starts[lineIndex + 1];
  const lineEnd = next === undefined ? text.length : next - 1;
  let out = '';
  let pos = lineStart;
  let matchAt = 0;
  const onLine: SecretMatch[] = [];
  // `<= lineEnd`: a PEM body starts with the BEGIN line's own newline, and belongs on that line.
  for (let i = spans.firstEndingAfter(lineStart); i < spans.items.length && spans.items[i]!.start <= lineEnd; i++) {
    onLine.push(spans.items[i]!);
  }
  for (const s of onLine) {
    const from = Math.max(s.start, lineStart);
    out += text.slice(pos, Math.max(pos, from));
    if (s === m) matchAt = out.length;
    out += redactSecret(s.secret);
    pos = Math.max(pos, s.end);
  }
  if (pos < lineEnd) out += text.slice(pos, lineEnd);
  out = out.replace(/\r$/, '');
  // The same secret may sit elsewhere on the line where the rule's boundaries did not match it.
  for (const s of onLine)
    if (s.secret.length >= 6 && out.includes(s.secret)) out = out.replaceAll(s.secret, redactSecret(s.secret));
  if (out.length > EXCERPT_MAX) {
    const from = Math.max(0, matchAt - EXCERPT_MAX / 2);
    return `${from > 0 ? '…' : ''}${latin1ToUtf8(out.slice(from, from + EXCERPT_MAX))}…`;
  }
  return latin1ToUtf8(out.trim());
}

function latin1ToUtf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

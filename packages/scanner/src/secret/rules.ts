// The built-in secret rules, one table: id, severity, title, the literal keywords that must occur
// before the regex runs (the pre-filter), the regex itself, and per-rule entropy and allowlists.

import type { Severity } from '@palisade/core';

export interface SecretRule {
  /** Stable id, kebab-case, as reports and ignore files name it. */
  id: string;
  severity: Severity;
  title: string;
  /**
   * Literal strings, one of which must occur in the file before the regex runs. Matched
   * case-insensitively unless `caseSensitiveKeywords` is set (short prefixes like "SK" need case).
   */
  keywords: string[];
  caseSensitiveKeywords?: boolean;
  /** Global regex; the named group `secret` is what gets hashed and redacted (the whole match without one). */
  regex: RegExp;
  /** Minimum Shannon entropy (bits per character) of the secret; catches hand-typed placeholders. */
  minEntropy?: number;
  /** Secrets that are documented examples and never live (exact match). */
  allowedSecrets?: readonly string[];
  /** Extra check on the match (e.g. a JWT header must decode to JSON). */
  validate?: (secret: string, match: RegExpExecArray) => boolean;
}

const SECRET_KEYWORD_NAMES =
  '(?:password|passwd|pwd|passphrase|secret|token|api[_.-]?key|apikey|access[_.-]?key|auth[_.-]?key|private[_.-]?key|client[_.-]?secret|credentials?)';

export const SECRET_RULES: readonly SecretRule[] = [
  {
    id: 'aws-access-key-id',
    severity: 'CRITICAL',
    title: 'AWS Access Key ID',
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'],
    caseSensitiveKeywords: true,
    regex: /(?<![A-Z0-9])(?<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Z0-9])/g,
    allowedSecrets: ['AKIAIOSFODNN7EXAMPLE', 'ASIAIOSFODNN7EXAMPLE', 'AKIAI44QH8DHBEXAMPLE'],
  },
  {
    id: 'aws-secret-access-key',
    severity: 'CRITICAL',
    title: 'AWS Secret Access Key',
    keywords: ['aws', 'secret_access', 'secretaccess'],
    regex:
      /(?:aws[_.-]?)?secret[_.-]?access[_.-]?key["']?\s*(?:=|:|:=|=>)\s*["']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    minEntropy: 4,
    allowedSecrets: ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY'],
  },
  {
    id: 'gcp-service-account',
    severity: 'CRITICAL',
    title: 'GCP service account private key',
    keywords: ['service_account'],
    regex:
      /"private_key"\s*:\s*"-----BEGIN (?:RSA )?PRIVATE KEY-----(?<secret>(?:\\n|\\r|[A-Za-z0-9+/=\s]){64,16384}?)-----END (?:RSA )?PRIVATE KEY-----(?:\\n)?"/g,
  },
  {
    id: 'azure-storage-account-key',
    severity: 'CRITICAL',
    title: 'Azure storage account key',
    keywords: ['accountkey'],
    regex: /AccountKey\s*=\s*(?<secret>[A-Za-z0-9+/]{86}==)/gi,
  },
  {
    id: 'azure-client-secret',
    severity: 'HIGH',
    title: 'Azure AD client secret',
    keywords: ['Q~'],
    caseSensitiveKeywords: true,
    regex: /(?<![A-Za-z0-9_~.-])(?<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])/g,
    minEntropy: 3.5,
  },
  {
    id: 'github-pat',
    severity: 'CRITICAL',
    title: 'GitHub personal access token',
    keywords: ['ghp_'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>ghp_[A-Za-z0-9]{36})\b/g,
  },
  {
    id: 'github-oauth',
    severity: 'CRITICAL',
    title: 'GitHub OAuth access token',
    keywords: ['gho_'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>gho_[A-Za-z0-9]{36})\b/g,
  },
  {
    id: 'github-app-token',
    severity: 'CRITICAL',
    title: 'GitHub App token',
    keywords: ['ghu_', 'ghs_'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>gh[us]_[A-Za-z0-9]{36})\b/g,
  },
  {
    id: 'github-refresh-token',
    severity: 'CRITICAL',
    title: 'GitHub refresh token',
    keywords: ['ghr_'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>ghr_[A-Za-z0-9]{36,76})\b/g,
  },
  {
    id: 'github-fine-grained-pat',
    severity: 'CRITICAL',
    title: 'GitHub fine-grained personal access token',
    keywords: ['github_pat_'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>github_pat_[A-Za-z0-9_]{82})\b/g,
  },
  {
    id: 'gitlab-pat',
    severity: 'CRITICAL',
    title: 'GitLab personal access token',
    keywords: ['glpat-'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>glpat-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/g,
  },
  {
    id: 'slack-token',
    severity: 'HIGH',
    title: 'Slack token',
    keywords: ['xox'],
    regex: /\b(?<secret>xox[baprs]-(?:[0-9]{10,13}-){1,2}[A-Za-z0-9-]{10,48})(?![A-Za-z0-9-])/g,
  },
  {
    id: 'slack-webhook',
    severity: 'MEDIUM',
    title: 'Slack incoming webhook URL',
    keywords: ['hooks.slack.com'],
    regex:
      /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/(?<secret>[A-Z0-9]{8,12}\/[A-Z0-9]{8,12}\/[A-Za-z0-9]{20,32})/g,
  },
  {
    id: 'stripe-secret-token',
    severity: 'CRITICAL',
    title: 'Stripe live secret or restricted key',
    keywords: ['sk_live_', 'rk_live_'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>[sr]k_live_[A-Za-z0-9]{24,99})\b/g,
  },
  {
    id: 'twilio-api-key',
    severity: 'HIGH',
    title: 'Twilio API key',
    keywords: ['SK'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>SK[0-9a-f]{32})\b/g,
    minEntropy: 3,
  },
  {
    id: 'twilio-auth-token',
    severity: 'HIGH',
    title: 'Twilio auth token',
    keywords: ['twilio'],
    regex: /twilio\w*(?:auth[_.-]?)?token["']?\s*(?:=|:|:=|=>)\s*["']?(?<secret>[0-9a-f]{32})\b/gi,
    minEntropy: 3,
  },
  {
    id: 'sendgrid-api-key',
    severity: 'HIGH',
    title: 'SendGrid API key',
    keywords: ['SG.'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g,
  },
  {
    id: 'npm-access-token',
    severity: 'CRITICAL',
    title: 'npm access token',
    keywords: ['npm_'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>npm_[A-Za-z0-9]{36})\b/g,
  },
  {
    id: 'pypi-upload-token',
    severity: 'HIGH',
    title: 'PyPI upload token',
    keywords: ['pypi-AgEIcHlwaS5vcmc'],
    caseSensitiveKeywords: true,
    regex: /\b(?<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})(?![A-Za-z0-9_-])/g,
  },
  {
    id: 'private-key',
    severity: 'HIGH',
    title: 'Private key',
    keywords: ['PRIVATE KEY'],
    caseSensitiveKeywords: true,
    // The body alone is the secret: the BEGIN line is public and identical in every key. The body
    // never holds "-----", so a run of BEGIN lines without END costs linear time, not quadratic.
    regex:
      /-----BEGIN (?<kind>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----(?<secret>(?:\\[nr]|(?!-----)[A-Za-z0-9+/=:\s,.()_-]){64,16384}?)-----END \k<kind>-----/g,
  },
  {
    id: 'jwt-token',
    severity: 'MEDIUM',
    title: 'JSON Web Token',
    keywords: ['eyJ'],
    caseSensitiveKeywords: true,
    regex:
      /\b(?<secret>eyJ[A-Za-z0-9_-]{10,}={0,2}\.eyJ[A-Za-z0-9_-]{10,}={0,2}\.[A-Za-z0-9_-]{16,}={0,2})(?![A-Za-z0-9_-])/g,
    validate: (secret) => jwtHeaderIsJson(secret),
  },
  {
    id: 'database-url-password',
    severity: 'HIGH',
    title: 'Database connection URL with password',
    keywords: ['postgres', 'mysql', 'mongodb', 'redis', 'mariadb'],
    regex:
      /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?):\/\/[^:@\s/'"`]*:(?<secret>[^@\s/'"`]{3,128})@[^\s'"`]+/gi,
  },
  {
    id: 'generic-secret-assignment',
    severity: 'MEDIUM',
    title: 'High-entropy secret assigned to a secret-looking name',
    keywords: ['pass', 'pwd', 'secret', 'token', 'key', 'credential'],
    // Quoted values anywhere (code, JSON, YAML); unquoted only as a whole KEY=value / key: value line.
    regex: new RegExp(
      `${SECRET_KEYWORD_NAMES}[\\w.-]*["']?\\s*(?:=|:|:=|=>)\\s*(?:["'](?<secret>[^"'\\s\\\\]{8,128})["']|(?<bare>[^"'\\s#()[\\]{};,<>]{8,128})[ \\t]*(?=\\r?$))`,
      'gim',
    ),
    minEntropy: 3.5,
    // "config.db.password", "errors.token.expired": references and message keys, not values.
    validate: (secret) => !/^[A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)+$/.test(secret) && looksGenerated(secret),
  },
];

/**
 * Generated secrets mix character classes; names ("app-credentials", "MySecretName") do not.
 * Letters with digits, or a long string of both cases, passes.
 */
function looksGenerated(s: string): boolean {
  const digit = /[0-9]/.test(s);
  const lower = /[a-z]/.test(s);
  const upper = /[A-Z]/.test(s);
  return (digit && (lower || upper)) || (s.length >= 20 && lower && upper);
}

/** The first part of a JWT must be base64url JSON with an "alg" (or "typ") member. */
function jwtHeaderIsJson(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && ('alg' in parsed || 'typ' in parsed);
  } catch {
    return false;
  }
}

// The store's tables as Kysely types: one interface per table, one `Database` map of them.
// Timestamps are ISO-8601 strings and JSON columns are text, so SQLite and PostgreSQL read alike.

export type TenantKind = 'org' | 'account' | 'cluster' | 'team';
export type Role = 'admin' | 'analyst' | 'read-only' | 'ci' | 'agent';
export const ROLES: readonly Role[] = ['admin', 'analyst', 'read-only', 'ci', 'agent'];
export type WorkloadKind = 'host' | 'vm' | 'container' | 'pod' | 'function';
export type Provider = 'aws' | 'azure' | 'gcp' | 'on-prem' | 'other';
/** Lifecycle state of a stored finding; "suppressed" is computed from the suppression columns. */
export type FindingState = 'open' | 'fixed';
export type FindingHistoryAction = 'opened' | 'fixed' | 'reopened' | 'suppressed' | 'unsuppressed';

export interface TenantsTable {
  id: string;
  parent_id: string | null;
  name: string;
  kind: TenantKind;
  /** "/root/child/": every ancestor id, so a subtree is one prefix match. */
  path: string;
  created_at: string;
}

export interface TokensTable {
  id: string;
  tenant_id: string;
  name: string;
  role: Role;
  /** sha256 hex of the token's secret part; the secret itself is never stored. */
  secret_hash: string;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** The user who owns the token (created it while logged in); null for machine tokens. */
  user_id: string | null;
}

export interface WorkloadsTable {
  id: string;
  tenant_id: string;
  kind: WorkloadKind;
  name: string;
  provider: Provider | null;
  account: string | null;
  region: string | null;
  cluster: string | null;
  namespace: string | null;
  labels: string;
  image_digest: string | null;
  first_seen: string;
  last_seen: string;
}

export interface ScansTable {
  id: string;
  tenant_id: string;
  workload_id: string | null;
  /** What the findings are deduplicated under: the workload id, else the artifact name. */
  target: string;
  artifact_name: string;
  artifact_type: string;
  created_at: string;
  received_at: string;
  finding_count: number;
  uploaded_by: string | null;
}

export interface FindingsTable {
  id: string;
  tenant_id: string;
  target: string;
  workload_id: string | null;
  fingerprint: string;
  type: string;
  rule_id: string;
  severity: string;
  /** severityRank() of `severity`, so lists sort by how bad, not alphabetically. */
  severity_rank: number;
  title: string;
  package_name: string | null;
  installed_version: string | null;
  fixed_version: string | null;
  state: FindingState;
  /** The Finding as last reported, JSON. */
  data: string;
  first_seen: string;
  last_seen: string;
  fixed_at: string | null;
  last_scan_id: string;
  suppressed_at: string | null;
  suppressed_by: string | null;
  suppression_reason: string | null;
  suppressed_until: string | null;
}

export interface FindingHistoryTable {
  id: string;
  tenant_id: string;
  finding_id: string;
  action: FindingHistoryAction;
  scan_id: string | null;
  actor: string | null;
  detail: string | null;
  at: string;
}

export interface AgentsTable {
  id: string;
  tenant_id: string;
  name: string;
  hostname: string | null;
  version: string | null;
  workload_id: string | null;
  health: string;
  registered_at: string;
  last_seen: string;
}

export interface EventsTable {
  tenant_id: string;
  /** The sender's event id: the idempotency key within a tenant. */
  id: string;
  agent_id: string | null;
  ts: string;
  type: string;
  host: string | null;
  /** Set for alerts (an event a rule matched). */
  rule: string | null;
  priority: string | null;
  output: string | null;
  data: string;
  received_at: string;
}

export interface AuditLogTable {
  id: string;
  tenant_id: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  detail: string | null;
  at: string;
}

export interface OutputDeadLettersTable {
  id: string;
  tenant_id: string;
  /** Name of the output (from the outputs config) that could not deliver. */
  output: string;
  alert_id: string;
  /** The alert as the dispatcher queued it (JSON), before the output's custom fields. */
  alert: string;
  error: string;
  attempts: number;
  created_at: string;
}

/** One alert still to deliver to one output (the outputs' durable outbox). */
export interface OutputOutboxTable {
  /** newId(): time-ordered, so delivery follows the order alerts were stored in. */
  id: string;
  output: string;
  tenant_id: string;
  alert_id: string;
  /** The alert (JSON) as the dispatcher built it, before the output's custom fields. */
  alert: string;
  /** Failed tries so far. */
  attempts: number;
  last_error: string | null;
  /** Not tried again before this time (retry backoff). */
  next_attempt_at: string;
  /** Lease: which server is delivering the row, and until when. */
  claimed_by: string | null;
  claimed_until: string | null;
  created_at: string;
}

export interface PoliciesTable {
  /** One id per version. */
  id: string;
  tenant_id: string;
  /** NetworkPolicy, GlobalNetworkPolicy, NetworkSet, Tier, rules, ResponsePolicy, … (any string). */
  kind: string;
  name: string;
  /** 1, 2, … per (tenant, kind, name). */
  version: number;
  /** The YAML/JSON text as sent. */
  document: string;
  /** JSON of the parsed document. */
  parsed: string;
  /** Calico selector over workload labels; "" selects every workload of the tenant. */
  workload_selector: string;
  created_at: string;
  created_by: string | null;
  /** 1 once the name was deleted (every version is marked). */
  deleted: number;
}

/** People who log in: role and tenant like a token, a scrypt password hash, can be disabled. */
export interface UsersTable {
  id: string;
  tenant_id: string;
  /** Lower-case login name, unique across the server. */
  name: string;
  /** Lower-case, unique when set; also accepted as the login name. */
  email: string | null;
  role: Role;
  /** "scrypt$N$r$p$salt$hash" (base64url), so the cost can be raised later. */
  password_hash: string;
  disabled_at: string | null;
  created_at: string;
  created_by: string | null;
  password_changed_at: string;
  last_login_at: string | null;
}

/** A login session: a short-lived bearer token for a user, stored hashed like an API token. */
export interface UserSessionsTable {
  id: string;
  user_id: string;
  secret_hash: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** Open findings of one tenant (its own, not its children's) as they stood at the end of a day. */
export interface PostureSnapshotsTable {
  tenant_id: string;
  /** UTC "YYYY-MM-DD". */
  day: string;
  total: number;
  /** JSON {"CRITICAL": n, …}. */
  by_severity: string;
  /** JSON {"vulnerability": n, …}. */
  by_type: string;
  updated_at: string;
}

/** One image digest (config id or repo digest) of an uploaded image scan. */
export interface ScanImageDigestsTable {
  scan_id: string;
  tenant_id: string;
  /** "sha256:…", as workloads report their image. */
  digest: string;
  received_at: string;
}

export interface Database {
  tenants: TenantsTable;
  tokens: TokensTable;
  workloads: WorkloadsTable;
  scans: ScansTable;
  findings: FindingsTable;
  finding_history: FindingHistoryTable;
  agents: AgentsTable;
  events: EventsTable;
  audit_log: AuditLogTable;
  output_dead_letters: OutputDeadLettersTable;
  output_outbox: OutputOutboxTable;
  policies: PoliciesTable;
  users: UsersTable;
  user_sessions: UserSessionsTable;
  posture_snapshots: PostureSnapshotsTable;
  scan_image_digests: ScanImageDigestsTable;
}

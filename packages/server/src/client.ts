// A small typed HTTP client of the REST API for the CLI (`palisade workloads|findings|alerts|
// tokens …`) and agents. Errors come back as core's error classes, as the server mapped them.

import { AuthError, InputError, NotFoundError, PalisadeError, type ScanReport, UsageError } from '@palisade/core';
import type {
  Agent,
  AuditEntry,
  DeadLetter,
  ImageSummary,
  ImageVulnerability,
  Page,
  Policy,
  PostureTrend,
  Role,
  StoredEvent,
  StoredFinding,
  Tenant,
  TokenInfo,
  User,
  UserRole,
  Workload,
  WorkloadIdentity,
  WorkloadRisk,
} from '@palisade/store';

export interface PalisadeClientOptions {
  /** Overrides global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

export interface ListQuery {
  limit?: number;
  cursor?: string;
  tenant?: string;
}

export interface FindingListQuery extends ListQuery {
  status?: 'open' | 'fixed' | 'suppressed';
  severity?: string;
  type?: string;
  ruleId?: string;
  workloadId?: string;
  target?: string;
  packageName?: string;
  sort?: 'lastSeen' | 'firstSeen' | 'severity';
  order?: 'asc' | 'desc';
}

export interface WorkloadListQuery extends ListQuery {
  kind?: string;
  provider?: string;
  account?: string;
  region?: string;
  cluster?: string;
  namespace?: string;
  imageDigest?: string;
  q?: string;
  sort?: 'lastSeen' | 'firstSeen' | 'name';
  order?: 'asc' | 'desc';
}

export interface ScanUploadResult {
  scanId: string;
  target: string;
  workloadId: string | null;
  findings: number;
  opened: number;
  reopened: number;
  fixed: number;
  unchanged: number;
}

export interface IngestResult {
  received: number;
  accepted: number;
  duplicates: number;
}

export interface Posture {
  tenantId: string;
  findings: { total: number; bySeverity: Record<string, number>; byType: Record<string, number> };
  workloads: number;
  agents: number;
}

export interface LoginAnswer {
  /** Session token (pals_…): use it as the bearer token until it expires. */
  token: string;
  expiresAt: string;
  user: User;
}

export interface WhoAmI {
  tenantId: string;
  role: string;
  name: string;
  kind: 'session' | 'token';
  credentialId: string;
  user: User | null;
}

/** An agent's policy bundle; `modified: false` means the caller's etag is still current. */
export type AgentPolicyAnswer =
  | { modified: true; revision: string; policies: Policy[] }
  | { modified: false; revision: string };

export class PalisadeClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;

  constructor(
    url: string,
    private readonly token: string,
    opts: PalisadeClientOptions = {},
  ) {
    this.base = `${url.replace(/\/+$/, '')}/api/v1`;
    this.doFetch = opts.fetch ?? fetch;
  }

  private async request<T>(
    method: string,
    path: string,
    opts: { query?: Query; json?: unknown; ndjson?: string } = {},
  ): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
    const url = `${this.base}${path}${qs.size ? `?${qs}` : ''}`;
    // Login is the one call made without a token.
    const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.ndjson !== undefined) {
      headers['content-type'] = 'application/x-ndjson';
      body = opts.ndjson;
    }
    let res: Response;
    try {
      res = await this.doFetch(url, { method, headers, body });
    } catch (err) {
      throw new UsageError(
        `cannot reach Palisade server at ${this.base}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw errorFor(method, path, res.status, parsed);
    return parsed as T;
  }

  listWorkloads(q: WorkloadListQuery = {}): Promise<Page<Workload>> {
    return this.request('GET', '/workloads', { query: { ...q } });
  }
  getWorkload(id: string): Promise<Workload> {
    return this.request('GET', `/workloads/${encodeURIComponent(id)}`);
  }
  listFindings(q: FindingListQuery = {}): Promise<Page<StoredFinding>> {
    return this.request('GET', '/findings', { query: { ...q } });
  }
  getFinding(id: string): Promise<StoredFinding> {
    return this.request('GET', `/findings/${encodeURIComponent(id)}`);
  }
  findingHistory(id: string): Promise<{
    items: { action: string; at: string; scanId: string | null; actor: string | null; detail: string | null }[];
  }> {
    return this.request('GET', `/findings/${encodeURIComponent(id)}/history`);
  }
  suppressFinding(id: string, reason: string, until?: string): Promise<StoredFinding> {
    return this.request('POST', `/findings/${encodeURIComponent(id)}/suppress`, {
      json: { reason, ...(until ? { until } : {}) },
    });
  }
  uploadScan(report: ScanReport, workload?: WorkloadIdentity, tenantId?: string): Promise<ScanUploadResult> {
    return this.request('POST', '/scans', {
      json: { report, ...(workload ? { workload } : {}), ...(tenantId ? { tenantId } : {}) },
    });
  }
  listAlerts(
    q: ListQuery & { priority?: string; rule?: string; host?: string; since?: string } = {},
  ): Promise<Page<StoredEvent>> {
    return this.request('GET', '/alerts', { query: { ...q } });
  }
  sendEvents(
    events: { id: string; ts: string; type: string; [k: string]: unknown }[],
    agentId?: string,
  ): Promise<IngestResult> {
    return this.request('POST', '/events', {
      query: { agentId },
      ndjson: events.map((e) => JSON.stringify(e)).join('\n'),
    });
  }
  listTokens(q: ListQuery = {}): Promise<Page<TokenInfo>> {
    return this.request('GET', '/tokens', { query: { ...q } });
  }
  createToken(input: {
    name: string;
    role: Role;
    tenantId?: string;
    expiresAt?: string;
  }): Promise<{ token: string; info: TokenInfo }> {
    return this.request('POST', '/tokens', { json: input });
  }
  revokeToken(id: string): Promise<TokenInfo> {
    return this.request('DELETE', `/tokens/${encodeURIComponent(id)}`);
  }
  listTenants(q: ListQuery = {}): Promise<Page<Tenant>> {
    return this.request('GET', '/tenants', { query: { ...q } });
  }
  createTenant(input: { name: string; kind: 'account' | 'cluster' | 'team'; parentId?: string }): Promise<Tenant> {
    return this.request('POST', '/tenants', { json: input });
  }
  listAgents(q: ListQuery = {}): Promise<Page<Agent>> {
    return this.request('GET', '/agents', { query: { ...q } });
  }
  registerAgent(input: {
    name: string;
    hostname?: string;
    version?: string;
    workload?: WorkloadIdentity;
  }): Promise<Agent> {
    return this.request('POST', '/agents', { json: input });
  }
  heartbeat(agentId: string, beat: { version?: string; health?: Record<string, unknown> } = {}): Promise<Agent> {
    return this.request('POST', `/agents/${encodeURIComponent(agentId)}/heartbeat`, { json: beat });
  }
  listAudit(q: ListQuery & { action?: string } = {}): Promise<Page<AuditEntry>> {
    return this.request('GET', '/audit', { query: { ...q } });
  }
  /** Alerts an output could not deliver (admin). */
  listDeadLetters(q: ListQuery & { output?: string } = {}): Promise<Page<DeadLetter>> {
    return this.request('GET', '/dead-letters', { query: { ...q } });
  }
  /** Queues a dead letter's alert on its output again (admin). */
  retryDeadLetter(id: string): Promise<{ id: string; output: string; queued: boolean }> {
    return this.request('POST', `/dead-letters/${encodeURIComponent(id)}/retry`);
  }
  posture(tenant?: string): Promise<Posture> {
    return this.request('GET', '/posture', { query: { tenant } });
  }
  /** Logs in with a user name (or email) and password; no token needed. */
  static login(url: string, name: string, password: string, opts: PalisadeClientOptions = {}): Promise<LoginAnswer> {
    return new PalisadeClient(url, '', opts).request('POST', '/auth/login', { json: { name, password } });
  }
  /** Ends the session this client's token is (a no-op answer for API tokens). */
  logout(): Promise<{ tenantId: string; ended: boolean }> {
    return this.request('POST', '/auth/logout');
  }
  me(): Promise<WhoAmI> {
    return this.request('GET', '/auth/me');
  }
  listUsers(q: ListQuery & { role?: UserRole; disabled?: boolean; q?: string } = {}): Promise<Page<User>> {
    const { disabled, ...rest } = q;
    return this.request('GET', '/users', {
      query: { ...rest, disabled: disabled === undefined ? undefined : String(disabled) },
    });
  }
  createUser(input: {
    name: string;
    role: UserRole;
    password: string;
    email?: string;
    tenantId?: string;
  }): Promise<User> {
    return this.request('POST', '/users', { json: input });
  }
  getUser(id: string): Promise<User> {
    return this.request('GET', `/users/${encodeURIComponent(id)}`);
  }
  updateUser(id: string, change: { role?: UserRole; email?: string | null; disabled?: boolean }): Promise<User> {
    return this.request('PATCH', `/users/${encodeURIComponent(id)}`, { json: change });
  }
  deleteUser(id: string): Promise<User> {
    return this.request('DELETE', `/users/${encodeURIComponent(id)}`);
  }
  /** Your own password needs `currentPassword`; an admin may set another user's without it. */
  changePassword(id: string, newPassword: string, currentPassword?: string): Promise<User> {
    return this.request('POST', `/users/${encodeURIComponent(id)}/password`, {
      json: { newPassword, ...(currentPassword !== undefined ? { currentPassword } : {}) },
    });
  }
  postureTrends(q: { days?: number; tenant?: string } = {}): Promise<PostureTrend & { tenantId: string }> {
    return this.request('GET', '/posture/trends', { query: { ...q } });
  }
  topRisks(
    q: ListQuery & { kind?: string; provider?: string; cluster?: string; namespace?: string } = {},
  ): Promise<Page<WorkloadRisk>> {
    return this.request('GET', '/workloads/top-risks', { query: { ...q } });
  }
  listImages(q: ListQuery & { q?: string } = {}): Promise<Page<ImageSummary>> {
    return this.request('GET', '/images', { query: { ...q } });
  }
  imageVulnerabilities(
    digest: string,
    q: ListQuery & { status?: 'open' | 'fixed' | 'suppressed'; severity?: string; packageName?: string } = {},
  ): Promise<Page<ImageVulnerability>> {
    return this.request('GET', `/images/${encodeURIComponent(digest)}/vulnerabilities`, { query: { ...q } });
  }
  /** Creates a policy, or the next version of an existing (kind, name). */
  createPolicy(input: {
    kind: string;
    name: string;
    document: string;
    workloadSelector?: string;
    tenantId?: string;
  }): Promise<Policy> {
    return this.request('POST', '/policies', { json: input });
  }
  listPolicies(q: ListQuery & { kind?: string } = {}): Promise<Page<Policy>> {
    return this.request('GET', '/policies', { query: { ...q } });
  }
  getPolicy(id: string): Promise<Policy> {
    return this.request('GET', `/policies/${encodeURIComponent(id)}`);
  }
  policyVersions(id: string): Promise<{ items: Policy[] }> {
    return this.request('GET', `/policies/${encodeURIComponent(id)}/versions`);
  }
  deletePolicy(id: string): Promise<Policy> {
    return this.request('DELETE', `/policies/${encodeURIComponent(id)}`);
  }
  /**
   * The agent's policy bundle. With `etag` (a previous revision) an unchanged bundle answers
   * `{ modified: false }`; with `wait` (seconds, max 60) the server holds the request until it changes.
   */
  async agentPolicies(agentId: string, opts: { etag?: string; wait?: number } = {}): Promise<AgentPolicyAnswer> {
    const path = `/agents/${encodeURIComponent(agentId)}/policies`;
    const url = `${this.base}${path}${opts.wait !== undefined ? `?wait=${opts.wait}` : ''}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (opts.etag) headers['if-none-match'] = `"${opts.etag}"`;
    let res: Response;
    try {
      res = await this.doFetch(url, { method: 'GET', headers });
    } catch (err) {
      throw new UsageError(
        `cannot reach Palisade server at ${this.base}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (res.status === 304) {
      await res.body?.cancel();
      return { modified: false, revision: (res.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '') };
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw errorFor('GET', path, res.status, parsed);
    const bundle = parsed as { revision: string; policies: Policy[] };
    return { modified: true, revision: bundle.revision, policies: bundle.policies };
  }
}

/** Maps an error answer to core's error classes, as the server mapped them to statuses. */
function errorFor(method: string, path: string, status: number, parsed: unknown): PalisadeError {
  const message = (parsed as { message?: string } | undefined)?.message ?? `HTTP ${status}`;
  const what = `${method} ${path}: ${message}`;
  if (status === 401 || status === 403) return new AuthError(what, status);
  if (status === 404) return new NotFoundError(what);
  if (status === 400) return new InputError(what);
  return new PalisadeError(`${what} (HTTP ${status})`);
}

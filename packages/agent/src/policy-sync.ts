// Keeps the agent's server-assigned policies current: long-polls the server's policy bundle for
// this agent with its ETag, and hands each kind of document to its consumer when it changes: Falco
// rules to the engine, network policy to the enforcer, response policies and behaviour profiles.

import type { RulesFileInput } from '@palisade/runtime';
import type { AgentLogger } from './agent-log.js';

export interface PolicySyncOptions {
  /** Server base URL; the API lives under /api/v1. */
  url: string;
  token: string;
  agentId: string;
  /** Called with every rules document of the current bundle (possibly none) whenever it changes. */
  onRules(files: RulesFileInput[]): void;
  /** Network policy documents (NETWORK_KINDS), called when that part of the bundle changes. */
  onNetwork?(docs: PolicyDocument[]): void;
  /** `ResponsePolicy` documents, called when they change. */
  onResponsePolicies?(docs: PolicyDocument[]): void;
  /** `BehaviourProfile` documents, called when they change. */
  onBehaviourProfiles?(docs: PolicyDocument[]): void;
  /** Seconds the server may hold a poll open (it answers 304 when nothing changed). */
  waitSeconds?: number;
  /** Delay before trying again after an error; doubles up to a minute. */
  retryMs?: number;
  log?: AgentLogger;
}

export interface PolicySync {
  /** Resolves after the first bundle has been applied (or the first attempt failed). */
  readonly first: Promise<void>;
  revision(): string | undefined;
  stop(): void;
}

/** One server document as its consumer reads it: `path` names it in errors (`server:KIND/NAME@vN`). */
export interface PolicyDocument {
  path: string;
  text: string;
}

interface BundlePolicy {
  kind: string;
  name: string;
  version: number;
  document: string;
}

/** Kinds the agent applies as Falco rules files. */
const RULES_KINDS = new Set(['rules', 'FalcoRules']);

/** Kinds the agent compiles into its nftables table (Calico's kinds, Kubernetes', and `netpol` for a mixed stream). */
export const NETWORK_KINDS: ReadonlySet<string> = new Set([
  'Tier',
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'StagedNetworkPolicy',
  'StagedGlobalNetworkPolicy',
  'KubernetesNetworkPolicy',
  'NetworkSet',
  'GlobalNetworkSet',
  'HostEndpoint',
  'WorkloadEndpoint',
  'EgressGatewayPolicy',
  'netpol',
]);
export const RESPONSE_POLICY_KIND = 'ResponsePolicy';
export const BEHAVIOUR_PROFILE_KIND = 'BehaviourProfile';

const documentsOf = (policies: BundlePolicy[], keep: (kind: string) => boolean): PolicyDocument[] =>
  policies
    .filter((p) => keep(p.kind))
    // Name order, so merges and overrides between documents do not depend on the server's listing order.
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.kind < b.kind ? -1 : 1))
    .map((p) => ({ path: `server:${p.kind}/${p.name}@v${p.version}`, text: p.document }));

export function startPolicySync(opts: PolicySyncOptions): PolicySync {
  const base = `${opts.url.replace(/\/+$/, '')}/api/v1/agents/${encodeURIComponent(opts.agentId)}/policies`;
  const abort = new AbortController();
  let etag: string | undefined;
  let revision: string | undefined;
  // What each consumer was last given, so a change of one kind does not re-apply the others.
  const delivered = new Map<string, string>();
  const deliver = (name: string, docs: PolicyDocument[], to: ((docs: PolicyDocument[]) => void) | undefined): void => {
    if (!to) return;
    const key = docs.map((d) => d.path).join('\n');
    if (delivered.get(name) === key) return;
    delivered.set(name, key);
    try {
      to(docs);
    } catch (err) {
      opts.log?.('error', `policies: applying ${name} failed: ${(err as Error).message}`);
    }
  };
  let markFirst: () => void = () => {};
  const first = new Promise<void>((resolve) => {
    markFirst = resolve;
  });

  const loop = async () => {
    let retry = opts.retryMs ?? 1000;
    while (!abort.signal.aborted) {
      try {
        // The first request does not wait, so a new agent gets its rules at once.
        const wait = etag ? (opts.waitSeconds ?? 30) : 0;
        const res = await fetch(`${base}?wait=${wait}`, {
          headers: { authorization: `Bearer ${opts.token}`, ...(etag ? { 'if-none-match': etag } : {}) },
          signal: abort.signal,
        });
        if (res.status === 304) {
          await res.body?.cancel();
        } else if (res.ok) {
          const body = (await res.json()) as { revision: string; policies: BundlePolicy[] };
          etag = res.headers.get('etag') ?? `"${body.revision}"`;
          revision = body.revision;
          const files = body.policies
            .filter((p) => RULES_KINDS.has(p.kind))
            .map((p) => ({ path: `server:${p.kind}/${p.name}@v${p.version}`, text: p.document }));
          opts.onRules(files);
          deliver(
            'network policy',
            documentsOf(body.policies, (k) => NETWORK_KINDS.has(k)),
            opts.onNetwork,
          );
          deliver(
            'response policies',
            documentsOf(body.policies, (k) => k === RESPONSE_POLICY_KIND),
            opts.onResponsePolicies,
          );
          deliver(
            'behaviour profiles',
            documentsOf(body.policies, (k) => k === BEHAVIOUR_PROFILE_KIND),
            opts.onBehaviourProfiles,
          );
          opts.log?.('info', `policies: revision ${body.revision}, ${files.length} rules documents from the server`);
        } else {
          throw new Error(`HTTP ${res.status}`);
        }
        retry = opts.retryMs ?? 1000;
        markFirst();
      } catch (err) {
        if (abort.signal.aborted) break;
        opts.log?.('warn', `policies: cannot fetch from ${opts.url}: ${(err as Error).message}; retrying`);
        markFirst();
        await new Promise((r) => setTimeout(r, retry).unref());
        retry = Math.min(retry * 2, 60_000);
      }
    }
  };
  void loop();

  return {
    first,
    revision: () => revision,
    stop: () => abort.abort(),
  };
}

// Keeps the agent's server-assigned policies current: long-polls the server's policy bundle for
// this agent with its ETag, and hands the Falco rules documents to the engine when they change.

import type { RulesFileInput } from '@palisade/runtime';
import type { AgentLogger } from './agent-log.js';

export interface PolicySyncOptions {
  /** Server base URL; the API lives under /api/v1. */
  url: string;
  token: string;
  agentId: string;
  /** Called with every rules document of the current bundle (possibly none) whenever it changes. */
  onRules(files: RulesFileInput[]): void;
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

interface BundlePolicy {
  kind: string;
  name: string;
  version: number;
  document: string;
}

/** Kinds the agent applies as Falco rules files. */
const RULES_KINDS = new Set(['rules', 'FalcoRules']);

export function startPolicySync(opts: PolicySyncOptions): PolicySync {
  const base = `${opts.url.replace(/\/+$/, '')}/api/v1/agents/${encodeURIComponent(opts.agentId)}/policies`;
  const abort = new AbortController();
  let etag: string | undefined;
  let revision: string | undefined;
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

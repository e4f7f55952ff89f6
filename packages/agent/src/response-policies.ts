// The agent's response policy: the local file (--response-policy) as the base, the server's
// ResponsePolicy documents merged over it, swapped in place while alerts keep flowing.
//
// Merge rule: server entries are checked first (in document name order), then the file's, and the
// first entry that names an action decides its mode; each entry keeps its own document's mode.
// Rate limit and stop timeout come from the file, or from the first server document without one.

import {
  DEFAULT_RESPONSE_POLICY,
  parseResponsePolicy,
  Responder,
  type ResponderOptions,
  type ResponsePolicy,
} from '@palisade/runtime';
import type { AgentLogger } from './agent-log.js';
import type { PolicyDocument } from './policy-sync.js';
import type { RespondStage } from './start-agent.js';

/** One policy from the base and the server documents, each entry carrying its document's mode. */
export function mergeResponsePolicies(
  base: ResponsePolicy | undefined,
  remote: readonly ResponsePolicy[],
): ResponsePolicy {
  const pinned = (p: ResponsePolicy) => p.responses.map((r) => ({ ...r, mode: r.mode ?? p.mode }));
  const settings = base ?? remote[0] ?? DEFAULT_RESPONSE_POLICY;
  return {
    mode: settings.mode,
    rateLimit: settings.rateLimit,
    stopTimeoutSeconds: settings.stopTimeoutSeconds,
    responses: [...remote.flatMap(pinned), ...(base ? pinned(base) : [])],
  };
}

export interface ResponsePolicySetOptions extends ResponderOptions {
  /** The local policy file's text and name, when the agent was started with one. */
  base?: { text: string; file: string };
  log?: AgentLogger;
}

export class ResponsePolicySet {
  private readonly base: ResponsePolicy | undefined;
  private remote: ResponsePolicy[] = [];
  private responder: Responder | undefined;

  constructor(private readonly opts: ResponsePolicySetOptions = {}) {
    this.base = opts.base ? parseResponsePolicy(opts.base.text, opts.base.file) : undefined;
    this.rebuild();
  }

  /** Replaces the server's documents; a document that does not parse keeps the previous set whole. */
  setRemote(docs: readonly PolicyDocument[]): { applied: boolean; error?: string } {
    let parsed: ResponsePolicy[];
    try {
      parsed = docs.map((d) => parseResponsePolicy(d.text, d.path));
    } catch (err) {
      const error = (err as Error).message;
      this.opts.log?.('error', `response policies from the server not applied, previous kept: ${error}`);
      return { applied: false, error };
    }
    this.remote = parsed;
    this.rebuild();
    this.opts.log?.(
      'info',
      `response policies: ${this.policy().responses.length} entries (${docs.length} from the server)`,
    );
    return { applied: true };
  }

  /** The merged policy in force. */
  policy(): ResponsePolicy {
    return this.responder?.policy ?? mergeResponsePolicies(this.base, this.remote);
  }

  /** The agent's respond stage: reads the responder in force at each alert. */
  readonly respond: RespondStage = async (alert, ev) => {
    const r = this.responder;
    if (!r) return undefined;
    return (await r.respond(alert, ev)).actions;
  };

  private rebuild(): void {
    const merged = mergeResponsePolicies(this.base, this.remote);
    // No entries: nothing to do for any alert, skip the responder entirely.
    this.responder = merged.responses.length > 0 ? new Responder(merged, this.opts) : undefined;
  }
}

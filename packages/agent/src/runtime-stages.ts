// Builds the agent's enrich and respond stages from @palisade/runtime: the Enricher (process tree,
// users, container metadata from podman, containerd and docker) and the Responder (kill/stop/pause
// per policy file).

import { Enricher, type HostEnginesOptions, hostContainerEngines, Responder } from '@palisade/runtime';
import type { AgentLogger } from './agent-log.js';
import type { RespondStage } from './start-agent.js';

export interface EnrichStageOptions extends HostEnginesOptions {
  /** Where the warm-up reports how many containers it found. */
  log?: AgentLogger;
}

/**
 * Process tree, user names and container metadata (name, image, labels, Kubernetes pod) from every
 * engine on this host: podman always, containerd and docker when their sockets are there or named.
 * It follows the engines' event streams (`podman events`, `ctr events`) from the start, and fills
 * its cache with the containers already running so their first events carry names; `close()`
 * (the agent's stop) ends those streams.
 */
export function defaultEnrichStage(opts: EnrichStageOptions = {}): Enricher {
  const enricher = new Enricher({ engines: hostContainerEngines(opts) });
  // Subscribe before listing, so a container removed during the warm-up is not left cached.
  enricher.followEngines();
  enricher.warmUp().then(
    (n) => opts.log?.('info', `container metadata: ${n} containers known at start`),
    (err: unknown) => opts.log?.('warn', `container metadata warm-up: ${(err as Error).message}`),
  );
  return enricher;
}

/** Responses as the policy file says (audit or enforce, rate-limited); actions travel with the alert. */
export function respondStageFromPolicy(file: string): RespondStage {
  const responder = Responder.fromFile(file);
  return async (alert, ev) => (await responder.respond(alert, ev)).actions;
}

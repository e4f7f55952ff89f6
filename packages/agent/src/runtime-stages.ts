// Builds the agent's enrich and respond stages from @palisade/runtime: the Enricher (process tree,
// users, container metadata from podman) and the Responder (kill/stop/pause per policy file).

import { Enricher, PodmanCliEngine, Responder } from '@palisade/runtime';
import type { EnrichStage, RespondStage } from './start-agent.js';

/** Process tree, user names and podman container metadata (name, image, labels, pod). */
export function defaultEnrichStage(): EnrichStage {
  return new Enricher({ engines: [new PodmanCliEngine()] });
}

/** Responses as the policy file says (audit or enforce, rate-limited); actions travel with the alert. */
export function respondStageFromPolicy(file: string): RespondStage {
  const responder = Responder.fromFile(file);
  return async (alert, ev) => (await responder.respond(alert, ev)).actions;
}

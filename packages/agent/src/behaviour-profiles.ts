// Behaviour profiles assigned by the server, applied to the running agent. With a local profiles
// file (--baseline-profiles) the file's detector is used and a server profile replaces the
// workload's profile; when the server drops it, the file's profile (as read at start) comes back,
// or the workload learns again. Without a local file, only workloads with a server profile are
// judged: nothing else learns or alerts.

import type { Alert, RuntimeEvent } from '@palisade/core';
import {
  BaselineDetector,
  type BehaviourProfile,
  defaultWorkloadKey,
  emptyProfile,
  loadProfiles,
} from '@palisade/runtime';
import type { AgentLogger } from './agent-log.js';
import type { PolicyDocument } from './policy-sync.js';
import type { EventDetector } from './start-agent.js';

export class ServerBehaviourProfiles implements EventDetector {
  private readonly detector: BaselineDetector;
  private readonly base: Map<string, BehaviourProfile>;
  /** Workloads whose profile the server assigned. */
  private assigned = new Set<string>();

  /** `local`: the --baseline-profiles detector and the profiles its file held at start. */
  constructor(
    local: { detector: BaselineDetector; base: readonly BehaviourProfile[] } | undefined,
    private readonly log?: AgentLogger,
  ) {
    this.detector = local?.detector ?? new BaselineDetector({ learnNewWorkloads: false });
    this.base = new Map((local?.base ?? []).map((p) => [p.workload, p]));
    this.local = local !== undefined;
  }

  private readonly local: boolean;

  observe(ev: RuntimeEvent): readonly Alert[] {
    if (!this.local && (this.assigned.size === 0 || !this.assigned.has(defaultWorkloadKey(ev)))) return [];
    return this.detector.observe(ev);
  }

  /** Replaces the server's profiles; a document that does not parse keeps the previous ones. */
  setRemote(docs: readonly PolicyDocument[]): { applied: boolean; error?: string } {
    let profiles: BehaviourProfile[];
    try {
      profiles = docs.flatMap((d) => loadProfiles(d.text, d.path));
    } catch (err) {
      const error = (err as Error).message;
      this.log?.('error', `behaviour profiles from the server not applied, previous kept: ${error}`);
      return { applied: false, error };
    }
    const next = new Set(profiles.map((p) => p.workload));
    const restored: BehaviourProfile[] = [];
    for (const w of this.assigned) {
      if (next.has(w)) continue;
      if (this.local) restored.push(this.base.get(w) ?? emptyProfile(w, 'learn'));
    }
    this.detector.loadProfiles([...restored, ...profiles]);
    this.assigned = next;
    this.log?.('info', `behaviour profiles: ${next.size} workloads assigned by the server`);
    return { applied: true };
  }

  workloads(): string[] {
    return [...this.assigned].sort();
  }
}

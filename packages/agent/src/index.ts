// Public API of @palisade/agent: the daemon behind `palisade agent` (sensor → enrich → rules →
// respond → outputs), network policy enforcement, server-assigned policies, its outputs, the
// disk-backed server queue and the inventory collector.

export { type AgentLogger, type AgentLogLevel, stderrLogger } from './agent-log.js';
export { alertId, idToUuid, isoTimeNs, stableId } from './alert-id.js';
export { ServerBehaviourProfiles } from './behaviour-profiles.js';
export { DiskQueue, type QueuedRecord } from './disk-queue.js';
export {
  type ContainerInventory,
  collectInventory,
  containerdInventory,
  dedupeImages,
  type HostInventory,
  type ImageInventory,
  type InventoryEngine,
  type InventoryRecord,
  type InventorySources,
  parseCtrTaskStates,
  parseDockerContainerList,
  parseOsRelease,
  parsePodmanPs,
} from './inventory.js';
export {
  mergeEndpoints,
  NETWORK_POLICY_RULE,
  type NetworkApplyOutcome,
  type NetworkEnforcer,
  type NetworkEnforcerOptions,
  type NetworkEnforcerStats,
  startNetworkEnforcer,
} from './network-enforcer.js';
export {
  AGENT_NODE_OPTIONS,
  AGENT_SEMI_SPACE_MB,
  newSpaceMb,
  semiSpaceFlagGiven,
  watchYoungGeneration,
  type YoungGenerationWatch,
} from './node-flags.js';
export type { AlertOutput, AlertRecord } from './outputs/alert-output.js';
export { fileOutput } from './outputs/file-output.js';
export { falcosidekickBody, type HttpOutputOptions, httpOutput } from './outputs/http-output.js';
export { alertEventLine, type ServerOutput, type ServerOutputOptions, serverOutput } from './outputs/server-output.js';
export { formatAlertLine, type StdoutFormat, stdoutOutput } from './outputs/stdout-output.js';
export {
  BEHAVIOUR_PROFILE_KIND,
  NETWORK_KINDS,
  type PolicyDocument,
  type PolicySync,
  type PolicySyncOptions,
  RESPONSE_POLICY_KIND,
  startPolicySync,
} from './policy-sync.js';
export { mergeResponsePolicies, ResponsePolicySet, type ResponsePolicySetOptions } from './response-policies.js';
export { defaultRulesFile, listRulesFiles, readRulesFiles } from './rules-files.js';
export { defaultEnrichStage, type EnrichStageOptions, respondStageFromPolicy } from './runtime-stages.js';
export { locateSensorBinary } from './sensor-binary.js';
export { HEALTH_PRIORITY, SENSOR_HEALTH_RULE, sensorHealthAlert } from './sensor-health.js';
export {
  type AgentHandle,
  type AgentOptions,
  type AgentStats,
  type EnrichStage,
  type EventDetector,
  type InventorySink,
  parseMinPriority,
  type ReloadOutcome,
  type RespondStage,
  startAgent,
  withWorkloadFields,
} from './start-agent.js';

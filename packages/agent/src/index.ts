// Public API of @palisade/agent: the daemon behind `palisade agent` (sensor → enrich → rules →
// respond → outputs), its outputs, the disk-backed server queue and the inventory collector.

export { type AgentLogger, type AgentLogLevel, stderrLogger } from './agent-log.js';
export { alertId, idToUuid, isoTimeNs, stableId } from './alert-id.js';
export { DiskQueue, type QueuedRecord } from './disk-queue.js';
export {
  type ContainerInventory,
  collectInventory,
  type HostInventory,
  type InventoryRecord,
  parseOsRelease,
  parsePodmanPs,
} from './inventory.js';
export { AGENT_NODE_OPTIONS } from './node-flags.js';
export type { AlertOutput, AlertRecord } from './outputs/alert-output.js';
export { fileOutput } from './outputs/file-output.js';
export { falcosidekickBody, type HttpOutputOptions, httpOutput } from './outputs/http-output.js';
export { alertEventLine, type ServerOutput, type ServerOutputOptions, serverOutput } from './outputs/server-output.js';
export { formatAlertLine, type StdoutFormat, stdoutOutput } from './outputs/stdout-output.js';
export { type PolicySync, type PolicySyncOptions, startPolicySync } from './policy-sync.js';
export { defaultRulesFile, listRulesFiles, readRulesFiles } from './rules-files.js';
export { defaultEnrichStage, respondStageFromPolicy } from './runtime-stages.js';
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

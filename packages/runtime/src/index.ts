// Public API of @palisade/runtime: the Falco-compatible rule engine, its rules checker and the
// condition parser (for tooling). Event and alert contracts live in @palisade/core.

// Behaviour baselines: learn per workload, then alert on what is new.
export {
  BASELINE_RULE,
  BaselineDetector,
  type BaselineKind,
  type BaselineOptions,
  defaultWorkloadKey,
  foldPath,
} from './baseline/baseline-detector.js';
export {
  type BaselineMode,
  type BehaviourProfile,
  emptyProfile,
  loadProfiles,
  type ProcessEntry,
  saveProfiles,
} from './baseline/behaviour-profile.js';
export { checkRules, type RulesCheckReport, renderRulesCheck } from './check-rules.js';
// The default ruleset shipped with the package.
export { DEFAULT_RULES_PATH, defaultRulesFile } from './default-rules.js';
// Enrichment: process tree, user names, cgroup → container → engine metadata, k8s pod.
export {
  type CgroupContainerRef,
  type CgroupEntry,
  containerFromCgroupPath,
  containerFromProcCgroup,
  parseProcCgroup,
} from './enrich/cgroup-container.js';
export { CgroupIdIndex, type CgroupIdIndexOptions, findCgroup2Mount } from './enrich/cgroup-id-index.js';
export {
  type ContainerEngine,
  type ContainerMetadata,
  containerMetadataFromInspect,
  DockerApiEngine,
  PodmanCliEngine,
  type PodmanCliOptions,
} from './enrich/container-engines.js';
export {
  ContainerdEngine,
  type ContainerdEngineOptions,
  type ContainerdEvent,
  CRI_KEYS,
  CRI_NAMESPACE,
  containerdMetadataFromInfo,
  DEFAULT_CONTAINERD_SOCKET,
  parseContainerdEventLine,
} from './enrich/containerd-engine.js';
export { Enricher, type EnricherOptions, k8sFromContainer } from './enrich/enricher.js';
export { DEFAULT_DOCKER_SOCKET, type HostEnginesOptions, hostContainerEngines } from './enrich/host-engines.js';
export { type ProcSnapshot, parseProcStat, readProc } from './enrich/proc-reader.js';
export { ANCESTOR_DEPTH, type ProcessNode, ProcessTree, type ProcessTreeOptions } from './enrich/process-tree.js';
export { type PasswdEntry, parseGroup, parsePasswd, UserDirectory } from './enrich/user-directory.js';
export { parseEventLines, readEventStream, toRuntimeEvent } from './event-stream.js';
// Responses: policy, rate limits, kill/stop/pause with audit and enforce modes.
export { Responder, type ResponderOptions } from './response/responder.js';
export { PodmanExecutor, type ResponseExecutor } from './response/response-executor.js';
export {
  DEFAULT_RESPONSE_POLICY,
  parseResponsePolicy,
  RESPONSE_ACTIONS,
  type ResponseActionName,
  type ResponseMode,
  type ResponsePolicy,
  type ResponseRule,
} from './response/response-policy.js';
export { type RateLimit, TokenBuckets } from './response/token-bucket.js';
export {
  type LoadResult,
  type ReloadResult,
  RuleEngine,
  type RuleEngineOptions,
  type RuleSelection,
  type RuleSelector,
} from './rule-engine.js';
export type { RuleCheck, RuleLoadStatus } from './rules/compile-ruleset.js';
export { type ConditionNode, printCondition } from './rules/condition-ast.js';
export { ConditionSyntaxError, parseCondition } from './rules/condition-parser.js';
export { FIELDS, type FieldDef, type FieldType } from './rules/fields.js';
export { ENGINE_VERSION, type LoadProblem, type RulesFileInput } from './rules/rules-loader.js';

// Public API of @palisade/network: the Calico-compatible policy model and loader, the selector
// language, the pure evaluator, and the nftables compiler and applier.

export {
  type DnsAnswerRecord,
  type DnsProxy,
  type DnsProxyOptions,
  type HostPort,
  servfail,
  startDnsProxy,
} from './dns/dns-proxy.js';
export { DomainSetFeeder, type SetAdd } from './dns/set-feeder.js';
export { EGRESS_MARK_MASK, type EgressGateway, planEgressGateways } from './egress/plan.js';
export {
  applyEgressRoutes,
  type EgressRoute,
  egressRoutes,
  type RouteOptions,
  removeEgressRoutes,
} from './egress/routes.js';
export {
  type Discovery,
  type DiscoveryOptions,
  diffEndpoints,
  discoverEndpoints,
  ENGINES,
  type EndpointChange,
  type EndpointWatch,
  type EndpointWatchOptions,
  type EngineName,
  endpointKey,
  type HostEndpointOptions,
  hostEndpoints,
  parseContainerInspect,
  parseIpLinks,
  watchEndpoints,
} from './endpoints/index.js';
export {
  type Decision,
  domainMatches,
  evaluate,
  type Flow,
  policiesFor,
  stagedView,
  type TraceStep,
  type Verdict,
} from './evaluate/evaluate.js';
export { parseFlowSpec, renderDecision } from './evaluate/flow-spec.js';
export {
  type CiliumExport,
  type CiliumLabelSelector,
  exportCiliumPolicies,
  selectorToCilium,
} from './export/cilium.js';
export { CILIUM_POLICY_SCHEMA } from './export/cilium-schema.js';
export {
  calicoPolicyDocument,
  exportCalicoYaml,
  exportKubernetesNetworkPolicies,
  type FidelityNote,
  type KubernetesExport,
  selectorToLabelSelector,
} from './export/export.js';
export { type ConntrackEntry, parseConntrackLine } from './flows/conntrack-line.js';
export {
  type FlowCollector,
  type FlowCollectorOptions,
  type FlowEndpoint,
  type FlowLogRecord,
  startFlowCollector,
} from './flows/flow-collector.js';
export { type NflogPacket, NflogPcapReader, parseNflog } from './flows/nflog-pcap.js';
export { type Cidr, cidrContains, formatCidr, parseCidr, parseIp } from './model/cidr.js';
export {
  convertK8sNetworkPolicy,
  type K8sLabelSelector,
  type K8sNetworkPolicySpec,
  labelSelectorToCalico,
} from './model/k8s-policy.js';
export { loadPolicyModel, type PolicyInput } from './model/load.js';
export type {
  Action,
  Direction,
  EgressGatewayPolicy,
  Endpoint,
  EntityRule,
  IcmpMatch,
  NamedPort,
  NetworkSet,
  Policy,
  PolicyModel,
  PortMatch,
  Rule,
  Tier,
} from './model/types.js';
export { type ApplyOptions, applyNftScript, applyRuleset, NftApplyError } from './nft/apply.js';
export {
  type BridgeCommandOptions,
  type BridgePorts,
  enableBridgeNetfilter,
  listBridgePorts,
  parseBridgePorts,
  renderBridgeGuard,
  withBridgeDispatch,
} from './nft/bridge.js';
export {
  type CompileOptions,
  compileRuleset,
  DEFAULT_FAILSAFE_TCP_PORTS,
  ENFORCEMENT_MODES,
  type EnforcementMode,
} from './nft/compile.js';
export { type CutOptions, type CutResult, cutForbiddenConnections, forbiddenEntries } from './nft/cut.js';
export { addEndpointIncrementally, type ElementAdd, type EndpointAdd, renderElementAdds } from './nft/incremental.js';
export { type HookResult, type Packet, runHook } from './nft/interpret.js';
export type {
  DomainSet,
  Match,
  NftChain,
  NftMap,
  NftRule,
  NftRuleset,
  NftSet,
  NftVerdict,
  Statement,
} from './nft/ir.js';
export { type ExistingObjects, parseExistingObjects, renderReplace, renderTable } from './nft/render.js';
export { parseFlowLog } from './recommend/flow-log.js';
export {
  mergePorts,
  type Recommendation,
  type RecommendedGroup,
  type RecommendOptions,
  type RecommendReport,
  recommendPolicies,
  replicaBase,
  type StillDeniedFlow,
} from './recommend/recommend.js';
export {
  compileSelector,
  type Labels,
  parseSelector,
  printSelector,
  type SelectorAst,
  SelectorError,
  type SelectorMatcher,
} from './selector/selector.js';

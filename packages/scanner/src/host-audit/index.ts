// Public API of the host hardening audit (`palisade host audit`): run CIS checks against a root,
// render the check table, and turn failures into Findings for the shared report writers.

export { type ContainerInfo, HostRoot, type HostRootOptions } from './host-root.js';
export { parseSshdConfig, type SshdConfig, type SshdConfigSource } from './parsers/sshd-config.js';
export { HOST_CHECKS } from './registry.js';
export { renderHostAuditTable } from './render-host-table.js';
export {
  checkSelected,
  type HostAuditOptions,
  type HostAuditReport,
  hostAuditFindings,
  hostAuditScanReport,
  runHostAudit,
  selectChecks,
} from './run-audit.js';
export type { CheckOutcome, CheckResult, CheckStatus, CisSections, Evidence, HostCheck } from './types.js';

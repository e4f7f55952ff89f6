// The misconfiguration rule registry: every built-in rule, listed once. A new rule is one
// module (or one export in its family's module) plus one line here.

import type { ComposeRule, ConfigRule, DockerfileRule, IacRule, K8sRule, RuleMeta } from '../types.js';
import {
  composeDangerousCapabilities,
  composeHostNetwork,
  composeHostPidIpc,
  composeImageTag,
  composePortsOnAllInterfaces,
  composePrivileged,
  composeRootUser,
  composeSecretInEnvironment,
  composeSocketMounted,
  composeWritableRootFilesystem,
} from './compose/compose-rules.js';
import { addFromUrl, addInsteadOfCopy } from './dockerfile/add-instruction.js';
import { aptInstallRecommends, aptListsKept, unpinnedVersions } from './dockerfile/package-installs.js';
import { secretInEnv } from './dockerfile/secret-names.js';
import { pipeToShell, sudoUsed } from './dockerfile/shell-risks.js';
import {
  baseImageTag,
  noHealthcheck,
  relativeWorkdir,
  repeatedStartCommand,
  rootUser,
  sshPort,
} from './dockerfile/stage-settings.js';
import { dynamoDbCmk, ebsUnencrypted, rdsUnencrypted, snsUnencrypted, sqsUnencrypted } from './iac/aws-encryption.js';
import { adminPolicyAttached, iamPassRoleWildcard, iamWildcard } from './iac/aws-iam.js';
import { securityGroupOpenAdminPorts } from './iac/aws-network.js';
import { s3AccessLogging, s3Encryption, s3PublicAccessBlock, s3PublicAcl } from './iac/aws-s3.js';
import { cloudTrailCoverage, imdsV1, kmsRotation, rdsPublic } from './iac/aws-services.js';
import {
  activityLogRetention,
  nsgOpenAdminPorts,
  sqlFirewallOpen,
  storageInsecureTransport,
  storagePublicAccess,
} from './iac/azure.js';
import {
  deprecatedRuntime,
  functionUrlWithoutAuth,
  overBroadExecutionRole,
  publicFunctionTrigger,
  secretInFunctionEnv,
} from './iac/functions.js';
import { auditLogExemptions, cloudSqlOpen, firewallOpenAdminPorts, gcsPublic, gcsWithoutCmek } from './iac/gcp.js';
import { imageExposesSsh, imageRunsAsRoot } from './image/image-config-rules.js';
import { baselineCapabilities, restrictedCapabilities } from './kubernetes/capabilities.js';
import { hostNamespaces, hostPathVolumes, hostPorts, hostProcess, privileged } from './kubernetes/host-access.js';
import {
  appArmor,
  procMount,
  seccompRestricted,
  seccompUnconfined,
  seLinux,
  unsafeSysctls,
} from './kubernetes/kernel-profiles.js';
import { namespacePodSecurity } from './kubernetes/namespace-policy.js';
import { anonymousSubject, clusterAdminBinding, podExec, rbacWildcard, secretsAccess } from './kubernetes/rbac.js';
import { privilegeEscalation, runAsNonRoot, runAsRootUser, volumeTypes } from './kubernetes/restricted-user.js';
import { ingressWithoutTls, serviceExposure } from './kubernetes/service-exposure.js';
import {
  automountServiceAccountToken,
  defaultNamespace,
  imageTag,
  livenessProbe,
  readinessProbe,
  readOnlyRootFilesystem,
  resourceLimits,
  resourceRequests,
} from './kubernetes/workload-hygiene.js';

export const KUBERNETES_RULES: readonly K8sRule[] = [
  // Pod Security Standards: baseline
  hostProcess,
  hostNamespaces,
  privileged,
  baselineCapabilities,
  hostPathVolumes,
  hostPorts,
  appArmor,
  seLinux,
  procMount,
  seccompUnconfined,
  unsafeSysctls,
  // Pod Security Standards: restricted
  volumeTypes,
  privilegeEscalation,
  runAsNonRoot,
  runAsRootUser,
  seccompRestricted,
  restrictedCapabilities,
  // Workload hardening
  readOnlyRootFilesystem,
  resourceLimits,
  resourceRequests,
  imageTag,
  livenessProbe,
  readinessProbe,
  defaultNamespace,
  automountServiceAccountToken,
  serviceExposure,
  ingressWithoutTls,
  namespacePodSecurity,
  // RBAC
  rbacWildcard,
  clusterAdminBinding,
  anonymousSubject,
  secretsAccess,
  podExec,
];

export const DOCKERFILE_RULES: readonly DockerfileRule[] = [
  rootUser,
  baseImageTag,
  addFromUrl,
  addInsteadOfCopy,
  secretInEnv,
  noHealthcheck,
  unpinnedVersions,
  aptInstallRecommends,
  aptListsKept,
  pipeToShell,
  sudoUsed,
  sshPort,
  repeatedStartCommand,
  relativeWorkdir,
];

/** Cloud rules over Terraform, plan JSON, CloudFormation/SAM, serverless.yml and function configs. */
export const IAC_RULES: readonly IacRule[] = [
  // AWS
  s3PublicAcl,
  s3PublicAccessBlock,
  s3Encryption,
  s3AccessLogging,
  securityGroupOpenAdminPorts,
  ebsUnencrypted,
  rdsUnencrypted,
  dynamoDbCmk,
  sqsUnencrypted,
  snsUnencrypted,
  rdsPublic,
  imdsV1,
  cloudTrailCoverage,
  iamWildcard,
  iamPassRoleWildcard,
  adminPolicyAttached,
  kmsRotation,
  // Azure
  nsgOpenAdminPorts,
  storagePublicAccess,
  storageInsecureTransport,
  sqlFirewallOpen,
  activityLogRetention,
  // Google Cloud
  firewallOpenAdminPorts,
  cloudSqlOpen,
  gcsPublic,
  gcsWithoutCmek,
  auditLogExemptions,
  // Serverless functions, every platform
  deprecatedRuntime,
  secretInFunctionEnv,
  functionUrlWithoutAuth,
  overBroadExecutionRole,
  publicFunctionTrigger,
];

/** docker-compose services (docker-compose.yml, compose.yaml and their override files). */
export const COMPOSE_RULES: readonly ComposeRule[] = [
  composePrivileged,
  composeHostNetwork,
  composeHostPidIpc,
  composeDangerousCapabilities,
  composePortsOnAllInterfaces,
  composeImageTag,
  composeSecretInEnvironment,
  composeSocketMounted,
  composeRootUser,
  composeWritableRootFilesystem,
];

export const IMAGE_CONFIG_RULES: readonly RuleMeta[] = [imageRunsAsRoot, imageExposesSsh];

/** Reported when a file cannot be parsed (invalid YAML, alias bomb): the scan goes on without it. */
export const PARSE_ERROR_RULE: RuleMeta = {
  id: 'PAL-PARSE',
  severity: 'LOW',
  title: 'Configuration file cannot be parsed',
  rationale: 'A file that does not parse is not checked, and the tool that deploys it may read it differently or fail.',
  remediation: 'Fix the syntax error (or, for an alias-heavy file, expand the aliases).',
  references: ['https://yaml.org/spec/1.2.2/'],
  frameworks: {},
};

/** Every rule, for docs and `--list-rules`: id, severity, title, rationale, remediation, frameworks. */
export const RULES: readonly (ConfigRule | RuleMeta)[] = [
  ...KUBERNETES_RULES,
  ...DOCKERFILE_RULES,
  ...IAC_RULES,
  ...COMPOSE_RULES,
  ...IMAGE_CONFIG_RULES,
  PARSE_ERROR_RULE,
];

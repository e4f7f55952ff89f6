// Public API of misconfiguration scanning: the analyzer for the pipeline, direct file and
// image-config scans, the rule registry (for docs), and the parsers for reuse.

export { type CelCompileError, compileCel } from './cel/compile-expression.js';
export { loadUserRules, parseUserRules, type UserRuleLoad } from './cel/load-user-rules.js';
export { USER_RULE_SCHEMA } from './cel/user-rule-schema.js';
export { type ComposeService, environmentOf, publishedPortsOf } from './compose/compose-service.js';
export { isComposeFileName, scanComposeText } from './compose/scan-compose-file.js';
export { configTypeForPath } from './detect-config-type.js';
export { type Dockerfile, type DockerInstruction, type DockerStage, parseDockerfile } from './dockerfile-parser.js';
export {
  findOnPath,
  type HelmRenderOptions,
  type RenderedTemplate,
  renderHelmChart,
  splitBySource,
} from './helm/render-helm-chart.js';
export { type HelmScanResult, type ScanHelmOptions, scanHelmChart } from './helm/scan-helm-chart.js';
export type { IacContext, IacIssue, IacResource, IacSource } from './iac/iac-resource.js';
export { type ScanIacOptions, scanIacFile, scanTerraformDir } from './iac/scan-iac-file.js';
export { parseTerraformModule, type TerraformFile } from './iac/terraform/terraform-parser.js';
export { scanTerraformTree, terraformDirectories, terraformRootDirectories } from './iac/terraform-modules.js';
export { scanImageConfig } from './image-config.js';
export { MAX_ALIAS_COUNT, parseKubernetesYaml } from './kubernetes-parser.js';
export type { K8sResource } from './kubernetes-resource.js';
export { createMisconfigAnalyzer, type MisconfigAnalyzerOptions, misconfigAnalyzer } from './misconfig-analyzer.js';
export { RUNTIME_END_OF_LIFE, type RuntimeEndOfLife, runtimeEndOfLife } from './rules/iac/runtime-end-of-life.js';
export {
  COMPOSE_RULES,
  DOCKERFILE_RULES,
  IAC_RULES,
  IMAGE_CONFIG_RULES,
  KUBERNETES_RULES,
  PARSE_ERROR_RULE,
  RULES,
} from './rules/index.js';
export { MAX_CONFIG_BYTES, type ScanConfigOptions, scanConfigFile } from './scan-config-file.js';
export type * from './types.js';

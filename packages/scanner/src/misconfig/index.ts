// Public API of misconfiguration scanning: the analyzer for the pipeline, direct file and
// image-config scans, the rule registry (for docs), and the parsers for reuse.

export { configTypeForPath } from './detect-config-type.js';
export { type Dockerfile, type DockerInstruction, type DockerStage, parseDockerfile } from './dockerfile-parser.js';
export type { IacContext, IacIssue, IacResource, IacSource } from './iac/iac-resource.js';
export { type ScanIacOptions, scanIacFile, scanTerraformDir } from './iac/scan-iac-file.js';
export { parseTerraformModule, type TerraformFile } from './iac/terraform/terraform-parser.js';
export { scanImageConfig } from './image-config.js';
export { MAX_ALIAS_COUNT, parseKubernetesYaml } from './kubernetes-parser.js';
export type { K8sResource } from './kubernetes-resource.js';
export { misconfigAnalyzer } from './misconfig-analyzer.js';
export { RUNTIME_END_OF_LIFE, type RuntimeEndOfLife, runtimeEndOfLife } from './rules/iac/runtime-end-of-life.js';
export {
  DOCKERFILE_RULES,
  IAC_RULES,
  IMAGE_CONFIG_RULES,
  KUBERNETES_RULES,
  PARSE_ERROR_RULE,
  RULES,
} from './rules/index.js';
export { MAX_CONFIG_BYTES, type ScanConfigOptions, scanConfigFile } from './scan-config-file.js';
export type * from './types.js';

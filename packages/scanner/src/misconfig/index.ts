// Public API of misconfiguration scanning: the analyzer for the pipeline, direct file and
// image-config scans, the rule registry (for docs), and the parsers for reuse.

export { configTypeForPath } from './detect-config-type.js';
export { type Dockerfile, type DockerInstruction, type DockerStage, parseDockerfile } from './dockerfile-parser.js';
export { scanImageConfig } from './image-config.js';
export { MAX_ALIAS_COUNT, parseKubernetesYaml } from './kubernetes-parser.js';
export type { K8sResource } from './kubernetes-resource.js';
export { misconfigAnalyzer } from './misconfig-analyzer.js';
export { DOCKERFILE_RULES, IMAGE_CONFIG_RULES, KUBERNETES_RULES, PARSE_ERROR_RULE, RULES } from './rules/index.js';
export { MAX_CONFIG_BYTES, type ScanConfigOptions, scanConfigFile } from './scan-config-file.js';
export type * from './types.js';

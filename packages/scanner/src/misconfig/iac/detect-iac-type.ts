// Which files the IaC scan reads: Terraform by extension; CloudFormation, SAM, plan JSON,
// serverless.yml and function configs are YAML/JSON recognised by a cheap text probe, then by content.

const STRUCTURED_EXT = /\.(ya?ml|json|template)$/i;

/** "terraform" for .tf, "structured" for YAML/JSON that may be IaC, undefined for anything else. */
export function iacKindForPath(filePath: string): 'terraform' | 'structured' | undefined {
  const name = filePath.slice(filePath.lastIndexOf('/') + 1);
  if (/\.tf$/i.test(name)) return 'terraform';
  if (STRUCTURED_EXT.test(name)) return 'structured';
  return undefined;
}

/** Files whose name alone says what they are: a parse error in them is worth a finding. */
export function isNamedIacFile(filePath: string): boolean {
  const name = filePath.slice(filePath.lastIndexOf('/') + 1).toLowerCase();
  return (
    /^serverless\.ya?ml$/.test(name) ||
    name === 'function.json' ||
    name === 'host.json' ||
    /\.template$/.test(name) ||
    /^(template|samconfig)\.ya?ml$/.test(name) ||
    /(^|\.)tfplan\.json$|^plan\.json$/.test(name)
  );
}

// Words one of the recognised shapes must contain; most YAML/JSON in a repository has none of them.
const MARKERS = [
  'AWSTemplateFormatVersion',
  'Resources',
  'resource_changes',
  'provider',
  'FunctionName',
  'FunctionUrl',
  'bindings',
  'linuxFxVersion',
  'netFrameworkVersion',
  '/functions/',
];

export function mayBeIac(filePath: string, text: string): boolean {
  return isNamedIacFile(filePath) || MARKERS.some((m) => text.includes(m));
}

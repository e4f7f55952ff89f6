// The analyzer contract: an analyzer names the files it wants and turns one file into facts
// (OS identity, packages). It never prints, never decides exit codes, never knows about formats.

import type { ArtifactInfo, Finding, OsInfo, Package, ResultClass } from '@palisade/core';

export type AnalyzerCategory = 'os' | 'pkg' | 'lang' | 'config' | 'secret';

export interface FileInfo {
  /** Size in bytes. */
  size: number;
  /** st_mode: file type and permission bits (0o100755 for an executable regular file). */
  mode: number;
}

export interface AnalyzerInput extends FileInfo {
  /** Path relative to the artifact root, '/'-separated, no leading '/', never containing '..'. */
  path: string;
  content: Buffer;
}

/** The packages one file declares: a lockfile, a package database, a binary. */
export interface PackageSet {
  class: Extract<ResultClass, 'os-pkgs' | 'lang-pkgs'>;
  /** Analyzer type as reports show it: "dpkg", "apk", "rpm", "npm", "yarn", "pip", "gobinary" … */
  type: string;
  /** The file the packages were read from (relative to the artifact root). */
  filePath: string;
  packages: Package[];
}

export interface AnalysisResult {
  os?: OsInfo;
  packageSets?: PackageSet[];
  /** Secret findings in this file (secret analyzer); the layer applier adds `target.layer`. */
  secrets?: Finding[];
  /** Configuration files checked by the misconfiguration analyzer (only files with findings). */
  misconfigurations?: MisconfigurationSet[];
}

/** Misconfiguration findings of one configuration file (Kubernetes manifest, Dockerfile). */
export interface MisconfigurationSet {
  filePath: string;
  type:
    | 'kubernetes'
    | 'dockerfile'
    | 'terraform'
    | 'terraform-plan'
    | 'cloudformation'
    | 'serverless'
    | 'function-config'
    | 'docker-compose';
  findings: Finding[];
}

export interface AnalyzerContext {
  /** A non-fatal problem worth telling the user (corrupt lockfile …); the scan goes on. */
  warn(message: string): void;
}

export interface Analyzer {
  /** Unique name, kebab-case: "dpkg-status", "npm-lock", "go-binary". */
  readonly name: string;
  readonly category: AnalyzerCategory;
  /** Called for every regular file; must be cheap (look at the path and size only). */
  required(path: string, info: FileInfo): boolean;
  analyze(input: AnalyzerInput, ctx: AnalyzerContext): Promise<AnalysisResult | undefined>;
}

/** What analyzing one artifact yields, before vulnerability detection: the input of every detector. */
export interface ArtifactAnalysis {
  artifact: ArtifactInfo;
  /** Package sets after layers are applied (whiteouts honoured); each package carries its layer. */
  packageSets: PackageSet[];
  /** Non-fatal problems met while reading (unreadable file, corrupt lockfile …). */
  warnings: string[];
  /** Secrets in the files of the final view (whiteouts honoured), each with its layer; absent when none were found. */
  secrets?: Finding[];
  /** Misconfigurations in the files of the final view (whiteouts honoured); absent when none were found. */
  misconfigurations?: MisconfigurationSet[];
  /** Function artifacts: the parsed configuration, environment included, for misconfiguration and secret checks. */
  functionConfig?: FunctionConfig;
}

/** A serverless function's configuration, from the provider's CLI output or the package's own files. */
export interface FunctionConfig {
  provider: 'aws' | 'azure' | 'gcp';
  name?: string;
  runtime?: string;
  handler?: string;
  /** Environment variables / app settings, as configured (values may be secrets). */
  environment: Record<string, string>;
  /** Where the configuration was read from (a file path, or "PACKAGE.zip!host.json"). */
  source: string;
  /** The configuration document(s) as parsed, for rules that need more than the fields above. */
  raw: unknown;
}

// The scan report: the one shape every scanner produces and every writer in `report` consumes.
// Trivy-shaped: one artifact, a list of results, each result one target (lockfile, OS db, config).

import type { Finding } from './finding.js';
import type { OsInfo } from './os.js';
import type { LayerRef, Package } from './package.js';

export type ArtifactType = 'image' | 'rootfs' | 'filesystem' | 'repository' | 'function' | 'sbom';

export type ResultClass = 'os-pkgs' | 'lang-pkgs' | 'config' | 'secret' | 'exposure' | 'host';

export interface ImageMetadata {
  /** sha256 of the image config, the image's identity. */
  id?: string;
  repoTags?: string[];
  repoDigests?: string[];
  layers: LayerRef[];
  architecture?: string;
  os?: string;
  /** The parts of the image config a security reviewer reads. */
  config?: {
    user?: string;
    env?: string[];
    exposedPorts?: string[];
    entrypoint?: string[];
    cmd?: string[];
    workingDir?: string;
    labels?: Record<string, string>;
  };
}

export interface ArtifactInfo {
  name: string;
  type: ArtifactType;
  os?: OsInfo;
  image?: ImageMetadata;
  /** For functions: runtime, handler, provider from the package's config. */
  function?: { provider?: string; runtime?: string; handler?: string; name?: string };
  /** For source repositories: the revision checked out when scanned (read from .git). */
  repository?: { commit?: string; branch?: string };
}

export interface ScanResult {
  /** What was scanned inside the artifact: "debian 12.5 (dpkg)", "app/package-lock.json" … */
  target: string;
  class: ResultClass;
  /** Analyzer type: "dpkg", "apk", "rpm", "npm", "pip", "gobinary" … */
  type: string;
  packages: Package[];
  findings: Finding[];
}

export interface ScanReport {
  schemaVersion: 1;
  createdAt: string;
  artifact: ArtifactInfo;
  results: ScanResult[];
  /** Non-fatal problems met during the scan (unreadable file, corrupt lockfile …). */
  warnings: string[];
}

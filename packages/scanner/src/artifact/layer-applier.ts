// Trivy's "applier": keeps analysis results keyed by (file path, layer) and applies each layer on
// top of the ones below (rewrites, whiteouts, opaque dirs), so the final view is what a container sees.

import type { Finding, LayerRef, OsInfo, Package } from '@palisade/core';
import { mergeOsInfo } from '../analyzer/os/merge-os-info.js';
import type { AnalysisResult, MisconfigurationSet, PackageSet } from '../analyzer/types.js';

/** One analyzer's result for one file; `order` is the analyzer's position in the list (its priority). */
export interface FileFinding {
  order: number;
  result: AnalysisResult;
}

interface AppliedFile {
  layer: number;
  findings: FileFinding[];
  /** Package key → index of the layer that introduced it (the start of its unbroken presence). */
  introduced: Map<string, number>;
}

function packageKey(type: string, p: Package): string {
  return `${type}\0${p.name}\0${p.version}\0${p.arch ?? ''}`;
}

function isAtOrUnder(p: string, dir: string): boolean {
  return dir === '' || p === dir || p.startsWith(`${dir}/`);
}

export class LayerApplier {
  private readonly files = new Map<string, AppliedFile>();
  private current = 0;
  private pending = new Map<string, FileFinding[]>();
  private hidden = new Set<string>();
  private whiteouts: string[] = [];
  private opaqueDirs: string[] = [];

  beginLayer(index: number): void {
    this.current = index;
    this.pending = new Map();
    this.hidden = new Set();
    this.whiteouts = [];
    this.opaqueDirs = [];
  }

  /** An entry exists at this path in the current layer: it replaces a lower file at the same path. */
  entry(path: string): void {
    if (this.files.has(path)) this.hidden.add(path);
  }

  whiteout(path: string): void {
    this.whiteouts.push(path);
  }

  opaqueDir(dir: string): void {
    this.opaqueDirs.push(dir);
  }

  /** Results of analyzing a file of the current layer (an empty list still replaces lower results). */
  record(path: string, findings: FileFinding[]): void {
    this.pending.set(path, findings);
  }

  endLayer(): void {
    const deleted = (p: string): boolean =>
      this.whiteouts.some((w) => isAtOrUnder(p, w)) || this.opaqueDirs.some((d) => p !== d && isAtOrUnder(p, d));
    const previous = new Map<string, AppliedFile>();
    for (const p of this.pending.keys()) {
      const prev = this.files.get(p);
      if (prev && !deleted(p)) previous.set(p, prev);
    }
    if (this.whiteouts.length > 0 || this.opaqueDirs.length > 0) {
      for (const p of [...this.files.keys()]) if (deleted(p)) this.files.delete(p);
    }
    for (const p of this.hidden) this.files.delete(p);
    for (const [p, findings] of this.pending) {
      if (findings.length === 0) continue;
      const prev = previous.get(p);
      const introduced = new Map<string, number>();
      for (const f of findings) {
        for (const set of f.result.packageSets ?? []) {
          for (const pkg of set.packages) {
            const key = packageKey(set.type, pkg);
            introduced.set(key, prev?.introduced.get(key) ?? this.current);
          }
        }
      }
      this.files.set(p, { layer: this.current, findings, introduced });
    }
  }

  /** The OS of the final view, folded from every surviving file that names it (os-release, debian_version …). */
  os(): OsInfo | undefined {
    let os: OsInfo | undefined;
    for (const f of this.files.values()) for (const x of f.findings) if (x.result.os) os = mergeOsInfo(os, x.result.os);
    return os;
  }

  /** Secret findings of the final view's files, each with the layer its file came from. */
  secrets(layers?: readonly LayerRef[]): Finding[] {
    const out: Finding[] = [];
    for (const path of [...this.files.keys()].sort()) {
      const file = this.files.get(path)!;
      const ref = layers?.[file.layer];
      // Not `createdBy`: a build command can hold the very secret the finding redacts.
      const layer = ref && { index: ref.index, digest: ref.digest, diffId: ref.diffId };
      for (const f of file.findings) {
        for (const s of f.result.secrets ?? []) out.push(layer ? { ...s, target: { ...s.target, layer } } : s);
      }
    }
    return out;
  }

  /** Misconfiguration sets of the final view's files (a config file deleted by a whiteout is gone), by path. */
  misconfigurations(layers?: readonly LayerRef[]): MisconfigurationSet[] {
    const out: MisconfigurationSet[] = [];
    for (const path of [...this.files.keys()].sort()) {
      const file = this.files.get(path)!;
      const ref = layers?.[file.layer];
      // Not `createdBy`: a build command can hold the very secret the finding redacts.
      const layer = ref && { index: ref.index, digest: ref.digest, diffId: ref.diffId };
      for (const f of file.findings) {
        for (const set of f.result.misconfigurations ?? []) {
          out.push(
            layer ? { ...set, findings: set.findings.map((x) => ({ ...x, target: { ...x.target, layer } })) } : set,
          );
        }
      }
    }
    return out;
  }

  /**
   * The package sets of the final view. OS package sets of one type (a status file plus status.d
   * entries, say) merge into one; language sets stay one per file. `layers` attributes packages.
   */
  packageSets(layers?: readonly LayerRef[]): PackageSet[] {
    const osSets = new Map<string, PackageSet>();
    const langSets: PackageSet[] = [];
    const paths = [...this.files.keys()].sort();
    for (const path of paths) {
      const file = this.files.get(path)!;
      for (const finding of file.findings) {
        for (const set of finding.result.packageSets ?? []) {
          const packages = set.packages.map((pkg) => {
            const out: Package = { ...pkg, filePath: pkg.filePath ?? set.filePath };
            const layer = layers?.[file.introduced.get(packageKey(set.type, pkg)) ?? file.layer];
            if (layer) out.layer = layer;
            return out;
          });
          if (set.class === 'os-pkgs') {
            const merged = osSets.get(set.type);
            if (merged) merged.packages.push(...packages);
            else osSets.set(set.type, { ...set, packages });
          } else {
            langSets.push({ ...set, packages });
          }
        }
      }
    }
    return [...osSets.values(), ...langSets];
  }
}

// Connects walkers to analyzers: asks each analyzer whether it wants a file, reads the content only
// then (within the size cap), runs the analyzers and records their results in the layer applier.

import { errorMessage } from '@palisade/core';
import type { Analyzer, AnalyzerContext, FileInfo } from '../analyzer/types.js';
import { type LayerVisitor, type ReadContent, UnreadableFileError } from '../walker/layer-visitor.js';
import type { SkipRules } from '../walker/skip-rules.js';
import type { FileFinding, LayerApplier } from './layer-applier.js';

export interface ScanProgress {
  phase: 'layer' | 'file' | 'analyze';
  layerIndex?: number;
  layerCount?: number;
  files: number;
  bytes: number;
}

const PROGRESS_EVERY_FILES = 1000;

export interface AnalyzingVisitorOptions {
  analyzers: readonly Analyzer[];
  applier: LayerApplier;
  skip: SkipRules;
  maxFileSize: number;
  warnings: string[];
  onProgress?: (p: ScanProgress) => void;
  /** Prefix for warnings ("layer 2: "), so a message says where the file was. */
  where?: () => string;
  /** The layer being read, for progress reports of layered artifacts. */
  layer?: () => Pick<ScanProgress, 'layerIndex' | 'layerCount'>;
}

export interface AnalyzingVisitor extends LayerVisitor {
  readonly stats: { files: number; bytes: number };
}

export function createAnalyzingVisitor(opts: AnalyzingVisitorOptions): AnalyzingVisitor {
  const { analyzers, applier, skip, maxFileSize, warnings } = opts;
  const stats = { files: 0, bytes: 0 };
  const oversized = new Set<string>();
  const where = opts.where ?? (() => '');
  const warn = (message: string): void => {
    warnings.push(message);
  };

  const wantedBy = (path: string, info: FileInfo): number[] => {
    const wanted: number[] = [];
    for (let i = 0; i < analyzers.length; i++) if (analyzers[i]!.required(path, info)) wanted.push(i);
    return wanted;
  };

  return {
    stats,
    warn,
    entry: (path) => applier.entry(path),
    whiteout: (path) => applier.whiteout(path),
    opaqueDir: (dir) => applier.opaqueDir(dir),
    unreadableLink(path, target) {
      if (skip.skipFile(path)) return;
      if (wantedBy(path, { size: 0, mode: 0o100644 }).length > 0) {
        warn(`${where()}${path}: hard link to ${target}, whose content was not kept; not analyzed`);
      }
    },
    async file(path, info, read: ReadContent) {
      stats.files++;
      stats.bytes += info.size;
      if (opts.onProgress && stats.files % PROGRESS_EVERY_FILES === 0) {
        opts.onProgress({ phase: 'file', ...opts.layer?.(), files: stats.files, bytes: stats.bytes });
      }
      if (skip.skipFile(path)) return;
      const wanted = wantedBy(path, info);
      if (wanted.length === 0) return;
      if (info.size > maxFileSize) {
        if (!oversized.has(path)) {
          oversized.add(path);
          warn(`${where()}${path}: ${info.size} bytes is over the ${maxFileSize}-byte file size limit; not analyzed`);
        }
        return;
      }
      let content: Buffer;
      try {
        content = await read();
      } catch (err) {
        if (!(err instanceof UnreadableFileError)) throw err;
        warn(`${where()}${err.message}`);
        return;
      }
      const findings: FileFinding[] = [];
      for (const order of wanted) {
        const analyzer = analyzers[order]!;
        const ctx: AnalyzerContext = { warn: (m) => warn(`${where()}${path}: ${m}`) };
        try {
          const result = await analyzer.analyze({ path, size: content.length, mode: info.mode, content }, ctx);
          if (
            result &&
            (result.os ||
              (result.packageSets?.length ?? 0) > 0 ||
              (result.secrets?.length ?? 0) > 0 ||
              (result.misconfigurations?.length ?? 0) > 0)
          ) {
            findings.push({ order, result });
          }
        } catch (err) {
          warn(`${where()}${path}: analyzer ${analyzer.name} failed: ${errorMessage(err)}`);
        }
      }
      applier.record(path, findings);
    },
  };
}

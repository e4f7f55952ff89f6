// AnalyzeOptions with defaults filled in and skip rules compiled: what each artifact reader gets.

import type { Analyzer } from '../analyzer/types.js';
import type { SkipRules } from '../walker/skip-rules.js';
import type { ScanProgress } from './analyzing-visitor.js';

export interface ResolvedOptions {
  analyzers: readonly Analyzer[];
  tempDir: string;
  skip: SkipRules;
  maxFileSize: number;
  maxArchiveBytes: number;
  functionConfig?: string;
  onProgress?: (p: ScanProgress) => void;
}

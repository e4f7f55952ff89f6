// The OS identity analyzers, in one list for the registry, and the merge the pipeline applies to
// the identities they report.

import type { Analyzer } from '../types.js';
import { osReleaseAnalyzer } from './os-release.js';
import {
  alpineReleaseAnalyzer,
  debianVersionAnalyzer,
  lsbReleaseAnalyzer,
  redhatReleaseAnalyzer,
} from './release-files.js';

export { mergeOsInfo } from './merge-os-info.js';
export { OS_RELEASE_IDS, osInfoFromOsRelease, osReleaseAnalyzer, parseOsRelease } from './os-release.js';
export {
  alpineReleaseAnalyzer,
  debianVersionAnalyzer,
  lsbReleaseAnalyzer,
  parseAlpineRelease,
  parseDebianVersion,
  parseLsbRelease,
  parseRedhatRelease,
  redhatReleaseAnalyzer,
} from './release-files.js';

/** Ordered by trust: os-release first, the coarser or derivative-blind release files after it. */
export const osAnalyzers: readonly Analyzer[] = [
  osReleaseAnalyzer,
  debianVersionAnalyzer,
  alpineReleaseAnalyzer,
  redhatReleaseAnalyzer,
  lsbReleaseAnalyzer,
];

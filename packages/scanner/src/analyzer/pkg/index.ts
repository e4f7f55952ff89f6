// The OS package analyzers (dpkg, apk, rpm) in one list for the registry, and the finalization
// the pipeline applies once the OS identity is known.

import type { Analyzer } from '../types.js';
import { apkInstalledAnalyzer } from './apk-installed.js';
import { dpkgStatusAnalyzer } from './dpkg-status.js';
import { rpmDbAnalyzer } from './rpmdb.js';

export { type ApkPackage, apkInstalledAnalyzer, parseApkInstalled } from './apk-installed.js';
export { type DpkgPackage, type DpkgStatusOptions, dpkgStatusAnalyzer, parseDpkgStatus } from './dpkg-status.js';
export { finalizeOsPackages } from './finalize-os-packages.js';
export { osPackagePurl, splitEpoch } from './os-purl.js';
export { parseRpmHeader, parseSourceRpm, type RpmHeader, rpmEvr } from './rpm-header.js';
export { detectRpmDbFormat, parseRpmDb, type RpmDbFormat, readRpmDbBlobs, rpmDbAnalyzer } from './rpmdb.js';

export const pkgAnalyzers: readonly Analyzer[] = [dpkgStatusAnalyzer, apkInstalledAnalyzer, rpmDbAnalyzer];

export * from './errors.js';
export * from './finding.js';
export * from './os.js';
export * from './package.js';
export * from './scan-report.js';
export * from './severity.js';
export * from './versioning/index.js';

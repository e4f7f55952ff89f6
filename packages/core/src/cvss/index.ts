// CVSS scoring: base scores from vector strings, the one place severity numbers are computed.

export { type CvssScore, type CvssVersion, cvssScore } from './cvss-score.js';

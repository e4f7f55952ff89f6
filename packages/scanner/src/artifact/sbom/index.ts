// The SBOM artifact's public face: read a CycloneDX or SPDX JSON file as an ArtifactAnalysis.
// Purl → ecosystem mapping is exported for other inputs that carry purls (VEX, ignore files).

export { ecosystemOfPurl, packageFromPurl } from './purl-ecosystem.js';
export { parseSbom, readSbom } from './read-sbom.js';

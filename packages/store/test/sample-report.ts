// Test fixture: small ScanReports built in code, one finding per rule id, for lifecycle tests.

import type { Finding, ScanReport } from '@palisade/core';

export function finding(ruleId: string, severity: Finding['severity'] = 'HIGH'): Finding {
  return {
    id: `fp-${ruleId}`,
    type: 'vulnerability',
    ruleId,
    severity,
    title: `${ruleId} in openssl`,
    target: { path: 'var/lib/dpkg/status' },
    package: { name: 'openssl', version: '3.0.11-1', ecosystem: 'Debian', purl: 'pkg:deb/debian/openssl@3.0.11-1' },
    installedVersion: '3.0.11-1',
    fixedVersion: '3.0.13-1',
    references: [`https://nvd.nist.gov/vuln/detail/${ruleId}`],
    status: 'open',
  };
}

export function report(artifact: string, findings: Finding[], createdAt = new Date().toISOString()): ScanReport {
  return {
    schemaVersion: 1,
    createdAt,
    artifact: { name: artifact, type: 'image' },
    results: [{ target: 'debian 12 (dpkg)', class: 'os-pkgs', type: 'dpkg', packages: [], findings }],
    warnings: [],
  };
}

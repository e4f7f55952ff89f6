// VEX documents about the report package's sample image report, as a supplier would publish them.

export const openVexDoc = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.com/vex/shop-api-2026-11',
  author: 'Shop security team',
  timestamp: '2026-11-01T12:00:00Z',
  version: 1,
  statements: [
    {
      vulnerability: { name: 'CVE-2023-45853', aliases: ['GHSA-xxxx-zlib'] },
      products: [
        {
          '@id': 'pkg:oci/api@sha256%3A4444444444444444444444444444444444444444444444444444444444444444',
          subcomponents: [{ '@id': 'pkg:deb/debian/zlib1g' }],
        },
      ],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
    },
    {
      vulnerability: { '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2024-5535', name: 'CVE-2024-5535' },
      products: [{ '@id': 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5' }],
      status: 'under_investigation',
    },
    {
      vulnerability: 'CVE-2021-23337',
      products: ['pkg:npm/lodash@4.17.20'],
      status: 'fixed',
    },
  ],
};

export const cycloneDxVexDoc = {
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  version: 1,
  components: [{ 'bom-ref': 'jackson', type: 'library', name: 'jackson-databind', purl: 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4' }],
  vulnerabilities: [
    {
      id: 'CVE-2022-42003',
      references: [{ id: 'GHSA-jjjh-jjxp-wpff', source: { name: 'GitHub' } }],
      analysis: { state: 'not_affected', justification: 'code_not_reachable', detail: 'UNWRAP_SINGLE_VALUE_ARRAYS is off' },
      affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#jackson' }],
    },
    { id: 'CVE-2023-26136', analysis: { state: 'false_positive' }, affects: [{ ref: 'pkg:npm/%40babel/traverse@7.22.5' }] },
    { id: 'CVE-2024-0001', analysis: { state: 'exploitable' }, affects: [{ ref: 'pkg:npm/x@1' }] },
    { id: 'CVE-2024-0002' },
  ],
};

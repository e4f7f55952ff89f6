// A test-side JSON schema for what SPDX 2.3 (spec chapters 6–11) requires of a JSON document.
// No npm package ships the official SPDX 2.3 JSON schema, so this one is written from the spec.

const purposes = [
  'APPLICATION',
  'FRAMEWORK',
  'LIBRARY',
  'CONTAINER',
  'OPERATING-SYSTEM',
  'DEVICE',
  'FIRMWARE',
  'SOURCE',
  'ARCHIVE',
  'FILE',
  'INSTALL',
  'OTHER',
];

export const spdx23RequiredSchema = {
  type: 'object',
  required: ['spdxVersion', 'dataLicense', 'SPDXID', 'name', 'documentNamespace', 'creationInfo'],
  properties: {
    spdxVersion: { const: 'SPDX-2.3' },
    dataLicense: { const: 'CC0-1.0' },
    SPDXID: { const: 'SPDXRef-DOCUMENT' },
    name: { type: 'string', minLength: 1 },
    // An absolute URI without a fragment (spec 6.5).
    documentNamespace: { type: 'string', format: 'uri', pattern: '^[a-z][a-z0-9+.-]*://[^#]+$' },
    creationInfo: {
      type: 'object',
      required: ['created', 'creators'],
      properties: {
        created: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$' },
        creators: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(Tool|Organization|Person): .+' } },
      },
    },
    packages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['SPDXID', 'name', 'downloadLocation'],
        properties: {
          SPDXID: { type: 'string', pattern: '^SPDXRef-[A-Za-z0-9.-]+$' },
          name: { type: 'string', minLength: 1 },
          versionInfo: { type: 'string' },
          downloadLocation: { type: 'string', minLength: 1 },
          filesAnalyzed: { type: 'boolean' },
          licenseConcluded: { type: 'string', minLength: 1 },
          licenseDeclared: { type: 'string', minLength: 1 },
          copyrightText: { type: 'string' },
          primaryPackagePurpose: { enum: purposes },
          externalRefs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['referenceCategory', 'referenceType', 'referenceLocator'],
              properties: {
                referenceCategory: { enum: ['SECURITY', 'PACKAGE-MANAGER', 'PERSISTENT-ID', 'OTHER'] },
                referenceType: { type: 'string', minLength: 1 },
                referenceLocator: { type: 'string', pattern: '^\\S+$' },
              },
            },
          },
          annotations: {
            type: 'array',
            items: {
              type: 'object',
              required: ['annotationDate', 'annotationType', 'annotator', 'comment'],
              properties: {
                annotationDate: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$' },
                annotationType: { enum: ['OTHER', 'REVIEW'] },
                annotator: { type: 'string', pattern: '^(Tool|Organization|Person): .+' },
                comment: { type: 'string' },
              },
            },
          },
        },
      },
    },
    relationships: {
      type: 'array',
      items: {
        type: 'object',
        required: ['spdxElementId', 'relationshipType', 'relatedSpdxElement'],
        properties: {
          spdxElementId: { type: 'string', pattern: '^SPDXRef-[A-Za-z0-9.-]+$' },
          relatedSpdxElement: { type: 'string', pattern: '^(SPDXRef-[A-Za-z0-9.-]+|NONE|NOASSERTION)$' },
          relationshipType: {
            enum: ['DESCRIBES', 'DESCRIBED_BY', 'CONTAINS', 'CONTAINED_BY', 'DEPENDS_ON', 'DEPENDENCY_OF', 'OTHER'],
          },
        },
      },
    },
    hasExtractedLicensingInfos: {
      type: 'array',
      items: {
        type: 'object',
        required: ['licenseId', 'extractedText'],
        properties: { licenseId: { type: 'string', pattern: '^LicenseRef-[A-Za-z0-9.-]+$' } },
      },
    },
  },
} as const;

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanIacFile } from './scan-iac-file.js';
import { scanHclStructure } from './terraform/hcl-structure.js';
import { readJsonencode } from './terraform/jsonencode-literal.js';

// Pieces of real syntax, so the fuzzer reaches the parsers' deeper states instead of failing at byte one.
const HCL_BITS = [
  'resource "aws_s3_bucket" "b" {',
  '}',
  '{',
  ' = ',
  '"',
  '$' + '{var.x}',
  '<<EOF\n',
  'EOF\n',
  '# c\n',
  '/*',
  '*/',
  'acl',
  '[',
  ']',
  '\n',
  'count = 0\n',
  'for_each = { a = 1 }\n',
];
const YAML_BITS = [
  'AWSTemplateFormatVersion: x\n',
  'Resources:\n',
  '  A:\n',
  '    Type: AWS::S3::Bucket\n',
  '    Properties: ',
  '!Ref ',
  '!If [',
  ']',
  '&a ',
  '*a ',
  '- ',
  '{',
  '}',
  '"',
  '\n',
  'resource_changes: [',
  'service: s\nprovider: {}\n',
];

const pieces = (bits: string[]) =>
  fc.array(fc.oneof(fc.constantFrom(...bits), fc.string({ maxLength: 6 })), { maxLength: 40 }).map((a) => a.join(''));

describe('IaC parsers never throw on arbitrary input', () => {
  it('Terraform files', async () => {
    await fc.assert(
      fc.asyncProperty(pieces(HCL_BITS), async (text) => {
        const r = await scanIacFile('fuzz.tf', Buffer.from(text));
        expect(r?.type).toBe('terraform');
      }),
      { numRuns: 150 },
    );
  });

  it('YAML and JSON files', async () => {
    await fc.assert(
      fc.asyncProperty(
        pieces(YAML_BITS),
        fc.constantFrom('t.yaml', 'serverless.yml', 'function.json', 'plan.json'),
        async (text, name) => {
          await scanIacFile(name, Buffer.from(text));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the HCL line scanner and the jsonencode reader', () => {
    fc.assert(
      fc.property(pieces([...HCL_BITS, 'jsonencode({', '})', 'a = [', ',']), (text) => {
        scanHclStructure(text);
        readJsonencode(`\${jsonencode(${text})}`);
      }),
      { numRuns: 500 },
    );
  });
});

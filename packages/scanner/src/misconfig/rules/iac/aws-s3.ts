// S3 bucket checks: public ACLs, a missing or weakened public access block, no default
// encryption, no access logging. Terraform (AWS provider v3 inline blocks and v4+ companion resources) and CloudFormation.

import type { IacIssue } from '../../iac/iac-resource.js';
import { isObject } from '../../kubernetes-resource.js';
import { AWS_SECURITY_HUB, blocksAt, boolOf, CIS_AWS, isKnown, referencesTo, typedRule } from './define.js';

const PUBLIC_ACLS = new Set([
  'public-read',
  'public-read-write',
  'authenticated-read',
  'publicread',
  'publicreadwrite',
  'authenticatedread',
]);
const BUCKETS = ['aws_s3_bucket', 'AWS::S3::Bucket'];

export const s3PublicAcl = typedRule(
  {
    id: 'PAL-AWS-001',
    severity: 'HIGH',
    title: 'S3 bucket ACL grants public access',
    rationale:
      "A public-read or public-read-write canned ACL lets anyone on the internet list or change the bucket's objects.",
    remediation:
      'Use the private ACL (or BucketOwnerEnforced object ownership) and grant access with bucket policies scoped to principals.',
    references: [
      'https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl',
      AWS_SECURITY_HUB,
    ],
    frameworks: { cis: ['AWS 2.1.4'], mitre: ['T1530'] },
  },
  ['aws_s3_bucket', 'aws_s3_bucket_acl', 'AWS::S3::Bucket'],
  (r) => {
    const key = r.type === 'AWS::S3::Bucket' ? 'AccessControl' : 'acl';
    const acl = r.attrs[key];
    return typeof acl === 'string' && PUBLIC_ACLS.has(acl.toLowerCase())
      ? [{ path: [key], detail: `${r.name} has ${key} "${acl}"` }]
      : [];
  },
);

const BLOCK_FLAGS_TF = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
const BLOCK_FLAGS_CFN = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'];

export const s3PublicAccessBlock = typedRule(
  {
    id: 'PAL-AWS-002',
    severity: 'HIGH',
    title: 'S3 bucket public access block missing or disabled',
    rationale:
      'Without all four public access block settings a single ACL or policy change can make the bucket public.',
    remediation:
      'Add a public access block (aws_s3_bucket_public_access_block / PublicAccessBlockConfiguration) with all four settings true.',
    references: [
      'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html',
      CIS_AWS,
    ],
    frameworks: { cis: ['AWS 2.1.4'], mitre: ['T1530'] },
  },
  ['aws_s3_bucket', 'aws_s3_bucket_public_access_block', 'AWS::S3::Bucket'],
  (r, ctx): IacIssue[] => {
    if (r.type === 'aws_s3_bucket_public_access_block') {
      return BLOCK_FLAGS_TF.filter(
        (f) => boolOf(r.attrs[f]) !== true && (r.attrs[f] === undefined || isKnown(r.attrs[f])),
      ).map((f) => ({
        path: r.attrs[f] === undefined ? [] : [f],
        detail: `${r.name} does not set ${f} = true`,
      }));
    }
    if (r.type === 'AWS::S3::Bucket') {
      const cfg = r.attrs.PublicAccessBlockConfiguration;
      if (!isObject(cfg)) return [{ path: [], detail: `bucket ${r.name} has no PublicAccessBlockConfiguration` }];
      return BLOCK_FLAGS_CFN.filter((f) => boolOf(cfg[f]) !== true && (cfg[f] === undefined || isKnown(cfg[f]))).map(
        (f) => ({
          path: ['PublicAccessBlockConfiguration', ...(cfg[f] === undefined ? [] : [f])],
          detail: `bucket ${r.name} does not set ${f}: true`,
        }),
      );
    }
    // Terraform: the block is a separate resource that must point at this bucket.
    if (r.source !== 'terraform' && r.source !== 'terraform-plan') return [];
    return referencesTo(r, ctx, ['aws_s3_bucket_public_access_block']).length > 0
      ? []
      : [{ path: [], detail: `bucket ${r.name} has no aws_s3_bucket_public_access_block` }];
  },
);

export const s3Encryption = typedRule(
  {
    id: 'PAL-AWS-003',
    severity: 'MEDIUM',
    title: 'S3 bucket without a default encryption configuration',
    rationale:
      'An explicit server-side encryption configuration (ideally with a KMS key) documents and enforces how objects are encrypted at rest.',
    remediation:
      'Configure default encryption (aws_s3_bucket_server_side_encryption_configuration / BucketEncryption), preferably aws:kms.',
    references: [
      'https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html',
      AWS_SECURITY_HUB,
    ],
    frameworks: { cis: ['AWS 2.1.1'], mitre: ['T1530'] },
  },
  BUCKETS,
  (r, ctx) => {
    if (r.type === 'AWS::S3::Bucket') {
      return r.attrs.BucketEncryption === undefined
        ? [{ path: [], detail: `bucket ${r.name} has no BucketEncryption` }]
        : [];
    }
    if (blocksAt(r.attrs, 'server_side_encryption_configuration').length > 0) return [];
    return referencesTo(r, ctx, ['aws_s3_bucket_server_side_encryption_configuration']).length > 0
      ? []
      : [{ path: [], detail: `bucket ${r.name} has no server-side encryption configuration` }];
  },
);

export const s3AccessLogging = typedRule(
  {
    id: 'PAL-AWS-004',
    severity: 'LOW',
    title: 'S3 bucket access logging disabled',
    rationale:
      'Without server access logs there is no record of who read or changed objects, which an investigation needs.',
    remediation:
      'Enable server access logging (aws_s3_bucket_logging / LoggingConfiguration) to a separate log bucket.',
    references: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html', CIS_AWS],
    frameworks: { cis: ['AWS 3.6'], mitre: ['T1562.008'] },
  },
  BUCKETS,
  (r, ctx) => {
    if (r.type === 'AWS::S3::Bucket') {
      return r.attrs.LoggingConfiguration === undefined
        ? [{ path: [], detail: `bucket ${r.name} has no LoggingConfiguration` }]
        : [];
    }
    if (blocksAt(r.attrs, 'logging').length > 0) return [];
    return referencesTo(r, ctx, ['aws_s3_bucket_logging']).length > 0
      ? []
      : [{ path: [], detail: `bucket ${r.name} has no access logging` }];
  },
);

// Encryption at rest for AWS storage, databases and queues: EBS volumes and instance disks, RDS,
// DynamoDB (customer-managed key), SQS and SNS. A value left to a variable we cannot resolve is not judged.

import type { IacIssue, IacResource } from '../../iac/iac-resource.js';
import type { RuleMeta } from '../../types.js';
import { AWS_SECURITY_HUB, blocksAt, boolOf, firstBlock, isKnown, typedRule } from './define.js';

function encryptionMeta(
  id: string,
  what: string,
  severity: RuleMeta['severity'],
  remediation: string,
  cis: string[] = [],
): RuleMeta {
  return {
    id,
    severity,
    title: `${what} not encrypted at rest`,
    rationale: `Unencrypted ${what.toLowerCase()} data is readable from snapshots, backups and disks that leave your control.`,
    remediation,
    references: [AWS_SECURITY_HUB],
    frameworks: { ...(cis.length > 0 ? { cis } : {}), mitre: ['T1530'] },
  };
}

/** An attribute that must be true: absent or false is a finding, unknown is not. */
function mustBeTrue(r: IacResource, key: string, what: string): IacIssue[] {
  const v = r.attrs[key];
  if (v !== undefined && !isKnown(v)) return [];
  return boolOf(v) === true
    ? []
    : [
        {
          path: v === undefined ? [] : [key],
          detail: `${r.name} ${what} (${key} is ${v === undefined ? 'not set' : String(v)})`,
        },
      ];
}

export const ebsUnencrypted = typedRule(
  encryptionMeta(
    'PAL-AWS-020',
    'EBS volume',
    'HIGH',
    'Set encrypted = true (Encrypted: true), or turn on EBS encryption by default for the account.',
    ['AWS 2.2.1'],
  ),
  ['aws_ebs_volume', 'aws_instance', 'aws_launch_template', 'AWS::EC2::Volume'],
  (r) => {
    if (r.type === 'aws_ebs_volume') return mustBeTrue(r, 'encrypted', 'is not encrypted');
    if (r.type === 'AWS::EC2::Volume') return mustBeTrue(r, 'Encrypted', 'is not encrypted');
    const out: IacIssue[] = [];
    const disks =
      r.type === 'aws_instance'
        ? [...blocksAt(r.attrs, 'root_block_device'), ...blocksAt(r.attrs, 'ebs_block_device')]
        : blocksAt(r.attrs, 'block_device_mappings').flatMap(({ block, path }) =>
            blocksAt(block, 'ebs').map((e) => ({ block: e.block, path: [...path, ...e.path] })),
          );
    for (const { block, path } of disks) {
      const v = block.encrypted;
      if (v !== undefined && !isKnown(v)) continue;
      if (boolOf(v) !== true)
        out.push({
          path: v === undefined ? path : [...path, 'encrypted'],
          detail: `${r.name} has an unencrypted ${String(path[0])}`,
        });
    }
    return out;
  },
);

export const rdsUnencrypted = typedRule(
  encryptionMeta(
    'PAL-AWS-021',
    'RDS database',
    'HIGH',
    'Set storage_encrypted = true (StorageEncrypted: true); existing instances need a snapshot restore.',
    ['AWS 2.3.1'],
  ),
  ['aws_db_instance', 'aws_rds_cluster', 'AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'],
  (r) => {
    // A read replica or Aurora member inherits encryption from its source.
    if (r.attrs.replicate_source_db !== undefined || r.attrs.SourceDBInstanceIdentifier !== undefined) return [];
    if (r.type === 'AWS::RDS::DBInstance' && r.attrs.DBClusterIdentifier !== undefined) return [];
    if (r.type === 'aws_db_instance' && r.attrs.engine !== undefined && String(r.attrs.engine).startsWith('aurora'))
      return [];
    return mustBeTrue(
      r,
      r.type.startsWith('AWS::') ? 'StorageEncrypted' : 'storage_encrypted',
      'stores data unencrypted',
    );
  },
);

export const dynamoDbCmk = typedRule(
  {
    ...encryptionMeta(
      'PAL-AWS-022',
      'DynamoDB table with a customer-managed key',
      'LOW',
      'Enable server_side_encryption with a KMS key (SSESpecification.SSEEnabled: true).',
    ),
    title: 'DynamoDB table not encrypted with a KMS key',
    rationale:
      'DynamoDB encrypts with an AWS-owned key by default; only a KMS key gives you key policies, rotation control and CloudTrail records of key use.',
  },
  ['aws_dynamodb_table', 'AWS::DynamoDB::Table'],
  (r) => {
    if (r.type === 'AWS::DynamoDB::Table') {
      const sse = firstBlock(r.attrs, ['SSESpecification']);
      const v = sse?.block.SSEEnabled;
      if (v !== undefined && !isKnown(v)) return [];
      return boolOf(v) === true
        ? []
        : [{ path: sse ? sse.path : [], detail: `table ${r.name} does not enable SSESpecification.SSEEnabled` }];
    }
    const sse = firstBlock(r.attrs, ['server_side_encryption']);
    const v = sse?.block.enabled;
    if (v !== undefined && !isKnown(v)) return [];
    return boolOf(v) === true
      ? []
      : [{ path: sse ? sse.path : [], detail: `table ${r.name} has no server_side_encryption with a KMS key` }];
  },
);

export const sqsUnencrypted = typedRule(
  encryptionMeta(
    'PAL-AWS-023',
    'SQS queue',
    'MEDIUM',
    'Set kms_master_key_id or sqs_managed_sse_enabled = true (KmsMasterKeyId / SqsManagedSseEnabled).',
  ),
  ['aws_sqs_queue', 'AWS::SQS::Queue'],
  (r) => {
    const cfn = r.type === 'AWS::SQS::Queue';
    const key = r.attrs[cfn ? 'KmsMasterKeyId' : 'kms_master_key_id'];
    const managed = r.attrs[cfn ? 'SqsManagedSseEnabled' : 'sqs_managed_sse_enabled'];
    if ((key !== undefined && key !== '' && key !== null) || boolOf(managed) === true) return [];
    if (managed !== undefined && !isKnown(managed)) return [];
    return [
      {
        path: managed === undefined ? [] : [cfn ? 'SqsManagedSseEnabled' : 'sqs_managed_sse_enabled'],
        detail: `queue ${r.name} has no server-side encryption`,
      },
    ];
  },
);

export const snsUnencrypted = typedRule(
  encryptionMeta(
    'PAL-AWS-024',
    'SNS topic',
    'MEDIUM',
    'Set kms_master_key_id (KmsMasterKeyId), e.g. alias/aws/sns or a customer-managed key.',
  ),
  ['aws_sns_topic', 'AWS::SNS::Topic'],
  (r) => {
    const key = r.attrs[r.type === 'AWS::SNS::Topic' ? 'KmsMasterKeyId' : 'kms_master_key_id'];
    return key !== undefined && key !== '' && key !== null
      ? []
      : [{ path: [], detail: `topic ${r.name} has no KMS key` }];
  },
);

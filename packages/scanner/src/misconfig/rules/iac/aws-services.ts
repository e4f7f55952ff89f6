// Service settings that open or blind an AWS account: publicly accessible RDS, IMDSv1 on EC2,
// CloudTrail not logging every region, and KMS keys without automatic rotation.

import type { IacIssue } from '../../iac/iac-resource.js';
import { AWS_SECURITY_HUB, boolOf, CIS_AWS, firstBlock, isKnown, typedRule } from './define.js';

export const rdsPublic = typedRule(
  {
    id: 'PAL-AWS-030',
    severity: 'CRITICAL',
    title: 'RDS database publicly accessible',
    rationale:
      'A publicly accessible database gets a public address; only its security group stands between it and the internet.',
    remediation:
      'Set publicly_accessible = false (PubliclyAccessible: false) and reach the database from inside the VPC.',
    references: [
      'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html',
      AWS_SECURITY_HUB,
    ],
    frameworks: { cis: ['AWS 2.3.3'], mitre: ['T1190'] },
    tags: ['exposure'],
  },
  ['aws_db_instance', 'aws_rds_cluster_instance', 'AWS::RDS::DBInstance'],
  (r) => {
    const key = r.type.startsWith('AWS::') ? 'PubliclyAccessible' : 'publicly_accessible';
    return boolOf(r.attrs[key]) === true ? [{ path: [key], detail: `${r.name} sets ${key} = true` }] : [];
  },
);

export const imdsV1 = typedRule(
  {
    id: 'PAL-AWS-040',
    severity: 'HIGH',
    title: 'Instance metadata service v1 allowed',
    rationale:
      "IMDSv1 answers any request, so an SSRF bug in the workload leaks the instance role's credentials; IMDSv2 requires a session token.",
    remediation: 'Set metadata_options { http_tokens = "required" } (MetadataOptions.HttpTokens: required).',
    references: [
      'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html',
      AWS_SECURITY_HUB,
    ],
    frameworks: { cis: ['AWS 5.6'], mitre: ['T1552.005'] },
  },
  ['aws_instance', 'aws_launch_template', 'aws_launch_configuration', 'AWS::EC2::LaunchTemplate'],
  (r): IacIssue[] => {
    const cfn = r.type === 'AWS::EC2::LaunchTemplate';
    const opts = cfn
      ? firstBlock(r.attrs, ['LaunchTemplateData', 'MetadataOptions'])
      : firstBlock(r.attrs, ['metadata_options']);
    const key = cfn ? 'HttpTokens' : 'http_tokens';
    const v = opts?.block[key];
    const endpoint = opts?.block[cfn ? 'HttpEndpoint' : 'http_endpoint'];
    if (endpoint === 'disabled') return [];
    if (v !== undefined && !isKnown(v)) return [];
    if (v === 'required') return [];
    return [
      {
        path: opts ? (v === undefined ? opts.path : [...opts.path, key]) : cfn ? ['LaunchTemplateData'] : [],
        detail: `${r.name} allows IMDSv1 (${key} is ${v === undefined ? 'not set' : String(v)})`,
      },
    ];
  },
);

export const cloudTrailCoverage = typedRule(
  {
    id: 'PAL-AWS-050',
    severity: 'MEDIUM',
    title: 'CloudTrail trail not logging in all regions',
    rationale:
      'A trail that is stopped or covers one region misses API activity elsewhere, where attackers like to work.',
    remediation: 'Set is_multi_region_trail = true and leave enable_logging on (IsMultiRegionTrail / IsLogging: true).',
    references: [
      'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html',
      CIS_AWS,
    ],
    frameworks: { cis: ['AWS 3.1'], mitre: ['T1562.008'] },
  },
  ['aws_cloudtrail', 'AWS::CloudTrail::Trail'],
  (r): IacIssue[] => {
    const cfn = r.type.startsWith('AWS::');
    const out: IacIssue[] = [];
    const multi = cfn ? 'IsMultiRegionTrail' : 'is_multi_region_trail';
    const logging = cfn ? 'IsLogging' : 'enable_logging';
    if (boolOf(r.attrs[logging]) === false) out.push({ path: [logging], detail: `${r.name} has logging turned off` });
    const m = r.attrs[multi];
    if (boolOf(m) !== true && (m === undefined || isKnown(m))) {
      out.push({ path: m === undefined ? [] : [multi], detail: `${r.name} is not a multi-region trail` });
    }
    return out;
  },
);

export const kmsRotation = typedRule(
  {
    id: 'PAL-AWS-070',
    severity: 'MEDIUM',
    title: 'KMS key rotation disabled',
    rationale:
      'Without rotation one key protects data for years; rotation limits what a leaked key material can decrypt.',
    remediation: 'Set enable_key_rotation = true (EnableKeyRotation: true) on symmetric keys.',
    references: ['https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html', CIS_AWS],
    frameworks: { cis: ['AWS 3.8'], mitre: ['T1552'] },
  },
  ['aws_kms_key', 'AWS::KMS::Key'],
  (r) => {
    const cfn = r.type.startsWith('AWS::');
    // Asymmetric and HMAC keys cannot rotate automatically.
    const spec = r.attrs[cfn ? 'KeySpec' : 'customer_master_key_spec'];
    if (typeof spec === 'string' && spec !== 'SYMMETRIC_DEFAULT') return [];
    const key = cfn ? 'EnableKeyRotation' : 'enable_key_rotation';
    const v = r.attrs[key];
    if (v !== undefined && !isKnown(v)) return [];
    return boolOf(v) === true
      ? []
      : [{ path: v === undefined ? [] : [key], detail: `${r.name} does not rotate its key material` }];
  },
);

import { describe, expect, it } from 'vitest';
import { ALNUM, tokenMaker } from '../../secret/__fixtures__/token-samples.js';
import { IAC_RULES } from '../rules/index.js';
import { scanIacFile } from './scan-iac-file.js';

const NOW = new Date('2026-06-01T00:00:00Z');
// Built at run time so the repository holds no live-looking key (push protection).
const stripeKey = `sk_live_${tokenMaker(17)(ALNUM, 32)}`;

async function open(name: string, text: string) {
  const r = await scanIacFile(name, Buffer.from(text), { now: NOW });
  return (r?.findings ?? []).filter((f) => f.status === 'open');
}

interface Case {
  rule: string;
  file: string;
  bad: string;
  /** Line of the finding in `bad`. */
  line: number;
  good: string;
}

// Every cloud rule: one input that breaks it (with the line the finding must point at) and one that does not.
const CASES: Case[] = [
  {
    rule: 'PAL-AWS-001',
    file: 'main.tf',
    bad: 'resource "aws_s3_bucket_acl" "a" {\n  bucket = "b"\n  acl    = "public-read"\n}\n',
    line: 3,
    good: 'resource "aws_s3_bucket_acl" "a" {\n  bucket = "b"\n  acl    = "private"\n}\n',
  },
  {
    rule: 'PAL-AWS-002',
    file: 'main.tf',
    bad: 'resource "aws_s3_bucket_public_access_block" "p" {\n  bucket = "b"\n  block_public_acls = true\n  block_public_policy = false\n  ignore_public_acls = true\n  restrict_public_buckets = true\n}\n',
    line: 4,
    good: 'resource "aws_s3_bucket_public_access_block" "p" {\n  bucket = "b"\n  block_public_acls = true\n  block_public_policy = true\n  ignore_public_acls = true\n  restrict_public_buckets = true\n}\n',
  },
  {
    rule: 'PAL-AWS-003',
    file: 'template.yaml',
    bad: 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Data:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: data\n',
    line: 3,
    good: 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Data:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault: {SSEAlgorithm: "aws:kms"}\n',
  },
  {
    rule: 'PAL-AWS-004',
    file: 'main.tf',
    bad: 'resource "aws_s3_bucket" "b" {\n  bucket = "data"\n}\n',
    line: 1,
    good: 'resource "aws_s3_bucket" "b" {\n  bucket = "data"\n}\nresource "aws_s3_bucket_logging" "l" {\n  bucket        = aws_s3_bucket.b.id\n  target_bucket = "logs"\n  target_prefix = "data/"\n}\n',
  },
  {
    rule: 'PAL-AWS-010',
    file: 'sg.tf',
    bad: 'resource "aws_security_group" "ssh" {\n  name = "ssh"\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n',
    line: 7,
    good: 'resource "aws_security_group" "ssh" {\n  name = "ssh"\n  ingress {\n    from_port   = 443\n    to_port     = 443\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }\n}\n',
  },
  {
    rule: 'PAL-AWS-020',
    file: 'ebs.tf',
    bad: 'resource "aws_ebs_volume" "v" {\n  availability_zone = "eu-west-1a"\n  size = 10\n  encrypted = false\n}\n',
    line: 4,
    good: 'resource "aws_ebs_volume" "v" {\n  availability_zone = "eu-west-1a"\n  size = 10\n  encrypted = true\n}\n',
  },
  {
    rule: 'PAL-AWS-021',
    file: 'db.yaml',
    bad: 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      StorageEncrypted: false\n',
    line: 7,
    good: 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      StorageEncrypted: true\n',
  },
  {
    rule: 'PAL-AWS-022',
    file: 'ddb.tf',
    bad: 'resource "aws_dynamodb_table" "t" {\n  name = "t"\n  hash_key = "id"\n}\n',
    line: 1,
    good: 'resource "aws_dynamodb_table" "t" {\n  name = "t"\n  hash_key = "id"\n  server_side_encryption {\n    enabled = true\n  }\n}\n',
  },
  {
    rule: 'PAL-AWS-023',
    file: 'q.tf',
    bad: 'resource "aws_sqs_queue" "q" {\n  name = "jobs"\n  sqs_managed_sse_enabled = false\n}\n',
    line: 3,
    good: 'resource "aws_sqs_queue" "q" {\n  name = "jobs"\n  kms_master_key_id = "alias/aws/sqs"\n}\n',
  },
  {
    rule: 'PAL-AWS-024',
    file: 'topic.json',
    bad: '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "Alerts": {\n      "Type": "AWS::SNS::Topic",\n      "Properties": {"TopicName": "alerts"}\n    }\n  }\n}\n',
    line: 4,
    good: '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "Alerts": {\n      "Type": "AWS::SNS::Topic",\n      "Properties": {"TopicName": "alerts", "KmsMasterKeyId": "alias/aws/sns"}\n    }\n  }\n}\n',
  },
  {
    rule: 'PAL-AWS-030',
    file: 'rds.tf',
    bad: 'resource "aws_db_instance" "db" {\n  engine = "mysql"\n  storage_encrypted = true\n  publicly_accessible = true\n}\n',
    line: 4,
    good: 'resource "aws_db_instance" "db" {\n  engine = "mysql"\n  storage_encrypted = true\n  publicly_accessible = false\n}\n',
  },
  {
    rule: 'PAL-AWS-040',
    file: 'ec2.tf',
    bad: 'resource "aws_instance" "web" {\n  ami = "ami-1"\n  metadata_options {\n    http_tokens = "optional"\n  }\n}\n',
    line: 4,
    good: 'resource "aws_instance" "web" {\n  ami = "ami-1"\n  metadata_options {\n    http_tokens = "required"\n  }\n}\n',
  },
  {
    rule: 'PAL-AWS-050',
    file: 'trail.tf',
    bad: 'resource "aws_cloudtrail" "t" {\n  name = "main"\n  s3_bucket_name = "logs"\n  is_multi_region_trail = false\n}\n',
    line: 4,
    good: 'resource "aws_cloudtrail" "t" {\n  name = "main"\n  s3_bucket_name = "logs"\n  is_multi_region_trail = true\n}\n',
  },
  {
    rule: 'PAL-AWS-060',
    file: 'iam.tf',
    bad: 'resource "aws_iam_policy" "admin" {\n  name = "admin"\n  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n      Effect   = "Allow"\n      Action   = "*"\n      Resource = "*"\n    }]\n  })\n}\n',
    line: 3,
    good: 'resource "aws_iam_policy" "read" {\n  name = "read"\n  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n      Effect   = "Allow"\n      Action   = ["s3:GetObject"]\n      Resource = "arn:aws:s3:::data/*"\n    }]\n  })\n}\n',
  },
  {
    rule: 'PAL-AWS-061',
    file: 'iam.tf',
    bad: 'data "aws_iam_policy_document" "ci" {\n  statement {\n    actions   = ["iam:PassRole"]\n    resources = ["*"]\n  }\n}\n',
    line: 2,
    good: 'data "aws_iam_policy_document" "ci" {\n  statement {\n    actions   = ["iam:PassRole"]\n    resources = ["arn:aws:iam::123456789012:role/app"]\n  }\n}\n',
  },
  {
    rule: 'PAL-AWS-062',
    file: 'iam.tf',
    bad: 'resource "aws_iam_role_policy_attachment" "a" {\n  role       = "ci"\n  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}\n',
    line: 3,
    good: 'resource "aws_iam_role_policy_attachment" "a" {\n  role       = "ci"\n  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"\n}\n',
  },
  {
    rule: 'PAL-AWS-070',
    file: 'kms.yaml',
    bad: 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      EnableKeyRotation: false\n',
    line: 6,
    good: 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      EnableKeyRotation: true\n',
  },
  {
    rule: 'PAL-AZU-001',
    file: 'nsg.tf',
    bad: 'resource "azurerm_network_security_rule" "rdp" {\n  name = "rdp"\n  direction = "Inbound"\n  access = "Allow"\n  protocol = "Tcp"\n  source_address_prefix = "*"\n  destination_port_range = "3389"\n}\n',
    line: 6,
    good: 'resource "azurerm_network_security_rule" "rdp" {\n  name = "rdp"\n  direction = "Inbound"\n  access = "Allow"\n  protocol = "Tcp"\n  source_address_prefix = "10.1.0.0/16"\n  destination_port_range = "3389"\n}\n',
  },
  {
    rule: 'PAL-AZU-002',
    file: 'st.tf',
    bad: 'resource "azurerm_storage_container" "c" {\n  name = "c"\n  container_access_type = "blob"\n}\n',
    line: 3,
    good: 'resource "azurerm_storage_container" "c" {\n  name = "c"\n  container_access_type = "private"\n}\n',
  },
  {
    rule: 'PAL-AZU-003',
    file: 'st.tf',
    bad: 'resource "azurerm_storage_account" "s" {\n  name = "s"\n  allow_nested_items_to_be_public = false\n  min_tls_version = "TLS1_0"\n}\n',
    line: 4,
    good: 'resource "azurerm_storage_account" "s" {\n  name = "s"\n  allow_nested_items_to_be_public = false\n  min_tls_version = "TLS1_2"\n}\n',
  },
  {
    rule: 'PAL-AZU-004',
    file: 'sql.tf',
    bad: 'resource "azurerm_mssql_firewall_rule" "all" {\n  name = "all"\n  start_ip_address = "0.0.0.0"\n  end_ip_address = "255.255.255.255"\n}\n',
    line: 3,
    good: 'resource "azurerm_mssql_firewall_rule" "office" {\n  name = "office"\n  start_ip_address = "203.0.113.10"\n  end_ip_address = "203.0.113.20"\n}\n',
  },
  {
    rule: 'PAL-AZU-005',
    file: 'log.tf',
    bad: 'resource "azurerm_monitor_log_profile" "p" {\n  name = "default"\n  categories = ["Write"]\n  retention_policy {\n    enabled = true\n    days = 365\n  }\n}\n',
    line: 3,
    good: 'resource "azurerm_monitor_log_profile" "p" {\n  name = "default"\n  categories = ["Action", "Delete", "Write"]\n  retention_policy {\n    enabled = true\n    days = 365\n  }\n}\n',
  },
  {
    rule: 'PAL-GCP-001',
    file: 'fw.tf',
    bad: 'resource "google_compute_firewall" "ssh" {\n  name = "ssh"\n  network = "default"\n  allow {\n    protocol = "tcp"\n    ports = ["22"]\n  }\n  source_ranges = ["0.0.0.0/0"]\n}\n',
    line: 8,
    good: 'resource "google_compute_firewall" "ssh" {\n  name = "ssh"\n  network = "default"\n  allow {\n    protocol = "tcp"\n    ports = ["22"]\n  }\n  source_ranges = ["35.235.240.0/20"]\n}\n',
  },
  {
    rule: 'PAL-GCP-002',
    file: 'sql.tf',
    bad: 'resource "google_sql_database_instance" "db" {\n  name = "db"\n  settings {\n    tier = "db-f1-micro"\n    ip_configuration {\n      authorized_networks {\n        name  = "all"\n        value = "0.0.0.0/0"\n      }\n    }\n  }\n}\n',
    line: 8,
    good: 'resource "google_sql_database_instance" "db" {\n  name = "db"\n  settings {\n    tier = "db-f1-micro"\n    ip_configuration {\n      authorized_networks {\n        name  = "office"\n        value = "203.0.113.0/24"\n      }\n    }\n  }\n}\n',
  },
  {
    rule: 'PAL-GCP-003',
    file: 'gcs.tf',
    bad: 'resource "google_storage_bucket_iam_member" "pub" {\n  bucket = "b"\n  role = "roles/storage.objectViewer"\n  member = "allUsers"\n}\n',
    line: 4,
    good: 'resource "google_storage_bucket_iam_member" "pub" {\n  bucket = "b"\n  role = "roles/storage.objectViewer"\n  member = "group:data@example.com"\n}\n',
  },
  {
    rule: 'PAL-GCP-004',
    file: 'gcs.tf',
    bad: 'resource "google_storage_bucket" "b" {\n  name = "b"\n  location = "EU"\n}\n',
    line: 1,
    good: 'resource "google_storage_bucket" "b" {\n  name = "b"\n  location = "EU"\n  encryption {\n    default_kms_key_name = "projects/p/locations/eu/keyRings/r/cryptoKeys/k"\n  }\n}\n',
  },
  {
    rule: 'PAL-GCP-005',
    file: 'audit.tf',
    bad: 'resource "google_project_iam_audit_config" "a" {\n  project = "p"\n  service = "allServices"\n  audit_log_config {\n    log_type = "DATA_READ"\n    exempted_members = ["user:ops@example.com"]\n  }\n}\n',
    line: 6,
    good: 'resource "google_project_iam_audit_config" "a" {\n  project = "p"\n  service = "allServices"\n  audit_log_config {\n    log_type = "DATA_READ"\n  }\n}\n',
  },
  {
    rule: 'PAL-FN-001',
    file: 'lambda.tf',
    bad: 'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  runtime = "python3.8"\n  handler = "app.handler"\n}\n',
    line: 3,
    good: 'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  runtime = "python3.12"\n  handler = "app.handler"\n}\n',
  },
  {
    rule: 'PAL-FN-002',
    file: 'template.yaml',
    bad: `Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs22.x\n      Environment:\n        Variables:\n          STRIPE_KEY: ${stripeKey}\n`,
    line: 9,
    good: 'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs22.x\n      Environment:\n        Variables:\n          STRIPE_KEY: "{{resolve:secretsmanager:stripe}}"\n',
  },
  {
    rule: 'PAL-FN-003',
    file: 'url.tf',
    bad: 'resource "aws_lambda_function_url" "u" {\n  function_name = "f"\n  authorization_type = "NONE"\n}\n',
    line: 3,
    good: 'resource "aws_lambda_function_url" "u" {\n  function_name = "f"\n  authorization_type = "AWS_IAM"\n}\n',
  },
  {
    rule: 'PAL-FN-004',
    file: 'serverless.yml',
    bad: 'service: api\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  iam:\n    role:\n      statements:\n        - Effect: Allow\n          Action: "*"\n          Resource: "*"\nfunctions:\n  hello:\n    handler: handler.hello\n',
    line: 8,
    good: 'service: api\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  iam:\n    role:\n      statements:\n        - Effect: Allow\n          Action: ["dynamodb:GetItem"]\n          Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/t"\nfunctions:\n  hello:\n    handler: handler.hello\n',
  },
  {
    rule: 'PAL-FN-005',
    file: 'MyHttp/function.json',
    bad: '{\n  "bindings": [\n    {\n      "type": "httpTrigger",\n      "direction": "in",\n      "name": "req",\n      "authLevel": "anonymous"\n    }\n  ]\n}\n',
    line: 7,
    good: '{\n  "bindings": [\n    {\n      "type": "httpTrigger",\n      "direction": "in",\n      "name": "req",\n      "authLevel": "function"\n    }\n  ]\n}\n',
  },
];

describe('cloud rules: one failing and one passing input each', () => {
  it('covers every IaC rule', () => {
    expect(new Set(CASES.map((c) => c.rule))).toEqual(new Set(IAC_RULES.map((r) => r.id)));
  });

  for (const c of CASES) {
    it(`${c.rule} fires on the bad input at line ${c.line}`, async () => {
      const hits = (await open(c.file, c.bad)).filter((f) => f.ruleId === c.rule);
      expect(hits.map((f) => f.target.line)).toContain(c.line);
      expect(hits[0]!.target.path).toBe(c.file);
    });
    it(`${c.rule} stays quiet on the good input`, async () => {
      const hits = (await open(c.file, c.good)).filter((f) => f.ruleId === c.rule);
      expect(hits).toEqual([]);
    });
  }
});

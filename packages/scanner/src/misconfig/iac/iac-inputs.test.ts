import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Finding } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { ALNUM, tokenMaker, UPPER_BASE32 } from '../../secret/__fixtures__/token-samples.js';
import { misconfigAnalyzer } from '../misconfig-analyzer.js';
import { scanIacFile, scanTerraformDir } from './scan-iac-file.js';

const FIXTURES = path.join(import.meta.dirname, '../../../test/fixtures/misconfig/iac');
const NOW = new Date('2026-06-01T00:00:00Z');
const t = tokenMaker(4242);
const GITHUB_TOKEN = `ghp_${t(ALNUM, 36)}`;
const AWS_KEY_ID = `AKIA${t(UPPER_BASE32, 16)}`;

function fixture(name: string): Buffer {
  const text = readFileSync(path.join(FIXTURES, name), 'utf8')
    .replace('__GITHUB_TOKEN__', GITHUB_TOKEN)
    .replace('__AWS_KEY_ID__', AWS_KEY_ID);
  return Buffer.from(text);
}

async function scanText(name: string, text: string, now = NOW) {
  return scanIacFile(name, Buffer.from(text), { now });
}

function byRule(findings: Finding[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const f of findings) out.set(f.ruleId, [...(out.get(f.ruleId) ?? []), f.target.line ?? 0]);
  return out;
}

describe('Terraform HCL', () => {
  it('resolves variable defaults and locals before judging values', async () => {
    const tf = `variable "open" {\n  default = "0.0.0.0/0"\n}\nlocals {\n  port = 22\n}\nresource "aws_security_group_rule" "ssh" {\n  type        = "ingress"\n  from_port   = local.port\n  to_port     = local.port\n  protocol    = "tcp"\n  cidr_blocks = [var.open]\n}\n`;
    const r = await scanText('sg.tf', tf);
    expect(r?.type).toBe('terraform');
    const f = r!.findings.find((x) => x.ruleId === 'PAL-AWS-010');
    expect(f?.target.line).toBe(12);
    expect(f?.description).toContain('SSH (22)');
    expect(f?.tags).toEqual(['exposure']);
  });

  it('leaves unresolvable expressions alone instead of guessing', async () => {
    const tf =
      'resource "aws_db_instance" "db" {\n  publicly_accessible = var.public\n  storage_encrypted = var.encrypted\n}\n';
    const rules = byRule((await scanText('db.tf', tf))!.findings);
    expect(rules.has('PAL-AWS-030')).toBe(false);
    expect(rules.has('PAL-AWS-021')).toBe(false);
  });

  it('skips count = 0 and expands a static for_each', async () => {
    const tf = `resource "aws_db_instance" "off" {\n  count = 0\n  publicly_accessible = true\n}\nresource "aws_ebs_volume" "v" {\n  for_each = { a = true, b = false }\n  encrypted = each.value\n}\n`;
    const f = (await scanText('c.tf', tf))!.findings;
    expect(f.some((x) => x.ruleId === 'PAL-AWS-030')).toBe(false);
    const ebs = f.filter((x) => x.ruleId === 'PAL-AWS-020');
    expect(ebs).toHaveLength(1);
    expect(ebs[0]!.description).toContain('aws_ebs_volume.v["b"]');
    expect(ebs[0]!.target.line).toBe(7);
  });

  it('follows a local module with the arguments its caller passes', async () => {
    const r = await scanTerraformDir(path.join(FIXTURES, 'tf-root'), { now: NOW });
    const sg = r.findings.find((f) => f.ruleId === 'PAL-AWS-010');
    expect(sg?.target.path).toBe(path.join(FIXTURES, 'tf-root/modules/web/main.tf'));
    expect(sg?.target.line).toBe(12);
    expect(sg?.description).toContain('module.web.aws_security_group.web');
    // A local from another file of the same module.
    const acl = r.findings.find((f) => f.ruleId === 'PAL-AWS-001');
    expect(acl?.target.path).toBe(path.join(FIXTURES, 'tf-root/variables.tf'));
    expect(acl?.target.line).toBe(7);
  });

  it('keeps the module default when the module is scanned alone', async () => {
    const r = await scanIacFile('modules/web/main.tf', fixture('tf-root/modules/web/main.tf'), { now: NOW });
    expect(r!.findings.some((f) => f.ruleId === 'PAL-AWS-010')).toBe(false);
  });

  it('reports invalid HCL as PAL-PARSE with its line and goes on', async () => {
    const r = await scanText('bad.tf', 'resource "aws_s3_bucket" "b" {\n  acl = "private"\n');
    expect(r?.findings.map((f) => [f.ruleId, f.target.line])).toEqual([['PAL-PARSE', 1]]);
    const ok = await scanText('ok.tf', 'resource "aws_kms_key" "k" {\n  enable_key_rotation = true\n}\n');
    expect(ok?.findings).toEqual([]);
  });

  it('skips a binary file named .tf with a warning', async () => {
    const r = await scanIacFile('blob.tf', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
    expect(r?.findings).toEqual([]);
    expect(r?.warnings[0]).toContain('binary');
  });

  it('honours // and # suppression comments on the line, above it, and above the resource', async () => {
    const tf = [
      'resource "aws_db_instance" "a" {',
      '  storage_encrypted = true',
      '  publicly_accessible = true // palisade:ignore=PAL-AWS-030 reason="bastion-only subnet"',
      '}',
      '# palisade:ignore=PAL-AWS-070 reason="asymmetric migration" until=2099-01-01',
      'resource "aws_kms_key" "k" {',
      '  description = "k"',
      '}',
      'resource "aws_kms_key" "expired" {',
      '  // palisade:ignore=PAL-AWS-070 until=2020-01-01',
      '  enable_key_rotation = false',
      '}',
    ].join('\n');
    const r = (await scanText('s.tf', tf))!;
    const status = (rule: string, line: number) =>
      r.findings.find((f) => f.ruleId === rule && f.target.line === line)?.status;
    expect(status('PAL-AWS-030', 3)).toBe('suppressed');
    expect(r.findings.find((f) => f.ruleId === 'PAL-AWS-030')?.suppression?.reason).toBe('bastion-only subnet');
    expect(status('PAL-AWS-070', 6)).toBe('suppressed');
    expect(status('PAL-AWS-070', 11)).toBe('open');
    expect(r.warnings.some((w) => w.includes('expired on 2020-01-01'))).toBe(true);
  });

  it('expands dynamic blocks over a static collection', async () => {
    const tf = [
      'variable "rules" {',
      '  default = [{ port = 443, cidr = "0.0.0.0/0" }, { port = 3389, cidr = "0.0.0.0/0" }]',
      '}',
      'resource "aws_security_group" "sg" {',
      '  name = "sg"',
      '  dynamic "ingress" {',
      '    for_each = var.rules',
      '    content {',
      '      from_port   = ingress.value.port',
      '      to_port     = ingress.value.port',
      '      protocol    = "tcp"',
      '      cidr_blocks = [ingress.value.cidr]',
      '    }',
      '  }',
      '}',
    ].join('\n');
    const f = (await scanText('dyn.tf', tf))!.findings.filter((x) => x.ruleId === 'PAL-AWS-010');
    expect(f.map((x) => x.target.line)).toEqual([12]);
    expect(f[0]!.description).toContain('RDP (3389)');
  });

  it('points at the offending one of several nested blocks', async () => {
    const tf =
      'resource "aws_security_group" "sg" {\n  ingress {\n    from_port = 443\n    to_port = 443\n    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n  ingress {\n    from_port = 0\n    to_port = 0\n    protocol = "-1"\n    ipv6_cidr_blocks = ["::/0"]\n  }\n}\n';
    const f = (await scanText('sg.tf', tf))!.findings.filter((x) => x.ruleId === 'PAL-AWS-010');
    expect(f.map((x) => x.target.line)).toEqual([12]);
    expect(f[0]!.description).toContain('::/0');
  });

  it('warns when a local module directory cannot be read, and still scans the root', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-tf-'));
    try {
      writeFileSync(
        path.join(dir, 'main.tf'),
        'module "m" {\n  source = "./nowhere"\n}\nresource "aws_kms_key" "k" {\n  enable_key_rotation = false\n}\n',
      );
      const r = await scanTerraformDir(dir, { now: NOW });
      expect(r.warnings.some((w) => w.includes('module "m" (./nowhere) cannot be read'))).toBe(true);
      expect(r.findings.map((f) => [f.ruleId, f.target.line])).toEqual([['PAL-AWS-070', 5]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads IAM policies written with jsonencode, heredoc JSON and policy documents', async () => {
    const tf = `resource "aws_iam_role_policy" "heredoc" {\n  role = "r"\n  policy = <<EOF\n{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}\nEOF\n}\nresource "aws_iam_role" "inline" {\n  name = "r"\n  inline_policy {\n    name = "p"\n    policy = jsonencode({ Statement = [{ Effect = "Allow", Action = ["iam:PassRole"], Resource = ["*"] }] })\n  }\n}\n`;
    const rules = byRule((await scanText('iam.tf', tf))!.findings);
    expect(rules.get('PAL-AWS-060')).toEqual([3]);
    expect(rules.get('PAL-AWS-061')).toEqual([11]);
  });
});

describe('Terraform plan JSON', () => {
  it('judges planned values and skips deletions', async () => {
    const r = await scanIacFile('plan.json', fixture('plan.json'), { now: NOW });
    expect(r?.type).toBe('terraform-plan');
    const rules = byRule(r!.findings);
    expect(rules.get('PAL-AWS-030')).toEqual([15]);
    expect(rules.has('PAL-AWS-040')).toBe(false);
  });
});

describe('CloudFormation and SAM', () => {
  it('reads short-form intrinsic tags as values, with lines, and applies SAM Globals', async () => {
    const r = await scanIacFile('sam-template.yaml', fixture('sam-template.yaml'), { now: NOW });
    expect(r?.type).toBe('cloudformation');
    expect(r?.findings.some((f) => f.ruleId === 'PAL-PARSE')).toBe(false);
    const rules = byRule(r!.findings);
    expect(rules.get('PAL-FN-001')).toEqual([5]); // python3.8 from Globals
    expect(rules.get('PAL-FN-003')).toEqual([21]);
    expect(rules.get('PAL-FN-005')).toEqual([23]);
    expect(rules.get('PAL-AWS-062')).toEqual([32]);
    expect(rules.get('PAL-AWS-060')).toEqual([37]);
  });

  it('does not report a deprecated runtime before its date', async () => {
    const r = await scanIacFile('sam-template.yaml', fixture('sam-template.yaml'), {
      now: new Date('2024-01-01T00:00:00Z'),
    });
    expect(r!.findings.some((f) => f.ruleId === 'PAL-FN-001')).toBe(false);
  });

  it('honours a YAML suppression comment', async () => {
    const yaml =
      'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      StorageEncrypted: true\n      PubliclyAccessible: true # palisade:ignore=PAL-AWS-030 reason="demo"\n';
    const f = (await scanText('db.yaml', yaml))!.findings.find((x) => x.ruleId === 'PAL-AWS-030');
    expect(f?.status).toBe('suppressed');
  });

  it('reports invalid YAML and JSON templates as PAL-PARSE', async () => {
    const y = await scanText('template.yaml', 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  A: [unclosed\n');
    expect(y?.findings.map((f) => f.ruleId)).toEqual(['PAL-PARSE']);
    const j = await scanText('stack.json', '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {');
    expect(j?.findings.map((f) => f.ruleId)).toEqual(['PAL-PARSE']);
  });

  it('refuses a YAML alias bomb in a template as PAL-PARSE', async () => {
    const lines = ['AWSTemplateFormatVersion: "2010-09-09"', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const r = await scanText('template.yaml', `${lines.join('\n')}\nResources: {}\n`);
    expect(r?.findings.map((f) => f.ruleId)).toEqual(['PAL-PARSE']);
    expect(r?.findings[0]?.description).toContain('refused');
  });

  it('passes on YAML that is not IaC', async () => {
    expect(await scanText('config.yaml', 'name: app\nreplicas: 3\n')).toBeUndefined();
  });
});

describe('serverless and function configs', () => {
  it('reads serverless.yml: provider defaults, env secrets, URLs and triggers without authorizers', async () => {
    const r = await scanIacFile('serverless.yml', fixture('serverless.yml'), { now: NOW });
    expect(r?.type).toBe('serverless');
    const rules = byRule(r!.findings);
    expect(rules.get('PAL-FN-001')).toEqual([4]); // nodejs16.x from provider, for "create" only
    expect(rules.get('PAL-FN-002')).toEqual([6, 6]);
    expect(rules.get('PAL-FN-003')).toEqual([10]);
    expect(rules.get('PAL-FN-005')).toEqual([12]);
    const secret = r!.findings.find((f) => f.ruleId === 'PAL-FN-002')!;
    expect(secret.description).not.toContain(GITHUB_TOKEN);
  });

  it('reads aws lambda get-function-configuration output', async () => {
    const r = await scanIacFile('billing.json', fixture('lambda-config.json'), { now: NOW });
    expect(r?.type).toBe('function-config');
    const rules = byRule(r!.findings);
    expect(rules.get('PAL-FN-001')).toEqual([4]);
    expect(rules.get('PAL-FN-002')).toEqual([9]);
  });

  it('reads gcloud functions describe and get-iam-policy output', async () => {
    const d = await scanIacFile('thumbs.yaml', fixture('gcloud-function.yaml'), { now: NOW });
    expect(byRule(d!.findings).get('PAL-FN-001')).toEqual([3]);
    const p = await scanIacFile('policy.json', fixture('gcloud-iam-policy.json'), { now: NOW });
    expect(byRule(p!.findings).get('PAL-FN-005')).toEqual([4]);
    expect(p!.findings[0]!.tags).toEqual(['exposure']);
  });

  it('reads az functionapp config show output', async () => {
    const r = await scanIacFile('fn.json', fixture('az-functionapp-config.json'), { now: NOW });
    expect(byRule(r!.findings).get('PAL-FN-001')).toEqual([4]);
  });

  it('recognises host.json without findings', async () => {
    const r = await scanText('host.json', '{\n  "version": "2.0"\n}\n');
    expect(r?.findings).toEqual([]);
  });
});

describe('misconfig analyzer', () => {
  it('hands .tf and CloudFormation files to the IaC scan and Kubernetes manifests to theirs', async () => {
    const info = { size: 100, mode: 0o644 } as Parameters<typeof misconfigAnalyzer.required>[1];
    expect(misconfigAnalyzer.required('infra/main.tf', info)).toBe(true);
    expect(misconfigAnalyzer.required('infra/.terraform/modules/x/main.tf', info)).toBe(false);
    const warnings: string[] = [];
    const ctx = { warn: (m: string) => warnings.push(m) } as unknown as Parameters<typeof misconfigAnalyzer.analyze>[1];
    const tf = await misconfigAnalyzer.analyze(
      {
        path: 'main.tf',
        content: Buffer.from('resource "aws_db_instance" "d" {\n  publicly_accessible = true\n}\n'),
      } as Parameters<typeof misconfigAnalyzer.analyze>[0],
      ctx,
    );
    expect(tf?.misconfigurations?.[0]?.type).toBe('terraform');
    expect(tf?.misconfigurations?.[0]?.findings.some((f) => f.ruleId === 'PAL-AWS-030')).toBe(true);
    const cfn = await misconfigAnalyzer.analyze(
      { path: 'sam-template.yaml', content: fixture('sam-template.yaml') } as Parameters<
        typeof misconfigAnalyzer.analyze
      >[0],
      ctx,
    );
    expect(cfn?.misconfigurations?.[0]?.type).toBe('cloudformation');
  });
});

// Terraform through `palisade scan fs --scanners config`: judged per module directory, as
// Terraform reads it — settings in a sibling file count, local modules get their caller's values.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScanReport } from '@palisade/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runPalisade } from './cli-harness.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'palisade-tf-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('palisade scan fs: Terraform modules', () => {
  it('reads sibling files together and judges a local module with its caller arguments, once', async () => {
    mkdirSync(path.join(work, 'modules/bucket'), { recursive: true });
    writeFileSync(
      path.join(work, 'main.tf'),
      'module "logs" {\n  source = "./modules/bucket"\n  name   = "acme-logs"\n  acl    = "public-read"\n}\nresource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n}\n',
    );
    writeFileSync(
      path.join(work, 's3.tf'),
      'resource "aws_s3_bucket_public_access_block" "data" {\n  bucket                  = aws_s3_bucket.data.id\n  block_public_acls       = true\n  block_public_policy     = true\n  ignore_public_acls      = true\n  restrict_public_buckets = true\n}\n',
    );
    writeFileSync(
      path.join(work, 'modules/bucket/main.tf'),
      'variable "name" {}\nvariable "acl" { default = "private" }\nresource "aws_s3_bucket" "this" {\n  bucket = var.name\n  acl    = var.acl\n}\n',
    );
    const r = await runPalisade(['scan', 'fs', work, '--scanners', 'config', '-f', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const findings = (JSON.parse(r.stdout) as ScanReport).results.flatMap((x) => x.findings);
    const keys = findings.map((f) => `${f.target.path}:${f.target.line} ${f.ruleId}`);
    // The data bucket's public access block lives in s3.tf: no "block missing" finding for it.
    expect(keys).not.toContain('main.tf:6 PAL-AWS-002');
    // The module's bucket is public because its caller passes acl = "public-read".
    expect(keys).toContain('modules/bucket/main.tf:5 PAL-AWS-001');
    expect(new Set(keys).size).toBe(keys.length);
  });
});

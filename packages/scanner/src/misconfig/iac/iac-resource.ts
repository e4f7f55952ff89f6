// The one shape every infrastructure-as-code input is read into (Terraform, plan JSON,
// CloudFormation/SAM, serverless and function configs), so a cloud rule is written once per resource type.

import type { JsonObject } from '../kubernetes-resource.js';
import type { DocPath } from '../types.js';

export type IacSource =
  | 'terraform'
  | 'terraform-plan'
  | 'cloudformation'
  | 'serverless'
  | 'azure-functions'
  | 'function-config';

export interface IacResource {
  source: IacSource;
  /** Provider type: "aws_s3_bucket", "AWS::S3::Bucket", or "function" for a normalised function. */
  type: string;
  /** Address or logical id: "aws_s3_bucket.logs", "LogsBucket", "function hello". */
  name: string;
  /** Attributes with variables and locals resolved where static (Terraform) or Properties (CFN). */
  attrs: JsonObject;
  /** The file that declares it (a module's resources live in the module's files). */
  file: string;
  /** Line (1-based) of the attribute at `path` under attrs, or of its nearest existing parent. */
  lineOf(path: DocPath): number;
}

export interface IacIssue {
  /** The offending attribute under attrs, or the nearest parent when something is missing ([] = the resource). */
  path: DocPath;
  detail: string;
}

/** What a rule may look at besides its resource: the other resources of the same scan. */
export interface IacContext {
  resources: readonly IacResource[];
  /** The scan's date: dated checks (deprecated runtimes) compare with it. */
  now: Date;
}

export interface IacParseError {
  file: string;
  line: number;
  message: string;
}

export interface ParsedIac {
  resources: IacResource[];
  errors: IacParseError[];
  warnings: string[];
}

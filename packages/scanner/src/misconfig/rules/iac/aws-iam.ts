// IAM policy checks: statements allowing every action on every resource, iam:PassRole on any
// role, and the AdministratorAccess managed policy attached to a principal.

import type { IacIssue, IacResource } from '../../iac/iac-resource.js';
import { readJsonencode } from '../../iac/terraform/jsonencode-literal.js';
import { asArray, isObject, type JsonObject } from '../../kubernetes-resource.js';
import type { DocPath } from '../../types.js';
import { AWS_SECURITY_HUB, blocksAt, CIS_AWS, strings, typedRule } from './define.js';

export interface PolicyStatement {
  effect: string;
  actions: string[];
  resources: string[];
  /** Where to point: the statement in a structured document, or the attribute holding a JSON string. */
  path: DocPath;
}

/** A policy attribute as written: a JSON string, a jsonencode() literal, or already structured data. */
function policyDocument(v: unknown): unknown {
  if (isObject(v)) return v;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t);
    } catch {
      return undefined;
    }
  }
  return readJsonencode(t);
}

function statementsOfDocument(doc: unknown, path: DocPath, structured: boolean): PolicyStatement[] {
  if (!isObject(doc)) return [];
  const list = Array.isArray(doc.Statement) ? doc.Statement : isObject(doc.Statement) ? [doc.Statement] : [];
  return list.flatMap((s, i) =>
    isObject(s)
      ? [
          {
            effect: String(s.Effect ?? 'Allow'),
            actions: strings(s.Action),
            resources: strings(s.Resource),
            path: structured ? [...path, 'Statement', ...(Array.isArray(doc.Statement) ? [i] : [])] : path,
          },
        ]
      : [],
  );
}

/** Every policy statement a resource carries, wherever its type keeps them. */
export function policyStatements(r: IacResource): PolicyStatement[] {
  const a = r.attrs;
  switch (r.type) {
    case 'data.aws_iam_policy_document':
      return blocksAt(a, 'statement').map(({ block, path }) => ({
        effect: String(block.effect ?? 'Allow'),
        actions: strings(block.actions),
        resources: strings(block.resources),
        path,
      }));
    case 'aws_iam_policy':
    case 'aws_iam_role_policy':
    case 'aws_iam_user_policy':
    case 'aws_iam_group_policy':
      return statementsOfDocument(policyDocument(a.policy), ['policy'], false);
    case 'aws_iam_role':
      return blocksAt(a, 'inline_policy').flatMap(({ block, path }) =>
        statementsOfDocument(policyDocument(block.policy), [...path, 'policy'], false),
      );
    case 'AWS::IAM::Policy':
    case 'AWS::IAM::ManagedPolicy':
      return statementsOfDocument(a.PolicyDocument, ['PolicyDocument'], true);
    case 'AWS::IAM::Role':
    case 'AWS::IAM::User':
    case 'AWS::IAM::Group':
      return asArray(a.Policies).flatMap((p, i) =>
        isObject(p) ? statementsOfDocument(p.PolicyDocument, ['Policies', i, 'PolicyDocument'], true) : [],
      );
    default:
      return [];
  }
}

const POLICY_TYPES = [
  'data.aws_iam_policy_document',
  'aws_iam_policy',
  'aws_iam_role_policy',
  'aws_iam_user_policy',
  'aws_iam_group_policy',
  'aws_iam_role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::Role',
  'AWS::IAM::User',
  'AWS::IAM::Group',
];

export function allowsEverything(s: PolicyStatement): boolean {
  return s.effect === 'Allow' && s.actions.some((x) => x === '*' || x === '*:*') && s.resources.includes('*');
}

export const iamWildcard = typedRule(
  {
    id: 'PAL-AWS-060',
    severity: 'CRITICAL',
    title: 'IAM policy allows every action on every resource',
    rationale:
      'Action "*" on Resource "*" is full administrator access: any compromise of the principal is a compromise of the account.',
    remediation:
      'Grant only the actions and resources the principal needs; generate a least-privilege policy from CloudTrail (IAM Access Analyzer).',
    references: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege', CIS_AWS],
    frameworks: { cis: ['AWS 1.16'], mitre: ['T1078.004', 'T1098'] },
  },
  POLICY_TYPES,
  (r): IacIssue[] =>
    policyStatements(r)
      .filter(allowsEverything)
      .map((s) => ({ path: s.path, detail: `${r.name} allows Action "*" on Resource "*"` })),
);

export const iamPassRoleWildcard = typedRule(
  {
    id: 'PAL-AWS-061',
    severity: 'HIGH',
    title: 'IAM policy allows iam:PassRole on any role',
    rationale:
      'PassRole on "*" lets the principal hand any role, including administrator roles, to a service it controls: a privilege escalation path.',
    remediation:
      'Limit iam:PassRole to the ARNs of the roles the principal must pass, and add an iam:PassedToService condition.',
    references: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html', AWS_SECURITY_HUB],
    frameworks: { mitre: ['T1098', 'T1548'] },
  },
  POLICY_TYPES,
  (r): IacIssue[] =>
    policyStatements(r)
      .filter((s) => s.effect === 'Allow' && !allowsEverything(s) && s.resources.includes('*'))
      .filter((s) => s.actions.some((x) => /^iam:(passrole|\*|pass\*)$/i.test(x)))
      .map((s) => ({ path: s.path, detail: `${r.name} allows iam:PassRole on Resource "*"` })),
);

export const ADMIN_POLICY = /:policy\/AdministratorAccess$|^AdministratorAccess$/;

function adminArns(a: JsonObject, key: string): { path: DocPath; arn: string }[] {
  return asArray(a[key]).flatMap((v, i) =>
    typeof v === 'string' && ADMIN_POLICY.test(v) ? [{ path: [key, i], arn: v }] : [],
  );
}

export const adminPolicyAttached = typedRule(
  {
    id: 'PAL-AWS-062',
    severity: 'HIGH',
    title: 'AdministratorAccess managed policy attached',
    rationale:
      'AdministratorAccess grants every action on every resource; workloads and day-to-day users need far less.',
    remediation:
      'Attach a policy limited to the needed services and actions; keep administrator access for break-glass roles.',
    references: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html', CIS_AWS],
    frameworks: { cis: ['AWS 1.16'], mitre: ['T1078.004'] },
  },
  [
    'aws_iam_role_policy_attachment',
    'aws_iam_user_policy_attachment',
    'aws_iam_group_policy_attachment',
    'aws_iam_policy_attachment',
    'aws_iam_role',
    'AWS::IAM::Role',
    'AWS::IAM::User',
    'AWS::IAM::Group',
  ],
  (r): IacIssue[] => {
    if (typeof r.attrs.policy_arn === 'string') {
      return ADMIN_POLICY.test(r.attrs.policy_arn)
        ? [{ path: ['policy_arn'], detail: `${r.name} attaches ${r.attrs.policy_arn}` }]
        : [];
    }
    const key = r.type.startsWith('AWS::') ? 'ManagedPolicyArns' : 'managed_policy_arns';
    return adminArns(r.attrs, key).map((x) => ({ path: x.path, detail: `${r.name} attaches ${x.arn}` }));
  },
);

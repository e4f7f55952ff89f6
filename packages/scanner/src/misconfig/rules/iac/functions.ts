// Serverless function checks: deprecated runtimes (from the dated end-of-life table), secrets in
// environment variables, function URLs without auth, over-broad execution roles, public triggers.

import { scanSecrets } from '../../../secret/detect-secrets.js';
import type { IacIssue } from '../../iac/iac-resource.js';
import { ADMIN_POLICY } from './aws-iam.js';
import { iacRule, strings } from './define.js';
import { executionRolePolicies, functionViewOf } from './function-view.js';
import { runtimeEndOfLife } from './runtime-end-of-life.js';

const FN_DOCS = 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-security.html';

/** PAL-FN-001 compares the table's dates with the scan's `now` (today, or `--now`). */
export const deprecatedRuntime = iacRule(
  {
    id: 'PAL-FN-001',
    severity: 'HIGH',
    title: 'Function uses a deprecated runtime',
    rationale:
      'A deprecated runtime gets no security patches, and the provider eventually blocks updates to functions that use it.',
    remediation: 'Move the function to a supported runtime version and redeploy.',
    references: [
      'https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html',
      'https://cloud.google.com/functions/docs/runtime-support',
      'https://learn.microsoft.com/azure/azure-functions/supported-languages',
    ],
    frameworks: { mitre: ['T1190'] },
  },
  (r, ctx): IacIssue[] => {
    const view = functionViewOf(r);
    if (!view?.runtime) return [];
    const eol = runtimeEndOfLife(view.platform, view.runtime.value);
    if (!eol || Date.parse(`${eol.deprecated}T00:00:00Z`) > ctx.now.getTime()) return [];
    return [
      {
        path: view.runtime.path,
        detail: `${r.name} runs ${view.runtime.value}, deprecated since ${eol.deprecated} (${eol.source})`,
      },
    ];
  },
);

// Made once: the secret scanner compiles its rules per options object. No path allowlist, since
// the "path" here is a config file, not a test fixture the user chose to exempt.
const ENV_SECRET_OPTIONS = { allowedPaths: [] as string[] };

export const secretInFunctionEnv = iacRule(
  {
    id: 'PAL-FN-002',
    severity: 'HIGH',
    title: 'Secret in a function environment variable',
    rationale:
      'Environment variables are shown in consoles, CLI output and deployment templates; anyone who can read the configuration reads the secret.',
    remediation:
      'Keep the secret in a secrets manager (AWS Secrets Manager/SSM, Key Vault reference, Secret Manager) and read it at start-up.',
    references: [
      'https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-encryption',
      FN_DOCS,
    ],
    frameworks: { mitre: ['T1552.001'] },
  },
  (r): IacIssue[] => {
    const view = functionViewOf(r);
    if (!view) return [];
    const out: IacIssue[] = [];
    for (const e of view.env) {
      // Unresolved references (a secret manager lookup, a variable) are the remedy, not the problem.
      if (e.value.includes('${') || e.value.includes('{{resolve:')) continue;
      const hits = scanSecrets(r.file, Buffer.from(`${e.name}=${e.value}`), ENV_SECRET_OPTIONS);
      if (hits.length > 0)
        out.push({ path: e.path, detail: `${r.name} environment variable ${e.name} holds a ${hits[0]!.title}` });
    }
    return out;
  },
);

export const functionUrlWithoutAuth = iacRule(
  {
    id: 'PAL-FN-003',
    severity: 'HIGH',
    title: 'Function URL without authentication',
    rationale: 'A Lambda function URL with AuthType NONE is callable by anyone on the internet who learns the URL.',
    remediation: 'Use AuthType AWS_IAM, or put the function behind an API with an authorizer.',
    references: ['https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html'],
    frameworks: { mitre: ['T1190'] },
    tags: ['exposure'],
  },
  (r): IacIssue[] => {
    const url = functionViewOf(r)?.urlAuth;
    return url && url.value.toUpperCase() === 'NONE'
      ? [{ path: url.path, detail: `${r.name} has a function URL with auth type NONE` }]
      : [];
  },
);

export const overBroadExecutionRole = iacRule(
  {
    id: 'PAL-FN-004',
    severity: 'HIGH',
    title: 'Function execution role is over-broad',
    rationale:
      'Code running with AdministratorAccess or "*" on "*" turns any injection bug in the function into control of the account.',
    remediation:
      'Give the function a role with only the actions and resources it uses (SAM policy templates, per-function roles).',
    references: ['https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html'],
    frameworks: { mitre: ['T1078.004', 'T1098'] },
  },
  (r): IacIssue[] => {
    const { statements, managed } = executionRolePolicies(r);
    const out: IacIssue[] = [];
    for (const m of managed)
      if (ADMIN_POLICY.test(m.arn)) out.push({ path: m.path, detail: `${r.name} is given ${m.arn}` });
    for (const { s, path } of statements) {
      const allow = String(s.Effect ?? 'Allow') === 'Allow';
      const actions = strings(s.Action);
      if (allow && actions.some((a) => a === '*' || a === '*:*') && strings(s.Resource).includes('*')) {
        out.push({ path, detail: `${r.name} allows Action "*" on Resource "*"` });
      }
    }
    return out;
  },
);

export const publicFunctionTrigger = iacRule(
  {
    id: 'PAL-FN-005',
    severity: 'MEDIUM',
    title: 'Function trigger callable without authentication',
    rationale:
      'An HTTP trigger without an authorizer, Azure authLevel anonymous, or an allUsers invoker lets anyone run the function (and run up its bill).',
    remediation:
      'Add an authorizer (API Gateway/HTTP API), use authLevel function or admin, or grant the invoker role to specific principals.',
    references: [
      'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html',
      'https://learn.microsoft.com/azure/azure-functions/security-concepts',
      'https://cloud.google.com/functions/docs/securing/authenticating',
    ],
    frameworks: { mitre: ['T1190'] },
    tags: ['exposure'],
  },
  (r): IacIssue[] =>
    (functionViewOf(r)?.publicTriggers ?? []).map((t) => ({ path: t.path, detail: `${r.name}: ${t.detail}` })),
);

// Reads a Serverless Framework `serverless.yml`: one function resource per entry of `functions`
// (provider defaults merged), the provider's IAM statements, and the CloudFormation under `resources`.

import { asArray, isObject, type JsonObject } from '../../kubernetes-resource.js';
import type { DocPath } from '../../types.js';
import type { IacResource, ParsedIac } from '../iac-resource.js';
import type { PositionedDocument } from '../yaml-positions.js';
import { type FunctionFacts, normalizedFunction } from './normalized-function.js';

export function looksLikeServerlessFramework(data: unknown): boolean {
  return isObject(data) && 'service' in data && isObject(data.provider) && ('functions' in data || 'provider' in data);
}

/** Serverless's `provider.name` → our platform; AWS is the default and the common case. */
function platformOf(provider: JsonObject): FunctionFacts['platform'] {
  if (provider.name === 'azure') return 'azure-functions';
  if (provider.name === 'google') return 'gcp-functions';
  return 'aws-lambda';
}

export function serverlessFrameworkResources(file: string, doc: PositionedDocument): ParsedIac {
  const resources: IacResource[] = [];
  if (!isObject(doc.data)) return { resources, errors: [], warnings: [] };
  const provider = isObject(doc.data.provider) ? doc.data.provider : {};
  const providerEnv = isObject(provider.environment) ? provider.environment : {};
  const functions = isObject(doc.data.functions) ? doc.data.functions : {};
  for (const [name, fn] of Object.entries(functions)) {
    if (!isObject(fn)) continue;
    const own = ['functions', name];
    const fnEnv = isObject(fn.environment) ? fn.environment : {};
    const triggers: string[] = [];
    const triggerPaths: DocPath[] = [];
    asArray(fn.events).forEach((ev, i) => {
      if (!isObject(ev)) return;
      for (const kind of ['http', 'httpApi'] as const) {
        const e = ev[kind];
        if (e === undefined) continue;
        const cfg = isObject(e) ? e : {};
        // `private: true` needs an API key; an authorizer (at event or provider level) checks callers.
        const providerAuth =
          kind === 'httpApi' &&
          isObject(provider.httpApi) &&
          provider.httpApi.authorizers !== undefined &&
          cfg.authorizer !== undefined;
        if (cfg.authorizer !== undefined || cfg.private === true || providerAuth) continue;
        const route =
          typeof e === 'string' ? e : `${String(cfg.method ?? 'ANY').toUpperCase()} ${String(cfg.path ?? '/')}`;
        triggers.push(`${kind} event ${route} has no authorizer`);
        triggerPaths.push([...own, 'events', i, kind]);
      }
    });
    let urlAuth: string | undefined;
    if (fn.url === true) urlAuth = 'NONE';
    else if (isObject(fn.url)) urlAuth = fn.url.authorizer === 'aws_iam' ? 'AWS_IAM' : 'NONE';
    const facts: FunctionFacts = {
      platform: platformOf(provider),
      runtime:
        typeof fn.runtime === 'string'
          ? fn.runtime
          : typeof provider.runtime === 'string'
            ? provider.runtime
            : undefined,
      environment: { ...providerEnv, ...fnEnv },
      urlAuth,
      publicTriggers: triggers,
    };
    resources.push(
      normalizedFunction(
        'serverless',
        file,
        name,
        facts,
        {
          runtime: 'runtime' in fn ? [...own, 'runtime'] : ['provider', 'runtime'],
          environment: (k) => (k in fnEnv ? [...own, 'environment', k] : ['provider', 'environment', k]),
          urlAuth: [...own, 'url'],
          publicTriggers: triggerPaths,
        },
        doc,
      ),
    );
  }
  // The provider's execution role, in either spelling Serverless has used.
  const iam = isObject(provider.iam) && isObject(provider.iam.role) ? provider.iam.role : undefined;
  const statements = iam?.statements ?? provider.iamRoleStatements;
  const managed = iam?.managedPolicies ?? provider.iamManagedPolicies;
  if (statements !== undefined || managed !== undefined) {
    const statementsPath =
      iam?.statements !== undefined ? ['provider', 'iam', 'role', 'statements'] : ['provider', 'iamRoleStatements'];
    const managedPath =
      iam?.managedPolicies !== undefined
        ? ['provider', 'iam', 'role', 'managedPolicies']
        : ['provider', 'iamManagedPolicies'];
    resources.push({
      source: 'serverless',
      type: 'execution-role',
      name: 'provider execution role',
      attrs: { Statement: statements ?? [], ManagedPolicyArns: managed ?? [] },
      file,
      lineOf: (p) =>
        p[0] === 'Statement'
          ? doc.lineOf([...statementsPath, ...p.slice(1)])
          : p[0] === 'ManagedPolicyArns'
            ? doc.lineOf([...managedPath, ...p.slice(1)])
            : doc.lineOf(['provider']),
    });
  }
  // Plain CloudFormation under `resources.Resources`.
  const cfn =
    isObject(doc.data.resources) && isObject(doc.data.resources.Resources) ? doc.data.resources.Resources : {};
  for (const [id, res] of Object.entries(cfn)) {
    if (!isObject(res) || typeof res.Type !== 'string') continue;
    resources.push({
      source: 'serverless',
      type: res.Type,
      name: id,
      attrs: isObject(res.Properties) ? res.Properties : {},
      file,
      lineOf: (p) => doc.lineOf(['resources', 'Resources', id, 'Properties', ...p]),
    });
  }
  return { resources, errors: [], warnings: [] };
}

// One view of a serverless function whatever declared it (Terraform, CloudFormation/SAM,
// serverless.yml, a CLI's JSON), so the function rules are written once.

import type { IacResource } from '../../iac/iac-resource.js';
import type { FunctionFacts, FunctionPlatform } from '../../iac/serverless/normalized-function.js';
import { asArray, isObject, type JsonObject } from '../../kubernetes-resource.js';
import type { DocPath } from '../../types.js';
import { firstBlock } from './define.js';

export interface FunctionView {
  platform: FunctionPlatform;
  runtime?: { value: string; path: DocPath };
  env: { name: string; value: string; path: DocPath }[];
  urlAuth?: { value: string; path: DocPath };
  publicTriggers: { detail: string; path: DocPath }[];
}

function envEntries(vars: unknown, base: DocPath): FunctionView['env'] {
  if (!isObject(vars)) return [];
  return Object.entries(vars).flatMap(([name, v]) =>
    typeof v === 'string' || typeof v === 'number' ? [{ name, value: String(v), path: [...base, name] }] : [],
  );
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

const AZURE_STACKS: [string, string][] = [
  ['python_version', 'python'],
  ['node_version', 'node'],
  ['dotnet_version', 'dotnet'],
  ['java_version', 'java'],
  ['powershell_core_version', 'powershell'],
];

export function functionViewOf(r: IacResource): FunctionView | undefined {
  const a = r.attrs;
  switch (r.type) {
    case 'function': {
      const f = a as unknown as FunctionFacts;
      return {
        platform: f.platform,
        runtime: f.runtime ? { value: f.runtime, path: ['runtime'] } : undefined,
        env: envEntries(f.environment, ['environment']),
        urlAuth: f.urlAuth ? { value: f.urlAuth, path: ['urlAuth'] } : undefined,
        publicTriggers: (f.publicTriggers ?? []).map((detail, i) => ({ detail, path: ['publicTriggers', i] })),
      };
    }
    case 'aws_lambda_function': {
      const env = firstBlock(a, ['environment']);
      return {
        platform: 'aws-lambda',
        runtime: str(a.runtime) ? { value: str(a.runtime)!, path: ['runtime'] } : undefined,
        env: env ? envEntries(env.block.variables, [...env.path, 'variables']) : [],
        publicTriggers: [],
      };
    }
    case 'AWS::Lambda::Function':
    case 'AWS::Serverless::Function': {
      const env = isObject(a.Environment) ? a.Environment.Variables : undefined;
      const view: FunctionView = {
        platform: 'aws-lambda',
        runtime: str(a.Runtime) ? { value: str(a.Runtime)!, path: ['Runtime'] } : undefined,
        env: envEntries(env, ['Environment', 'Variables']),
        publicTriggers: [],
      };
      if (isObject(a.FunctionUrlConfig) && typeof a.FunctionUrlConfig.AuthType === 'string') {
        view.urlAuth = { value: a.FunctionUrlConfig.AuthType, path: ['FunctionUrlConfig', 'AuthType'] };
      }
      if (isObject(a.Events)) {
        for (const [id, ev] of Object.entries(a.Events)) {
          if (!isObject(ev) || (ev.Type !== 'Api' && ev.Type !== 'HttpApi')) continue;
          const props: JsonObject = isObject(ev.Properties) ? ev.Properties : {};
          const auth = isObject(props.Auth) ? props.Auth : undefined;
          // An event on an explicit API inherits that API's default authorizer; judge only implicit APIs.
          const explicitApi = props.RestApiId !== undefined || props.ApiId !== undefined;
          if (
            auth?.Authorizer === 'NONE' ||
            (!explicitApi && auth?.Authorizer === undefined && auth?.ApiKeyRequired !== true)
          ) {
            view.publicTriggers.push({
              detail: `${String(ev.Type)} event "${id}" (${String(props.Method ?? 'ANY').toUpperCase()} ${String(props.Path ?? '/')}) has no authorizer`,
              path: ['Events', id],
            });
          }
        }
      }
      return view;
    }
    case 'aws_lambda_function_url':
      return {
        platform: 'aws-lambda',
        env: [],
        urlAuth: str(a.authorization_type)
          ? { value: str(a.authorization_type)!, path: ['authorization_type'] }
          : undefined,
        publicTriggers: [],
      };
    case 'AWS::Lambda::Url':
      return {
        platform: 'aws-lambda',
        env: [],
        urlAuth: str(a.AuthType) ? { value: str(a.AuthType)!, path: ['AuthType'] } : undefined,
        publicTriggers: [],
      };
    case 'aws_api_gateway_method':
    case 'AWS::ApiGateway::Method': {
      const cfn = r.type.startsWith('AWS::');
      const key = cfn ? 'AuthorizationType' : 'authorization';
      const apiKey = a[cfn ? 'ApiKeyRequired' : 'api_key_required'];
      const method = String(a[cfn ? 'HttpMethod' : 'http_method'] ?? '');
      if (
        String(a[key] ?? 'NONE').toUpperCase() !== 'NONE' ||
        apiKey === true ||
        apiKey === 'true' ||
        method === 'OPTIONS'
      ) {
        return { platform: 'aws-lambda', env: [], publicTriggers: [] };
      }
      return {
        platform: 'aws-lambda',
        env: [],
        publicTriggers: [
          { detail: `API Gateway method ${method} has ${key} NONE`, path: a[key] === undefined ? [] : [key] },
        ],
      };
    }
    case 'google_cloudfunctions_function':
      return {
        platform: 'gcp-functions',
        runtime: str(a.runtime) ? { value: str(a.runtime)!, path: ['runtime'] } : undefined,
        env: envEntries(a.environment_variables, ['environment_variables']),
        publicTriggers: [],
      };
    case 'google_cloudfunctions2_function': {
      const build = firstBlock(a, ['build_config']);
      const service = firstBlock(a, ['service_config']);
      return {
        platform: 'gcp-functions',
        runtime: str(build?.block.runtime)
          ? { value: str(build!.block.runtime)!, path: [...build!.path, 'runtime'] }
          : undefined,
        env: service ? envEntries(service.block.environment_variables, [...service.path, 'environment_variables']) : [],
        publicTriggers: [],
      };
    }
    case 'google_cloudfunctions_function_iam_member':
    case 'google_cloudfunctions2_function_iam_member':
    case 'google_cloud_run_service_iam_member':
    case 'google_cloud_run_v2_service_iam_member': {
      const member = String(a.member ?? '');
      const publicMember = member === 'allUsers' || member === 'allAuthenticatedUsers';
      return {
        platform: 'gcp-functions',
        env: [],
        publicTriggers:
          publicMember && /invoker/i.test(String(a.role ?? ''))
            ? [{ detail: `${String(a.role)} is granted to ${member}`, path: ['member'] }]
            : [],
      };
    }
    case 'azurerm_linux_function_app':
    case 'azurerm_windows_function_app': {
      const stack = firstBlock(a, ['site_config', 'application_stack']);
      let runtime: FunctionView['runtime'];
      for (const [key, name] of AZURE_STACKS) {
        const v = stack?.block[key];
        if (typeof v === 'string' || typeof v === 'number')
          runtime = { value: `${name}|${String(v)}`, path: [...stack!.path, key] };
      }
      return {
        platform: 'azure-functions',
        runtime,
        env: envEntries(a.app_settings, ['app_settings']),
        publicTriggers: [],
      };
    }
    case 'azurerm_function_app':
      return { platform: 'azure-functions', env: envEntries(a.app_settings, ['app_settings']), publicTriggers: [] };
    default:
      return undefined;
  }
}

/** Statements of a function's execution role, for SAM (Policies) and serverless.yml (provider role). */
export function executionRolePolicies(r: IacResource): {
  statements: { s: JsonObject; path: DocPath }[];
  managed: { arn: string; path: DocPath }[];
} {
  const statements: { s: JsonObject; path: DocPath }[] = [];
  const managed: { arn: string; path: DocPath }[] = [];
  if (r.type === 'AWS::Serverless::Function') {
    const policies = typeof r.attrs.Policies === 'string' ? [r.attrs.Policies] : asArray(r.attrs.Policies);
    policies.forEach((p, i) => {
      const path: DocPath = typeof r.attrs.Policies === 'string' ? ['Policies'] : ['Policies', i];
      if (typeof p === 'string') managed.push({ arn: p, path });
      else if (isObject(p) && p.Statement !== undefined) {
        asArray(Array.isArray(p.Statement) ? p.Statement : [p.Statement]).forEach((s, j) => {
          if (isObject(s)) statements.push({ s, path: [...path, 'Statement', j] });
        });
      }
    });
  } else if (r.type === 'execution-role') {
    asArray(r.attrs.Statement).forEach((s, i) => {
      if (isObject(s)) statements.push({ s, path: ['Statement', i] });
    });
    asArray(r.attrs.ManagedPolicyArns).forEach((arn, i) => {
      if (typeof arn === 'string') managed.push({ arn, path: ['ManagedPolicyArns', i] });
    });
  }
  return { statements, managed };
}

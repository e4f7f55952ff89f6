// Recognises single-function configs: Azure `function.json`, and the live configuration the cloud
// CLIs print (`aws lambda get-function-configuration` / `get-function-url-config`,
// `gcloud functions describe` / `get-iam-policy`, `az functionapp config show`).

import { asArray, isObject, type JsonObject } from '../../kubernetes-resource.js';
import type { DocPath } from '../../types.js';
import type { IacResource } from '../iac-resource.js';
import type { PositionedDocument } from '../yaml-positions.js';
import { normalizedFunction } from './normalized-function.js';

const PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);

/** The function resources this document describes, or undefined when it is none of these shapes. */
export function functionConfigResources(file: string, doc: PositionedDocument): IacResource[] | undefined {
  const d = doc.data;
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (base === 'host.json' && isObject(d) && 'version' in d) return [];
  if (!isObject(d)) return undefined;
  if (
    base === 'function.json' ||
    (Array.isArray(d.bindings) &&
      asArray(d.bindings).some((b) => isObject(b) && typeof b.type === 'string' && b.type.endsWith('Trigger')))
  ) {
    return [azureFunctionJson(file, d, doc)];
  }
  if (typeof d.FunctionName === 'string' && ('Runtime' in d || 'Handler' in d || 'PackageType' in d)) {
    return [lambdaConfiguration(file, d, doc)];
  }
  if (typeof d.FunctionUrl === 'string' && typeof d.AuthType === 'string') {
    const name = String(d.FunctionArn ?? d.FunctionUrl);
    return [
      normalizedFunction(
        'function-config',
        file,
        name,
        { platform: 'aws-lambda', urlAuth: d.AuthType },
        { urlAuth: ['AuthType'] },
        doc,
      ),
    ];
  }
  if (typeof d.name === 'string' && d.name.includes('/functions/') && ('runtime' in d || isObject(d.buildConfig))) {
    return [gcloudFunction(file, d, doc)];
  }
  if (Array.isArray(d.bindings) && typeof d.etag === 'string') return [gcloudIamPolicy(file, d, doc)];
  if (typeof d.linuxFxVersion === 'string' || (typeof d.netFrameworkVersion === 'string' && 'ftpsState' in d)) {
    return [azureFunctionAppConfig(file, d, doc)];
  }
  return undefined;
}

function azureFunctionJson(file: string, d: JsonObject, doc: PositionedDocument): IacResource {
  const triggers: string[] = [];
  const paths: DocPath[] = [];
  asArray(d.bindings).forEach((b, i) => {
    if (isObject(b) && b.type === 'httpTrigger' && String(b.authLevel ?? 'function').toLowerCase() === 'anonymous') {
      triggers.push(`httpTrigger binding "${String(b.name ?? i)}" has authLevel: anonymous`);
      paths.push(['bindings', i, 'authLevel']);
    }
  });
  const name = file.split('/').slice(-2, -1)[0] ?? 'function';
  return normalizedFunction(
    'azure-functions',
    file,
    name,
    { platform: 'azure-functions', publicTriggers: triggers },
    { publicTriggers: paths },
    doc,
  );
}

function lambdaConfiguration(file: string, d: JsonObject, doc: PositionedDocument): IacResource {
  const env = isObject(d.Environment) && isObject(d.Environment.Variables) ? d.Environment.Variables : {};
  return normalizedFunction(
    'function-config',
    file,
    String(d.FunctionName),
    { platform: 'aws-lambda', runtime: typeof d.Runtime === 'string' ? d.Runtime : undefined, environment: env },
    { runtime: ['Runtime'], environment: ['Environment', 'Variables'] },
    doc,
  );
}

function gcloudFunction(file: string, d: JsonObject, doc: PositionedDocument): IacResource {
  // Gen 1 keeps runtime and variables at the top; gen 2 splits them into buildConfig/serviceConfig.
  const build = isObject(d.buildConfig) ? d.buildConfig : undefined;
  const service = isObject(d.serviceConfig) ? d.serviceConfig : undefined;
  const runtime =
    typeof d.runtime === 'string' ? d.runtime : typeof build?.runtime === 'string' ? build.runtime : undefined;
  const envPath: DocPath = isObject(d.environmentVariables)
    ? ['environmentVariables']
    : ['serviceConfig', 'environmentVariables'];
  const env = isObject(d.environmentVariables)
    ? d.environmentVariables
    : isObject(service?.environmentVariables)
      ? service.environmentVariables
      : {};
  const name = String(d.name).slice(String(d.name).lastIndexOf('/') + 1);
  return normalizedFunction(
    'function-config',
    file,
    name,
    { platform: 'gcp-functions', runtime, environment: env },
    { runtime: 'runtime' in d ? ['runtime'] : ['buildConfig', 'runtime'], environment: envPath },
    doc,
  );
}

function gcloudIamPolicy(file: string, d: JsonObject, doc: PositionedDocument): IacResource {
  const triggers: string[] = [];
  const paths: DocPath[] = [];
  asArray(d.bindings).forEach((b, i) => {
    if (!isObject(b) || !/invoker$/i.test(String(b.role ?? ''))) return;
    asArray(b.members).forEach((m, j) => {
      if (typeof m === 'string' && PUBLIC_MEMBERS.has(m)) {
        triggers.push(`${String(b.role)} is granted to ${m}`);
        paths.push(['bindings', i, 'members', j]);
      }
    });
  });
  return normalizedFunction(
    'function-config',
    file,
    'iam policy',
    { platform: 'gcp-functions', publicTriggers: triggers },
    { publicTriggers: paths },
    doc,
  );
}

/** `az functionapp config show`: the stack is in linuxFxVersion ("PYTHON|3.9"), spelt "python|3.9" here. */
function azureFunctionAppConfig(file: string, d: JsonObject, doc: PositionedDocument): IacResource {
  const fx =
    typeof d.linuxFxVersion === 'string' && d.linuxFxVersion.includes('|') ? d.linuxFxVersion.toLowerCase() : undefined;
  const runtime =
    fx ?? (typeof d.netFrameworkVersion === 'string' ? `dotnet|${d.netFrameworkVersion.replace(/^v/, '')}` : undefined);
  return normalizedFunction(
    'function-config',
    file,
    String(d.name ?? 'functionapp'),
    { platform: 'azure-functions', runtime },
    { runtime: fx ? ['linuxFxVersion'] : ['netFrameworkVersion'] },
    doc,
  );
}

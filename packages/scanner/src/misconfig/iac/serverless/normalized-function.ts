// A serverless function read from any config (serverless.yml, function.json, a CLI's JSON): the
// few facts the function rules need, each remembering where in its source document it was written.

import type { JsonObject } from '../../kubernetes-resource.js';
import type { DocPath } from '../../types.js';
import type { IacResource, IacSource } from '../iac-resource.js';
import type { PositionedDocument } from '../yaml-positions.js';

export type FunctionPlatform = 'aws-lambda' | 'azure-functions' | 'gcp-functions';

/** The attrs of a resource of type "function". */
export interface FunctionFacts {
  platform: FunctionPlatform;
  /** As the platform spells it: "nodejs16.x", "python37", "node|18". */
  runtime?: string;
  environment?: Record<string, unknown>;
  /** AWS function URL auth type ("NONE" | "AWS_IAM"). */
  urlAuth?: string;
  /** What makes the function callable by anyone, one line each ("http event GET /x without authorizer"). */
  publicTriggers?: string[];
}

/** Where each fact sits in the source document; environment entries may each live elsewhere. */
export interface FactPaths {
  runtime?: DocPath;
  environment?: DocPath | ((name: string) => DocPath);
  urlAuth?: DocPath;
  publicTriggers?: DocPath[];
}

export function normalizedFunction(
  source: IacSource,
  file: string,
  name: string,
  facts: FunctionFacts,
  paths: FactPaths,
  doc: PositionedDocument,
): IacResource {
  const lineOf = (p: DocPath): number => {
    const [key, sub] = p;
    if (key === 'runtime' && paths.runtime) return doc.lineOf(paths.runtime);
    if (key === 'urlAuth' && paths.urlAuth) return doc.lineOf(paths.urlAuth);
    if (key === 'environment' && paths.environment) {
      const env = paths.environment;
      if (typeof env === 'function') return doc.lineOf(typeof sub === 'string' ? env(sub) : []);
      return doc.lineOf(typeof sub === 'string' ? [...env, sub] : env);
    }
    if (key === 'publicTriggers' && typeof sub === 'number' && paths.publicTriggers?.[sub]) {
      return doc.lineOf(paths.publicTriggers[sub]!);
    }
    return doc.lineOf([]);
  };
  return { source, type: 'function', name: `function ${name}`, attrs: facts as unknown as JsonObject, file, lineOf };
}

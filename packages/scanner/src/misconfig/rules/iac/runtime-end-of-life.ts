// The dated end-of-life table for serverless runtimes: when each platform stopped (or will stop)
// patching a runtime, with the page that says so. Update it when a provider publishes new dates.

import type { FunctionPlatform } from '../../iac/serverless/normalized-function.js';

export interface RuntimeEndOfLife {
  platform: FunctionPlatform;
  /** The identifier as the platform spells it (AWS "nodejs16.x", GCP "python37", Azure "node|14"). */
  runtime: string;
  /** YYYY-MM-DD: the day the provider deprecates it (no more security patches). */
  deprecated: string;
  source: string;
}

const AWS = 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html';
const GCP = 'https://cloud.google.com/functions/docs/runtime-support';
const AZURE = 'https://learn.microsoft.com/azure/azure-functions/supported-languages';

export const RUNTIME_END_OF_LIFE: readonly RuntimeEndOfLife[] = [
  // AWS Lambda
  { platform: 'aws-lambda', runtime: 'nodejs', deprecated: '2016-10-31', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs4.3', deprecated: '2020-03-05', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs6.10', deprecated: '2019-08-12', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs8.10', deprecated: '2020-03-06', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs10.x', deprecated: '2021-07-30', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs12.x', deprecated: '2023-03-31', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs14.x', deprecated: '2023-12-04', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs16.x', deprecated: '2024-06-12', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs18.x', deprecated: '2025-09-01', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs20.x', deprecated: '2026-04-30', source: AWS },
  { platform: 'aws-lambda', runtime: 'nodejs22.x', deprecated: '2027-04-30', source: AWS },
  { platform: 'aws-lambda', runtime: 'python2.7', deprecated: '2021-07-15', source: AWS },
  { platform: 'aws-lambda', runtime: 'python3.6', deprecated: '2022-07-18', source: AWS },
  { platform: 'aws-lambda', runtime: 'python3.7', deprecated: '2023-12-04', source: AWS },
  { platform: 'aws-lambda', runtime: 'python3.8', deprecated: '2024-10-14', source: AWS },
  { platform: 'aws-lambda', runtime: 'python3.9', deprecated: '2025-12-15', source: AWS },
  { platform: 'aws-lambda', runtime: 'ruby2.5', deprecated: '2021-07-30', source: AWS },
  { platform: 'aws-lambda', runtime: 'ruby2.7', deprecated: '2023-12-07', source: AWS },
  { platform: 'aws-lambda', runtime: 'ruby3.2', deprecated: '2026-03-31', source: AWS },
  { platform: 'aws-lambda', runtime: 'java8', deprecated: '2024-01-08', source: AWS },
  { platform: 'aws-lambda', runtime: 'go1.x', deprecated: '2024-01-08', source: AWS },
  { platform: 'aws-lambda', runtime: 'provided', deprecated: '2024-01-08', source: AWS },
  { platform: 'aws-lambda', runtime: 'dotnetcore1.0', deprecated: '2019-07-30', source: AWS },
  { platform: 'aws-lambda', runtime: 'dotnetcore2.0', deprecated: '2019-05-30', source: AWS },
  { platform: 'aws-lambda', runtime: 'dotnetcore2.1', deprecated: '2022-01-05', source: AWS },
  { platform: 'aws-lambda', runtime: 'dotnetcore3.1', deprecated: '2023-04-03', source: AWS },
  { platform: 'aws-lambda', runtime: 'dotnet5.0', deprecated: '2022-05-10', source: AWS },
  { platform: 'aws-lambda', runtime: 'dotnet6', deprecated: '2024-12-20', source: AWS },
  { platform: 'aws-lambda', runtime: 'dotnet7', deprecated: '2024-05-14', source: AWS },
  { platform: 'aws-lambda', runtime: 'dotnet8', deprecated: '2026-11-10', source: AWS },
  // Google Cloud Functions
  { platform: 'gcp-functions', runtime: 'nodejs6', deprecated: '2020-08-01', source: GCP },
  { platform: 'gcp-functions', runtime: 'nodejs8', deprecated: '2021-06-05', source: GCP },
  { platform: 'gcp-functions', runtime: 'nodejs10', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'nodejs12', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'nodejs14', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'nodejs16', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'nodejs18', deprecated: '2025-04-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'python37', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'python38', deprecated: '2024-10-14', source: GCP },
  { platform: 'gcp-functions', runtime: 'python39', deprecated: '2025-10-05', source: GCP },
  { platform: 'gcp-functions', runtime: 'go111', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'go113', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'go116', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'ruby26', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'ruby27', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'dotnet3', deprecated: '2024-01-30', source: GCP },
  { platform: 'gcp-functions', runtime: 'php74', deprecated: '2024-01-30', source: GCP },
  // Azure Functions (language stack versions, spelt stack|version)
  { platform: 'azure-functions', runtime: 'node|8', deprecated: '2019-12-31', source: AZURE },
  { platform: 'azure-functions', runtime: 'node|10', deprecated: '2021-04-30', source: AZURE },
  { platform: 'azure-functions', runtime: 'node|12', deprecated: '2022-12-13', source: AZURE },
  { platform: 'azure-functions', runtime: 'node|14', deprecated: '2023-04-30', source: AZURE },
  { platform: 'azure-functions', runtime: 'node|16', deprecated: '2024-06-30', source: AZURE },
  { platform: 'azure-functions', runtime: 'python|3.6', deprecated: '2022-09-30', source: AZURE },
  { platform: 'azure-functions', runtime: 'python|3.7', deprecated: '2023-06-27', source: AZURE },
  { platform: 'azure-functions', runtime: 'python|3.8', deprecated: '2024-10-31', source: AZURE },
  { platform: 'azure-functions', runtime: 'dotnet|2.2', deprecated: '2019-12-23', source: AZURE },
  { platform: 'azure-functions', runtime: 'dotnet|3.1', deprecated: '2022-12-13', source: AZURE },
  { platform: 'azure-functions', runtime: 'dotnet|5.0', deprecated: '2022-05-10', source: AZURE },
  { platform: 'azure-functions', runtime: 'dotnet|6.0', deprecated: '2024-11-12', source: AZURE },
  { platform: 'azure-functions', runtime: 'dotnet|7.0', deprecated: '2024-05-14', source: AZURE },
  { platform: 'azure-functions', runtime: 'powershell|7.0', deprecated: '2022-12-03', source: AZURE },
  { platform: 'azure-functions', runtime: 'powershell|7.2', deprecated: '2024-11-08', source: AZURE },
];

const BY_KEY = new Map(RUNTIME_END_OF_LIFE.map((e) => [`${e.platform} ${e.runtime}`, e]));

/** Azure spells versions "3.1", "v3.1", "14", "14-lts", "~14": reduce them to the table's form. */
function normaliseRuntime(platform: FunctionPlatform, runtime: string): string {
  const r = runtime.trim().toLowerCase();
  if (platform !== 'azure-functions') return r;
  const m = /^([a-z]+)\|~?v?(\d+(?:\.\d+)?)/.exec(r);
  if (!m) return r;
  const stack = m[1] === 'dotnet-isolated' || m[1] === 'dotnetcore' ? 'dotnet' : m[1]!;
  let version = m[2]!;
  if (stack === 'dotnet' && !version.includes('.')) version = `${version}.0`;
  if (stack === 'node') version = version.split('.')[0]!;
  return `${stack}|${version}`;
}

export function runtimeEndOfLife(platform: FunctionPlatform, runtime: string): RuntimeEndOfLife | undefined {
  return BY_KEY.get(`${platform} ${normaliseRuntime(platform, runtime)}`);
}

import { InputError } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { azureConfigFromPackage, parseFunctionConfig } from './function-config.js';

describe('parseFunctionConfig', () => {
  it('AWS get-function-configuration and get-function outputs', () => {
    const conf = {
      FunctionName: 'f',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Environment: { Variables: { A: '1' } },
    };
    expect(parseFunctionConfig(conf, 'c.json')).toMatchObject({
      provider: 'aws',
      name: 'f',
      runtime: 'nodejs20.x',
      handler: 'index.handler',
      environment: { A: '1' },
    });
    expect(parseFunctionConfig({ Configuration: conf, Code: {} }, 'c.json')).toMatchObject({
      provider: 'aws',
      name: 'f',
    });
  });

  it('GCP gen1 and gen2 describe outputs', () => {
    expect(
      parseFunctionConfig(
        {
          name: 'projects/p/locations/l/functions/hello',
          runtime: 'python311',
          entryPoint: 'main',
          environmentVariables: { K: 'v' },
        },
        'g.json',
      ),
    ).toMatchObject({ provider: 'gcp', name: 'hello', runtime: 'python311', handler: 'main', environment: { K: 'v' } });
    expect(
      parseFunctionConfig(
        {
          name: 'projects/p/locations/l/functions/two',
          buildConfig: { runtime: 'go122', entryPoint: 'Handle' },
          serviceConfig: { environmentVariables: { X: 'y' } },
        },
        'g.json',
      ),
    ).toMatchObject({ provider: 'gcp', name: 'two', runtime: 'go122', handler: 'Handle', environment: { X: 'y' } });
  });

  it('Azure config show and appsettings list', () => {
    expect(parseFunctionConfig({ name: 'app', linuxFxVersion: 'PYTHON|3.11' }, 'a.json')).toMatchObject({
      provider: 'azure',
      name: 'app',
      runtime: 'python3.11',
    });
    expect(
      parseFunctionConfig(
        [
          { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node', slotSetting: false },
          { name: 'API_KEY', value: 's3cret', slotSetting: false },
        ],
        'a.json',
      ),
    ).toMatchObject({ provider: 'azure', runtime: 'node', environment: { API_KEY: 's3cret' } });
  });

  it('anything else is an InputError naming the file', () => {
    for (const doc of [null, 3, 'x', [], { foo: 1 }, [1, 2]]) {
      expect(() => parseFunctionConfig(doc, 'weird.json')).toThrow(InputError);
    }
    expect(() => parseFunctionConfig({}, 'weird.json')).toThrow(/^weird\.json: /);
  });

  it('Azure package layout without host.json is not Azure', () => {
    expect(azureConfigFromPackage(undefined, new Map([['f', {}]]), 'p.zip')).toBeUndefined();
    expect(azureConfigFromPackage({}, new Map(), 'p.zip')).toMatchObject({ provider: 'azure' });
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '@palisade/core';
import { Command, Option } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { applyConfigFile, loadConfigFile } from './config.js';

function scanLike(): Command {
  const root = new Command('palisade');
  const scan = root.command('scan');
  const image = scan
    .command('image')
    .argument('<target>')
    .addOption(new Option('-s, --severity <list>').default('UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL').env('PALISADE_SEVERITY'))
    .addOption(new Option('--exit-code <n>').argParser(Number).default(1).env('PALISADE_EXIT_CODE'))
    .addOption(new Option('--cache-dir <dir>').default('/default/cache').env('PALISADE_CACHE_DIR'))
    .action(() => {});
  return Object.assign(root, { image });
}

function parse(argv: string[], config: Record<string, unknown>): Record<string, unknown> {
  const root = scanLike() as Command & { image: Command };
  root.parse(['node', 'palisade', 'scan', 'image', 'x.tar', ...argv]);
  applyConfigFile(root.image, config);
  return root.image.opts();
}

describe('configuration precedence: flags > PALISADE_* env > palisade.yaml > defaults', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('uses defaults when nothing else is set', () => {
    expect(parse([], {})).toMatchObject({
      severity: 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
      exitCode: 1,
      cacheDir: '/default/cache',
    });
  });

  it('the config file beats defaults, with kebab-case keys, command sections and lists', () => {
    const opts = parse([], {
      'cache-dir': '/from/yaml',
      scan: { severity: ['HIGH', 'CRITICAL'] },
      image: { 'exit-code': '3' },
    });
    expect(opts).toMatchObject({ cacheDir: '/from/yaml', severity: 'HIGH,CRITICAL', exitCode: 3 });
  });

  it('the environment beats the config file', () => {
    process.env.PALISADE_SEVERITY = 'LOW';
    expect(parse([], { severity: 'HIGH' }).severity).toBe('LOW');
  });

  it('flags beat the environment and the config file', () => {
    process.env.PALISADE_SEVERITY = 'LOW';
    expect(parse(['--severity', 'CRITICAL'], { severity: 'HIGH' }).severity).toBe('CRITICAL');
  });

  it('ignores keys that are not options of the command', () => {
    expect(parse([], { unknown: 1, server: { port: 9 } })).not.toHaveProperty('unknown');
  });
});

describe('loadConfigFile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-config-'));

  it('returns {} when the default file is absent and fails when an explicit one is', () => {
    expect(loadConfigFile(undefined, dir)).toEqual({});
    expect(() => loadConfigFile(path.join(dir, 'nope.yaml'))).toThrow(UsageError);
  });

  it('reads palisade.yaml from the working directory', () => {
    writeFileSync(path.join(dir, 'palisade.yaml'), 'severity: HIGH\nscan:\n  ignore-unfixed: true\n');
    expect(loadConfigFile(undefined, dir)).toEqual({ severity: 'HIGH', scan: { 'ignore-unfixed': true } });
  });

  it('rejects invalid YAML and non-mappings with the file name', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'severity: [HIGH\n');
    expect(() => loadConfigFile(bad)).toThrow(/invalid config file .*bad\.yaml/);
    writeFileSync(bad, '- a\n- b\n');
    expect(() => loadConfigFile(bad)).toThrow(/expected a mapping/);
  });

  it('limits YAML alias expansion (no billion laughs)', () => {
    const bomb = path.join(dir, 'bomb.yaml');
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 12; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(',')}]`,
      );
    writeFileSync(bomb, `${lines.join('\n')}\n`);
    expect(() => loadConfigFile(bomb)).toThrow(/invalid config file/);
  });
});

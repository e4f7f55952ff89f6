// `palisade rules check FILE…`: loads Falco-format rules files the way the agent will and says,
// rule by rule, which load and which fields or operators are missing.

import { readFile } from 'node:fs/promises';
import { NotFoundError } from '@palisade/core';
import { checkRules, renderRulesCheck } from '@palisade/runtime';
import { Command, Option } from 'commander';
import { EXIT_ERROR, EXIT_FINDINGS } from '../exit.js';

export function rulesCommand(): Command {
  const rules = new Command('rules').description('work with Falco-compatible runtime rules files');
  rules
    .command('check')
    .description('load rules files (later files extend earlier ones, as in Falco) and report what loads')
    .argument('<files...>', 'Falco rules YAML files, in load order')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (files: string[], flags: { format: 'table' | 'json' }) => {
      const inputs = await Promise.all(
        files.map(async (file) => {
          try {
            return { path: file, text: await readFile(file, 'utf8') };
          } catch {
            throw new NotFoundError(`cannot read rules file ${file}`);
          }
        }),
      );
      const report = checkRules(inputs);
      process.stdout.write(flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderRulesCheck(report));
      // 2: a file could not be loaded at all; 1: some rules do not load; 0: every rule loads.
      const fatal = report.errors.some((e) => e.fatal);
      process.exitCode = fatal
        ? EXIT_ERROR
        : report.summary.failed + report.summary.unsupported > 0
          ? EXIT_FINDINGS
          : 0;
    });
  return rules;
}

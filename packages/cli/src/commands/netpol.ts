// `palisade netpol …`: Calico-compatible network policy offline: validate files, and explain the
// decision for one flow (`test --from A --to B:443/tcp`) with the tier/policy/rule trace.

import { readFile } from 'node:fs/promises';
import { NotFoundError } from '@palisade/core';
import { evaluate, loadPolicyModel, type PolicyInput, parseFlowSpec, renderDecision } from '@palisade/network';
import { Command, Option } from 'commander';
import { EXIT_FINDINGS } from '../exit.js';

async function readInputs(files: string[]): Promise<PolicyInput[]> {
  return Promise.all(
    files.map(async (file) => {
      try {
        return { path: file, text: await readFile(file, 'utf8') };
      } catch {
        throw new NotFoundError(`cannot read policy file ${file}`);
      }
    }),
  );
}

export function netpolCommand(): Command {
  const netpol = new Command('netpol').description('Calico-compatible network policy: validate and test');
  netpol
    .command('validate')
    .description('load policy YAML files and report the first error with its position')
    .argument('<files...>', 'policy YAML files (Calico v3, palisade.dev/v1, Kubernetes NetworkPolicy)')
    .action(async (files: string[]) => {
      const model = loadPolicyModel(await readInputs(files));
      process.stdout.write(
        `ok: ${model.policies.length} policies, ${model.tiers.length} tiers, ${model.networkSets.length} network sets, ${model.endpoints.length} endpoints\n`,
      );
    });
  netpol
    .command('test')
    .description('evaluate one flow against the policies and print the decision with its trace')
    .requiredOption('-f, --file <files...>', 'policy and endpoint YAML files')
    .requiredOption('--from <endpoint>', 'source: endpoint name, namespace/name or IP')
    .requiredOption('--to <endpoint>', 'destination: ENDPOINT[:PORT][/PROTO], e.g. shop/api:8080/tcp')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: { file: string[]; from: string; to: string; format: 'text' | 'json' }) => {
      const model = loadPolicyModel(await readInputs(flags.file));
      const flow = parseFlowSpec(model, flags.from, flags.to);
      const decision = evaluate(flow, model);
      process.stdout.write(
        flags.format === 'json'
          ? `${JSON.stringify({ flow, ...decision }, null, 2)}\n`
          : renderDecision(flow, decision),
      );
      // 1 when the flow is denied, so scripts can assert reachability.
      process.exitCode = decision.verdict === 'deny' ? EXIT_FINDINGS : 0;
    });
  return netpol;
}

// `palisade netpol …`: Calico-compatible network policy offline: validate files, and explain the
// decision for one flow (`test --from A --to B:443/tcp`), print the nftables table, export YAML.

import { readFile } from 'node:fs/promises';
import { NotFoundError, UsageError } from '@palisade/core';
import {
  compileRuleset,
  evaluate,
  exportCalicoYaml,
  exportKubernetesNetworkPolicies,
  loadPolicyModel,
  type PolicyInput,
  parseFlowSpec,
  renderDecision,
  renderTable,
} from '@palisade/network';
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
  netpol
    .command('compile')
    .description('print the nftables table the policies compile to (endpoints with interfaceName only)')
    .requiredOption('-f, --file <files...>', 'policy and endpoint YAML files')
    .option('--failsafe-ports <ports>', 'TCP ports to the host no policy can close', '22,9443')
    .action(async (flags: { file: string[]; failsafePorts: string }) => {
      const model = loadPolicyModel(await readInputs(flags.file));
      const ports = flags.failsafePorts.split(',').map((p) => Number(p.trim()));
      if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
        throw new UsageError(`--failsafe-ports must be a comma-separated list of ports, got "${flags.failsafePorts}"`);
      process.stdout.write(renderTable(compileRuleset(model, { failsafeTcpPorts: ports })));
    });
  netpol
    .command('export')
    .description('write the policies as Calico v3 or Kubernetes NetworkPolicy YAML (fidelity report on stderr)')
    .requiredOption('-f, --file <files...>', 'policy YAML files')
    .addOption(new Option('--to <format>', 'target').choices(['calico', 'kubernetes']).default('calico'))
    .action(async (flags: { file: string[]; to: 'calico' | 'kubernetes' }) => {
      const model = loadPolicyModel(await readInputs(flags.file));
      if (flags.to === 'calico') {
        process.stdout.write(exportCalicoYaml(model));
        return;
      }
      const out = exportKubernetesNetworkPolicies(model);
      process.stdout.write(out.yaml);
      for (const n of out.notes)
        process.stderr.write(`fidelity: ${n.policy}${n.path ? ` ${n.path}` : ''}: ${n.problem}\n`);
      // 1 when something could not be expressed, so CI can insist on a faithful export.
      if (out.notes.length > 0) process.exitCode = EXIT_FINDINGS;
    });
  return netpol;
}

// `palisade netpol …`: Calico-compatible network policy offline: validate files, and explain the
// decision for one flow (`test --from A --to B:443/tcp`), print the nftables table, export YAML,
// recommend policies from flow logs; and the long-running pieces: the DNS proxy and the flow-log collector.

import { readFile } from 'node:fs/promises';
import { NotFoundError, UsageError } from '@palisade/core';
import {
  compileRuleset,
  ENFORCEMENT_MODES,
  type EnforcementMode,
  evaluate,
  exportCalicoYaml,
  exportCiliumPolicies,
  exportKubernetesNetworkPolicies,
  type FlowLogRecord,
  loadPolicyModel,
  type PolicyInput,
  parseFlowLog,
  parseFlowSpec,
  recommendPolicies,
  renderDecision,
  renderTable,
  startDnsProxy,
  startFlowCollector,
} from '@palisade/network';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
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

/** `HOST:PORT` or `[V6]:PORT`; the default port when only a host is given. */
export function parseHostPort(text: string, defaultPort: number, option: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${option} must be HOST[:PORT] (IPv6 as [ADDR]:PORT), got "${text}"`);
  return { host: m[1]!, port };
}

/** Resolves on SIGINT/SIGTERM, so long-running subcommands can clean up before exiting. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const on = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

function positiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${option} must be a whole number, got "${text}"`);
  return n;
}

export function netpolCommand(): Command {
  const netpol = new Command('netpol').description(
    'Calico-compatible network policy: validate, test flows, compile to nftables, export, recommend, DNS proxy, flow logs',
  );
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
    .addOption(
      new Option(
        '--mode <mode>',
        'enforce: drop denied traffic; audit: NFLOG would-be denies ("A <rule id>") and accept',
      )
        .choices([...ENFORCEMENT_MODES])
        .default('enforce'),
    )
    .action(async (flags: { file: string[]; failsafePorts: string; mode: EnforcementMode }) => {
      const model = loadPolicyModel(await readInputs(flags.file));
      const ports = flags.failsafePorts.split(',').map((p) => Number(p.trim()));
      if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
        throw new UsageError(`--failsafe-ports must be a comma-separated list of ports, got "${flags.failsafePorts}"`);
      process.stdout.write(renderTable(compileRuleset(model, { failsafeTcpPorts: ports, mode: flags.mode })));
    });
  netpol
    .command('export')
    .description(
      'write the policies as Calico v3, Kubernetes NetworkPolicy or CiliumNetworkPolicy YAML (fidelity report on stderr)',
    )
    .requiredOption('-f, --file <files...>', 'policy YAML files')
    .addOption(
      new Option('--to <format>', 'target: calico, kubernetes (networking.k8s.io/v1) or cilium (cilium.io/v2)')
        .choices(['calico', 'kubernetes', 'cilium'])
        .default('calico'),
    )
    .action(async (flags: { file: string[]; to: 'calico' | 'kubernetes' | 'cilium' }) => {
      const model = loadPolicyModel(await readInputs(flags.file));
      if (flags.to === 'calico') {
        process.stdout.write(exportCalicoYaml(model));
        return;
      }
      const out = flags.to === 'cilium' ? exportCiliumPolicies(model) : exportKubernetesNetworkPolicies(model);
      process.stdout.write(out.yaml);
      for (const n of out.notes)
        process.stderr.write(`fidelity: ${n.policy}${n.path ? ` ${n.path}` : ''}: ${n.problem}\n`);
      // 1 when something could not be expressed, so CI can insist on a faithful export.
      if (out.notes.length > 0) process.exitCode = EXIT_FINDINGS;
    });
  netpol
    .command('recommend')
    .description('propose least-privilege staged policies from observed flow logs (report on stderr)')
    .requiredOption('--flows <files...>', 'flow logs: the JSON lines `palisade netpol flows` writes, or a JSON array')
    .option('-f, --file <files...>', 'existing policies, endpoints, network sets and namespaces to take into account')
    .option('--group-by <keys>', 'comma-separated label keys that name a workload group', 'app')
    .option('--tier <name>', 'tier of the recommended policies', 'default')
    .option('--order <n>', 'order of the recommended policies in their tier (default: none, last)')
    .option('--cidr-prefix <bits>', 'widen external IPv4 peers to this prefix length', '32')
    .option('--cidr-prefix6 <bits>', 'widen external IPv6 peers to this prefix length', '128')
    .option('--include-denied', 'also allow the flows that were denied when they were observed')
    .option('--enforced', 'write NetworkPolicy/GlobalNetworkPolicy instead of the staged kinds')
    .addOption(
      new Option('-o, --output <format>', 'yaml: the documents; json: {documents, report}')
        .choices(['yaml', 'json'])
        .default('yaml'),
    )
    .action(
      async (flags: {
        flows: string[];
        file?: string[];
        groupBy: string;
        tier: string;
        order?: string;
        cidrPrefix: string;
        cidrPrefix6: string;
        includeDenied?: boolean;
        enforced?: boolean;
        output: 'yaml' | 'json';
      }) => {
        const bits = (text: string, max: number, option: string) => {
          const n = positiveInt(text, option);
          if (n > max) throw new UsageError(`${option} must be at most ${max}, got "${text}"`);
          return n;
        };
        const options = {
          groupBy: flags.groupBy
            .split(',')
            .map((k) => k.trim())
            .filter((k) => k !== ''),
          tier: flags.tier,
          ...(flags.order !== undefined ? { order: positiveInt(flags.order, '--order') } : {}),
          cidrPrefix: {
            v4: bits(flags.cidrPrefix, 32, '--cidr-prefix'),
            v6: bits(flags.cidrPrefix6, 128, '--cidr-prefix6'),
          },
          ...(flags.includeDenied ? { includeDenied: true } : {}),
          ...(flags.enforced ? { enforced: true } : {}),
        };
        const model = loadPolicyModel(await readInputs(flags.file ?? []));
        const records: FlowLogRecord[] = [];
        for (const file of flags.flows) {
          const text = await readFile(file, 'utf8').catch(() => {
            throw new NotFoundError(`cannot read flow log ${file}`);
          });
          records.push(...parseFlowLog(text, file));
        }
        const rec = recommendPolicies(records, model, options);
        process.stdout.write(
          flags.output === 'json'
            ? `${JSON.stringify({ documents: rec.documents, report: rec.report }, null, 2)}\n`
            : rec.documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'),
        );
        const r = rec.report;
        process.stderr.write(
          `recommend: ${r.flowsRead} flow records, ${r.flowsUsed} used (${r.skippedDenied} denied, ${r.skippedExternal} between unknown addresses skipped); ${rec.documents.length} policies\n`,
        );
        for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
        for (const d of r.stillDenied)
          process.stderr.write(
            `still denied: ${d.source} -> ${d.destination}${d.destinationPort !== undefined ? `:${d.destinationPort}` : ''}/${d.protocol.toLowerCase()} by ${d.deniedBy}\n`,
          );
        // 1 when an observed flow would stay denied, so a review can't miss it.
        if (r.stillDenied.length > 0) process.exitCode = EXIT_FINDINGS;
      },
    );
  netpol
    .command('dns-proxy')
    .description("DNS policy: forward DNS and open the policies' domain sets for each allowed answer")
    .requiredOption('-f, --file <files...>', 'the policy files the applied table was compiled from')
    .requiredOption('--upstream <host:port>', 'the resolver to forward to')
    .option('--listen <host:port>', 'where to listen (UDP and TCP)', '127.0.0.1:53')
    .option('--min-ttl <seconds>', 'shorter TTLs are raised to this for the set timeout', '30')
    .option('--netns <name>', 'the network namespace whose table holds the sets')
    .option('--table <name>', 'the nftables table (inet family)', 'palisade')
    .action(
      async (flags: {
        file: string[];
        upstream: string;
        listen: string;
        minTtl: string;
        netns?: string;
        table: string;
      }) => {
        const model = loadPolicyModel(await readInputs(flags.file));
        const proxy = await startDnsProxy({
          listen: parseHostPort(flags.listen, 53, '--listen'),
          upstream: parseHostPort(flags.upstream, 53, '--upstream'),
          ruleset: compileRuleset(model, { table: flags.table }),
          table: flags.table,
          minTtlSeconds: positiveInt(flags.minTtl, '--min-ttl'),
          ...(flags.netns ? { netns: flags.netns } : {}),
        });
        process.stderr.write(`dns-proxy: listening on ${proxy.address.host}:${proxy.address.port}\n`);
        await untilSignal();
        await proxy.close();
      },
    );
  netpol
    .command('flows')
    .description('flow logs: print one JSON record per line for each aggregation window (conntrack + NFLOG)')
    .requiredOption('-f, --file <files...>', 'the policy and endpoint files the applied table was compiled from')
    .option('--netns <name>', 'the network namespace the table is loaded in')
    .option('--interval <seconds>', 'aggregation window', '15')
    .option('--log-group <n>', 'NFLOG group the table logs denies to', '1')
    .action(async (flags: { file: string[]; netns?: string; interval: string; logGroup: string }) => {
      const model = loadPolicyModel(await readInputs(flags.file));
      const logGroup = positiveInt(flags.logGroup, '--log-group');
      const collector = await startFlowCollector({
        model,
        ruleset: compileRuleset(model, { logGroup }),
        logGroup,
        intervalMs: Math.max(1, positiveInt(flags.interval, '--interval')) * 1000,
        ...(flags.netns ? { netns: flags.netns } : {}),
      });
      const printing = (async () => {
        for await (const r of collector.records()) process.stdout.write(`${JSON.stringify(r)}\n`);
      })();
      await untilSignal();
      for (const r of await collector.flush()) process.stdout.write(`${JSON.stringify(r)}\n`);
      await collector.close();
      await printing;
    });
  return netpol;
}

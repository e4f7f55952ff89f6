// `palisade agent`: runs the runtime agent (eBPF sensor → rules → outputs) and, with --netpol or
// server-assigned network policy, enforces it in nftables, until SIGINT/SIGTERM; then flushes its
// outputs and exits 0. SIGHUP reloads rules and policy files; SIGUSR1 reopens --output-file.

import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AGENT_SEMI_SPACE_MB,
  type AgentHandle,
  type AlertOutput,
  defaultEnrichStage,
  fileOutput,
  httpOutput,
  locateSensorBinary,
  type NetworkEnforcer,
  type NetworkEnforcerOptions,
  type PolicyDocument,
  parseMinPriority,
  ResponsePolicySet,
  ServerBehaviourProfiles,
  type ServerOutput,
  serverOutput,
  startAgent,
  startNetworkEnforcer,
  startPolicySync,
  stdoutOutput,
  watchYoungGeneration,
} from '@palisade/agent';
import { UsageError } from '@palisade/core';
import { DEFAULT_FAILSAFE_TCP_PORTS, ENGINES, type EngineName } from '@palisade/network';
import { BaselineDetector, type BehaviourProfile, loadProfiles, saveProfiles } from '@palisade/runtime';
// The client alone: the server package's index would load Fastify, the stores and their drivers.
import { PalisadeClient } from '@palisade/server/client';
import { Command, Option } from 'commander';
import { applyConfigFile, loadConfigFile } from '../config.js';
import { parseHostPort } from './netpol.js';

export interface AgentFlags {
  rules?: string[];
  rulesDir?: string;
  output?: 'json' | 'text';
  outputFile?: string;
  httpUrl?: string;
  httpFormat: 'falcosidekick' | 'ndjson';
  server?: string;
  token?: string;
  agentId?: string;
  queueDir: string;
  minPriority?: string;
  hostname?: string;
  watchRules?: boolean;
  ignoreComms?: string;
  ignorePrefixes?: string;
  inventoryInterval: number;
  sensorBin?: string;
  responsePolicy?: string;
  baselineProfiles?: string;
  baselineWindow: number;
  netpol?: string[];
  netpolNetns?: string;
  netpolTable: string;
  netpolRemoveOnExit?: boolean;
  netpolMode: 'enforce' | 'audit';
  netpolCutConnections?: boolean;
  netpolBridges?: boolean;
  failsafePorts: string;
  containerEngines?: string;
  dockerSocket?: string;
  containerdSocket?: string;
  hostLabels?: string;
  hostInterfaces?: string;
  dnsProxy?: string;
  dnsUpstream?: string;
  dnsMinTtl: number;
  flows?: string;
  flowsInterval: number;
  config?: string;
}

function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function rulesList(v: string | string[] | undefined): string[] {
  // From flags a list of files; from the environment or palisade.yaml one comma-separated string.
  if (v === undefined) return [];
  return Array.isArray(v) ? v.flatMap((x) => splitList(x)) : splitList(v);
}

export function defaultQueueDir(): string {
  return process.getuid?.() === 0
    ? '/var/lib/palisade/agent-queue'
    : path.join(os.homedir(), '.local/state/palisade/agent-queue');
}

/** Builds the outputs the flags ask for; stdout JSON when none is named. */
export function buildOutputs(
  flags: AgentFlags,
  log: (l: 'info' | 'warn' | 'error', m: string) => void,
): {
  outputs: AlertOutput[];
  server?: ServerOutput;
} {
  const outputs: AlertOutput[] = [];
  if (flags.output) outputs.push(stdoutOutput(flags.output));
  if (flags.outputFile) outputs.push(fileOutput(flags.outputFile));
  if (flags.httpUrl) {
    if (!/^https?:\/\//.test(flags.httpUrl))
      throw new UsageError(`--http-url must be an http(s) URL, got "${flags.httpUrl}"`);
    outputs.push(httpOutput({ url: flags.httpUrl, mode: flags.httpFormat, log }));
  }
  let server: ServerOutput | undefined;
  if (flags.server) {
    if (!/^https?:\/\//.test(flags.server))
      throw new UsageError(`--server must be an http(s) URL, got "${flags.server}"`);
    if (!flags.token) throw new UsageError('--server needs a token: set PALISADE_TOKEN (or pass --token)');
    server = serverOutput({
      url: flags.server,
      token: flags.token,
      queueDir: flags.queueDir,
      agentId: flags.agentId,
      log,
    });
    outputs.push(server);
  }
  if (outputs.length === 0) outputs.push(stdoutOutput('json'));
  return { outputs, server };
}

/** `k=v,k2=v2` → labels. */
export function parseLabels(text: string, option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of splitList(text)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`${option} takes KEY=VALUE pairs separated by commas, got "${item}"`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

/** The network enforcer's settings from the flags (without the callbacks the agent fills in). */
export function networkOptions(
  flags: AgentFlags,
  hostname: string,
): Omit<NetworkEnforcerOptions, 'onAlert' | 'log' | 'hostname'> {
  const ports = splitList(flags.failsafePorts).map(Number);
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
    throw new UsageError(`--failsafe-ports must be a comma-separated list of TCP ports, got "${flags.failsafePorts}"`);
  const engines = flags.containerEngines === undefined ? undefined : splitList(flags.containerEngines);
  for (const e of engines ?? [])
    if (e !== 'none' && !ENGINES.includes(e as EngineName))
      throw new UsageError(`--container-engines: unknown engine "${e}" (${ENGINES.join(', ')} or none)`);
  if (flags.dnsProxy && !flags.dnsUpstream) throw new UsageError('--dns-proxy needs --dns-upstream HOST[:PORT]');
  if (!Number.isFinite(flags.flowsInterval) || flags.flowsInterval <= 0)
    throw new UsageError('--flows-interval must be a positive number of seconds');
  if (!Number.isInteger(flags.dnsMinTtl) || flags.dnsMinTtl < 0)
    throw new UsageError('--dns-min-ttl must be a whole number of seconds');
  const hostInterfaces = flags.hostInterfaces ? splitList(flags.hostInterfaces) : undefined;
  const host =
    flags.hostLabels !== undefined || hostInterfaces
      ? {
          hostname,
          labels: parseLabels(flags.hostLabels ?? '', '--host-labels'),
          ...(hostInterfaces ? { interfaces: hostInterfaces } : {}),
        }
      : undefined;
  return {
    files: rulesList(flags.netpol),
    ...(flags.netpolNetns ? { netns: flags.netpolNetns } : {}),
    table: flags.netpolTable,
    mode: flags.netpolMode,
    cutForbidden: flags.netpolCutConnections === true,
    bridges: flags.netpolBridges === true,
    failsafeTcpPorts: ports,
    removeOnExit: flags.netpolRemoveOnExit === true,
    discovery: engines?.includes('none')
      ? host
        ? { engines: [], host }
        : false
      : {
          ...(engines ? { engines: engines as EngineName[] } : {}),
          ...(host ? { host } : {}),
          ...(flags.dockerSocket ? { dockerSocket: flags.dockerSocket } : {}),
          ...(flags.containerdSocket ? { containerdSocket: flags.containerdSocket } : {}),
        },
    ...(flags.dnsProxy
      ? {
          dnsProxy: {
            listen: parseHostPort(flags.dnsProxy, 53, '--dns-proxy'),
            upstream: parseHostPort(flags.dnsUpstream!, 53, '--dns-upstream'),
            minTtlSeconds: flags.dnsMinTtl,
          },
        }
      : {}),
    ...(flags.flows ? { flowsFile: flags.flows, flowIntervalMs: flags.flowsInterval * 1000 } : {}),
  };
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function runAgent(flags: AgentFlags): Promise<number> {
  if (flags.minPriority !== undefined && !parseMinPriority(flags.minPriority))
    throw new UsageError(`--min-priority: unknown priority "${flags.minPriority}"`);
  if (!Number.isFinite(flags.inventoryInterval) || flags.inventoryInterval < 0)
    throw new UsageError('--inventory-interval must be a number of seconds (0 = only at start)');
  const log = (level: 'info' | 'warn' | 'error', message: string): void => {
    process.stderr.write(`palisade agent: ${level}: ${message}\n`);
  };
  // With a server, the agent is registered (once per start when no id is given) so that its
  // alerts are tied to it and the server can assign it policies.
  const hostname = flags.hostname ?? os.hostname();
  const netOptions = networkOptions(flags, hostname);
  if (flags.server && flags.token && !flags.agentId) {
    flags.agentId = (
      await new PalisadeClient(flags.server, flags.token).registerAgent({
        name: hostname,
        hostname,
        workload: { kind: 'host', name: hostname },
      })
    ).id;
    log('info', `registered with ${flags.server} as agent ${flags.agentId}`);
  }
  const { outputs, server } = buildOutputs(flags, log);
  const fromServer = Boolean(flags.server && flags.token && flags.agentId);
  const baseline = flags.baselineProfiles
    ? await openBaseline(flags.baselineProfiles, flags.baselineWindow, log)
    : undefined;
  // Server-assigned profiles and response policies apply on top of the local files (see docs/agent.md).
  const profiles =
    baseline || fromServer
      ? new ServerBehaviourProfiles(baseline ? { detector: baseline.detector, base: baseline.base } : undefined, log)
      : undefined;
  const responses =
    flags.responsePolicy || fromServer
      ? new ResponsePolicySet({
          ...(flags.responsePolicy
            ? { base: { text: await readFile(flags.responsePolicy, 'utf8'), file: flags.responsePolicy } }
            : {}),
          log,
        })
      : undefined;
  const stopping = untilSignal();
  // Container metadata from podman, containerd and docker; it follows their event streams until the agent stops.
  const enrich = defaultEnrichStage({
    ...(flags.containerdSocket ? { containerdSocket: flags.containerdSocket } : {}),
    ...(flags.dockerSocket ? { dockerSocket: flags.dockerSocket } : {}),
    log,
  });
  let agent: AgentHandle;
  try {
    agent = startAgent({
      rules: rulesList(flags.rules),
      rulesDir: flags.rulesDir,
      outputs,
      inventorySink: server,
      inventorySources: {
        ...(flags.containerdSocket ? { containerdSocket: flags.containerdSocket } : {}),
        ...(flags.dockerSocket ? { dockerSocket: flags.dockerSocket } : {}),
      },
      inventoryIntervalMs: flags.inventoryInterval * 1000,
      hostname: flags.hostname,
      minPriority: flags.minPriority,
      ignoreComms: splitList(flags.ignoreComms),
      // The queue's own writes are the agent's business, not a detection.
      ignorePrefixes: [...splitList(flags.ignorePrefixes), ...(server ? [path.join(flags.queueDir, '/')] : [])],
      sensor: { binaryPath: locateSensorBinary(flags.sensorBin) },
      watchRules: flags.watchRules,
      // Container/process enrichment and responses come from @palisade/runtime when it provides them.
      enrich,
      respond: responses?.respond,
      detectors: profiles ? [profiles] : undefined,
      signals: true,
      log,
    });
  } catch (err) {
    enrich.close();
    await Promise.all(outputs.map((o) => o.close().catch(() => {})));
    throw err;
  }
  try {
    await Promise.race([agent.ready, stopping]);
  } catch (err) {
    await agent.stop();
    throw err;
  }
  log('info', `running: ${agent.stats().rules} rules, outputs ${outputs.map((o) => o.name).join(', ')}`);
  const running = agent;
  // Network policy: from the start with --netpol, or once the server assigns network documents.
  let network: NetworkEnforcer | undefined;
  const startNetwork = (): NetworkEnforcer => {
    network ??= startNetworkEnforcer({
      ...netOptions,
      hostname,
      onAlert: (id, alert) => running.raise(id, alert),
      log,
    });
    return network;
  };
  if (netOptions.files.length > 0) await Promise.race([startNetwork().ready, stopping]);
  const onHup = (): void => void network?.reload();
  process.on('SIGHUP', onHup);
  const policies = fromServer
    ? startPolicySync({
        url: flags.server!,
        token: flags.token!,
        agentId: flags.agentId!,
        onRules: (files) => running.setRemoteRules(files),
        onNetwork: (docs: PolicyDocument[]) => {
          if (docs.length > 0 || network) void startNetwork().setRemotePolicies(docs);
        },
        onResponsePolicies: (docs) => responses?.setRemote(docs),
        onBehaviourProfiles: (docs) => profiles?.setRemote(docs),
        log,
      })
    : undefined;
  const sig = await stopping;
  log('info', `${sig}: flushing and stopping`);
  process.off('SIGHUP', onHup);
  policies?.stop();
  // Fail-static: the table stays in force after the agent exits unless --netpol-remove-on-exit.
  await network?.stop();
  await agent.stop();
  await baseline?.close();
  const s = agent.stats();
  log(
    'info',
    `stopped: ${s.events} events, ${s.alerts} alerts, ${s.drops} dropped, ${s.queueDepth} queued for the server`,
  );
  return 0;
}

/**
 * Behaviour baselines: profiles load from a YAML file when it exists (hand edits take effect),
 * new workloads learn for the window, and the profiles are written back every minute and at stop.
 */
async function openBaseline(
  file: string,
  windowSeconds: number,
  log: (level: 'info' | 'warn' | 'error', message: string) => void,
): Promise<{ detector: BaselineDetector; base: BehaviourProfile[]; close(): Promise<void> }> {
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0)
    throw new UsageError('--baseline-window must be a positive number of seconds');
  const detector = new BaselineDetector({ learnWindowSeconds: windowSeconds });
  const base = existsSync(file) ? loadProfiles(await readFile(file, 'utf8'), file) : [];
  detector.loadProfiles(base);
  const save = async () => {
    const tmp = `${file}.tmp`;
    await writeFile(tmp, saveProfiles(detector.profilesSnapshot()));
    await rename(tmp, file);
  };
  const timer = setInterval(() => {
    save().catch((err) => log('warn', `cannot save baseline profiles to ${file}: ${(err as Error).message}`));
  }, 60_000);
  timer.unref();
  return {
    detector,
    base,
    async close() {
      clearInterval(timer);
      await save();
    },
  };
}

export function agentCommand(): Command {
  return new Command('agent')
    .description('run the runtime agent: eBPF sensor, Falco-compatible rules, alerts to stdout, file, HTTP or a server')
    .addOption(
      new Option('--rules <files...>', "Falco rules files in load order (default: Palisade's default ruleset)").env(
        'PALISADE_RULES',
      ),
    )
    .addOption(
      new Option('--rules-dir <dir>', 'also load every *.yaml in DIR, in name order').env('PALISADE_RULES_DIR'),
    )
    .addOption(
      new Option('--watch-rules', 'reload when a rules file changes (SIGHUP always reloads)').env(
        'PALISADE_WATCH_RULES',
      ),
    )
    .addOption(
      new Option('--output <format>', "alerts on stdout: one JSON alert per line, or Falco's text line")
        .choices(['json', 'text'])
        .env('PALISADE_AGENT_OUTPUT'),
    )
    .addOption(
      new Option('--output-file <file>', 'append alerts as NDJSON (reopened on SIGUSR1)').env('PALISADE_OUTPUT_FILE'),
    )
    .addOption(
      new Option('--http-url <url>', 'POST alerts to this URL (falcosidekick, webhooks)').env('PALISADE_HTTP_URL'),
    )
    .addOption(
      new Option('--http-format <format>', 'one alert per request, or NDJSON batches')
        .choices(['falcosidekick', 'ndjson'])
        .default('falcosidekick'),
    )
    .addOption(new Option('--server <url>', 'send alerts and inventory to this Palisade server').env('PALISADE_SERVER'))
    .addOption(
      new Option('--token <token>', 'agent token for --server (prefer PALISADE_TOKEN: flags show in ps)').env(
        'PALISADE_TOKEN',
      ),
    )
    .addOption(new Option('--agent-id <id>', 'the id the server registered this agent under').env('PALISADE_AGENT_ID'))
    .addOption(
      new Option('--queue-dir <dir>', 'disk queue for --server (kept across restarts)')
        .env('PALISADE_QUEUE_DIR')
        .default(defaultQueueDir()),
    )
    .addOption(
      new Option('--min-priority <priority>', 'drop rules below this priority (emergency … debug)').env(
        'PALISADE_MIN_PRIORITY',
      ),
    )
    .addOption(new Option('--hostname <name>', "hostname in alerts (default: this host's)").env('PALISADE_HOSTNAME'))
    .addOption(
      new Option('--ignore-comms <list>', 'command names the kernel filter drops (comma-separated)').env(
        'PALISADE_IGNORE_COMMS',
      ),
    )
    .addOption(
      new Option('--ignore-prefixes <list>', 'path prefixes whose file events the kernel drops (comma-separated)').env(
        'PALISADE_IGNORE_PREFIXES',
      ),
    )
    .addOption(
      new Option('--inventory-interval <seconds>', 'how often to send the inventory to --server (0 = at start only)')
        .argParser(Number)
        .default(600),
    )
    .addOption(
      new Option('--response-policy <file>', 'response policy YAML (kill, stop, pause; audit or enforce)').env(
        'PALISADE_RESPONSE_POLICY',
      ),
    )
    .addOption(
      new Option(
        '--baseline-profiles <file>',
        "learn each workload's behaviour (processes, files written, peers) into this YAML file, then alert on what falls outside it",
      ).env('PALISADE_BASELINE_PROFILES'),
    )
    .addOption(
      new Option('--baseline-window <seconds>', 'how long a new workload learns before its profile is enforced')
        .argParser(Number)
        .default(3600)
        .env('PALISADE_BASELINE_WINDOW'),
    )
    .addOption(
      new Option(
        '--netpol <files...>',
        'enforce these Calico/Kubernetes network policy files with nftables (server-assigned network policies also turn enforcement on)',
      ).env('PALISADE_NETPOL'),
    )
    .addOption(
      new Option('--netpol-netns <name>', 'enforce inside this named network namespace instead of the host’s').env(
        'PALISADE_NETPOL_NETNS',
      ),
    )
    .addOption(
      new Option('--netpol-mode <mode>', 'enforce, or audit: log what would be denied and let it through')
        .choices(['enforce', 'audit'])
        .default('enforce')
        .env('PALISADE_NETPOL_MODE'),
    )
    .addOption(
      new Option(
        '--netpol-cut-connections',
        'after each policy change, cut live connections the new policy denies (default: it governs new connections)',
      ),
    )
    .addOption(
      new Option('--netpol-table <name>', 'the nftables table (inet family) the agent owns').default('palisade'),
    )
    .addOption(
      new Option(
        '--netpol-bridges',
        'also enforce on containers attached to Linux bridges (podman’s default network): turns on br_netfilter, adds a bridge-family anti-spoofing table of the same name',
      ).env('PALISADE_NETPOL_BRIDGES'),
    )
    .addOption(
      new Option(
        '--netpol-remove-on-exit',
        'delete the table when the agent stops (default: the last policy stays in force, fail-static)',
      ),
    )
    .addOption(
      new Option('--failsafe-ports <ports>', 'TCP ports to the host that no policy can close').default(
        DEFAULT_FAILSAFE_TCP_PORTS.join(','),
      ),
    )
    .addOption(
      new Option(
        '--container-engines <list>',
        'where to discover workload endpoints: podman,docker,containerd or none (default: every engine present)',
      ).env('PALISADE_CONTAINER_ENGINES'),
    )
    .addOption(
      new Option(
        '--docker-socket <path>',
        "Docker's API socket, for container metadata in alerts, inventory and endpoints (default /var/run/docker.sock, when present)",
      ).env('PALISADE_DOCKER_SOCKET'),
    )
    .addOption(
      new Option(
        '--containerd-socket <path>',
        "containerd's socket, for container and Kubernetes pod metadata in alerts, inventory and endpoints (default /run/containerd/containerd.sock, when present)",
      ).env('PALISADE_CONTAINERD_SOCKET'),
    )
    .addOption(
      new Option(
        '--host-labels <labels>',
        "the host's own interfaces become HostEndpoints with these labels (KEY=VALUE,…)",
      ).env('PALISADE_HOST_LABELS'),
    )
    .addOption(
      new Option(
        '--host-interfaces <list>',
        'which interfaces are host endpoints (default: those with a global address that are not veths or bridges)',
      ).env('PALISADE_HOST_INTERFACES'),
    )
    .addOption(
      new Option('--dns-proxy <host:port>', 'run the DNS policy proxy here, for policies with domain names').env(
        'PALISADE_DNS_PROXY',
      ),
    )
    .addOption(
      new Option('--dns-upstream <host:port>', 'the resolver the DNS proxy forwards to').env('PALISADE_DNS_UPSTREAM'),
    )
    .addOption(
      new Option('--dns-min-ttl <seconds>', 'shorter answer TTLs are raised to this for the allowed-address sets')
        .argParser(Number)
        .default(30),
    )
    .addOption(
      new Option('--flows <file>', 'append flow logs (one JSON record per line) to FILE').env('PALISADE_FLOWS'),
    )
    .addOption(new Option('--flows-interval <seconds>', 'flow log aggregation window').argParser(Number).default(15))
    .addOption(new Option('--sensor-bin <path>', 'palisade-sensor binary').env('PALISADE_SENSOR_BIN'))
    .addOption(
      new Option('--config <file>', 'configuration file (default ./palisade.yaml when present)').env('PALISADE_CONFIG'),
    )
    .action(async (_opts: AgentFlags, cmd: Command) => {
      // main.ts has re-executed node with the semi-space flag when it was missing; say what it gave.
      const young = watchYoungGeneration();
      applyConfigFile(cmd, loadConfigFile(cmd.opts<AgentFlags>().config));
      try {
        process.exitCode = await runAgent(cmd.opts<AgentFlags>());
        process.stderr.write(
          `palisade agent: info: V8 young generation peaked at ${young.peakMb()} MiB (${young.flagGiven ? `${AGENT_SEMI_SPACE_MB} MiB semi-spaces` : 'V8 default semi-spaces'})\n`,
        );
      } finally {
        young.stop();
      }
    });
}

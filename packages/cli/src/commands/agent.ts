// `palisade agent`: runs the runtime agent (eBPF sensor → rules → outputs) until SIGINT/SIGTERM,
// then flushes its outputs and exits 0. SIGHUP reloads the rules; SIGUSR1 reopens --output-file.

import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type AgentHandle,
  type AlertOutput,
  defaultEnrichStage,
  fileOutput,
  httpOutput,
  locateSensorBinary,
  parseMinPriority,
  respondStageFromPolicy,
  type ServerOutput,
  serverOutput,
  startAgent,
  startPolicySync,
  stdoutOutput,
} from '@palisade/agent';
import { UsageError } from '@palisade/core';
import { BaselineDetector, loadProfiles, saveProfiles } from '@palisade/runtime';
import { PalisadeClient } from '@palisade/server';
import { Command, Option } from 'commander';
import { applyConfigFile, loadConfigFile } from '../config.js';

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
  if (flags.server && flags.token && !flags.agentId) {
    const hostname = flags.hostname ?? os.hostname();
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
  const baseline = flags.baselineProfiles
    ? await openBaseline(flags.baselineProfiles, flags.baselineWindow, log)
    : undefined;
  const stopping = untilSignal();
  let agent: AgentHandle;
  try {
    agent = startAgent({
      rules: rulesList(flags.rules),
      rulesDir: flags.rulesDir,
      outputs,
      inventorySink: server,
      inventoryIntervalMs: flags.inventoryInterval * 1000,
      hostname: flags.hostname,
      minPriority: flags.minPriority,
      ignoreComms: splitList(flags.ignoreComms),
      // The queue's own writes are the agent's business, not a detection.
      ignorePrefixes: [...splitList(flags.ignorePrefixes), ...(server ? [path.join(flags.queueDir, '/')] : [])],
      sensor: { binaryPath: locateSensorBinary(flags.sensorBin) },
      watchRules: flags.watchRules,
      // Container/process enrichment and responses come from @palisade/runtime when it provides them.
      enrich: defaultEnrichStage(),
      respond: flags.responsePolicy ? respondStageFromPolicy(flags.responsePolicy) : undefined,
      detectors: baseline ? [baseline.detector] : undefined,
      signals: true,
      log,
    });
  } catch (err) {
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
  const policies =
    flags.server && flags.token && flags.agentId
      ? startPolicySync({
          url: flags.server,
          token: flags.token,
          agentId: flags.agentId,
          onRules: (files) => running.setRemoteRules(files),
          log,
        })
      : undefined;
  const sig = await stopping;
  log('info', `${sig}: flushing and stopping`);
  policies?.stop();
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
): Promise<{ detector: BaselineDetector; close(): Promise<void> }> {
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0)
    throw new UsageError('--baseline-window must be a positive number of seconds');
  const detector = new BaselineDetector({ learnWindowSeconds: windowSeconds });
  if (existsSync(file)) detector.loadProfiles(loadProfiles(await readFile(file, 'utf8'), file));
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
    .addOption(new Option('--sensor-bin <path>', 'palisade-sensor binary').env('PALISADE_SENSOR_BIN'))
    .addOption(
      new Option('--config <file>', 'configuration file (default ./palisade.yaml when present)').env('PALISADE_CONFIG'),
    )
    .action(async (_opts: AgentFlags, cmd: Command) => {
      applyConfigFile(cmd, loadConfigFile(cmd.opts<AgentFlags>().config));
      process.exitCode = await runAgent(cmd.opts<AgentFlags>());
    });
}

// `palisade up`: one command for a newcomer — the server on the embedded store, a first scan of
// this host uploaded to it, and the URLs and token to look at the results.

import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type AgentHandle,
  type AgentLogger,
  defaultEnrichStage,
  locateSensorBinary,
  serverOutput,
  startAgent,
  startPolicySync,
} from '@palisade/agent';
import { errorMessage } from '@palisade/core';
import { type ScannerName, scanArtifact, vulnDbPath } from '@palisade/scanner';
import { PalisadeClient, startServer } from '@palisade/server';
import { Command, Option } from 'commander';
import { applyConfigFile, defaultCacheDir, loadConfigFile } from '../config.js';

interface UpFlags {
  dataDir: string;
  port: number;
  cacheDir: string;
  root: string;
  scan: boolean;
  agent: boolean;
  config?: string;
}

export function upCommand(): Command {
  return new Command('up')
    .description('start the server on the embedded store, scan this host into it, and print where to look')
    .addOption(
      new Option('--data-dir <dir>', 'where the embedded SQLite database and the local admin token live')
        .default(path.join(os.homedir(), '.palisade'))
        .env('PALISADE_DATA_DIR'),
    )
    .addOption(
      new Option('--port <port>', 'port to listen on (0 picks a free one)')
        .default(8470)
        .argParser((v) => Number.parseInt(v, 10))
        .env('PALISADE_PORT'),
    )
    .addOption(
      new Option('--cache-dir <dir>', 'cache directory holding the vulnerability database')
        .default(defaultCacheDir())
        .env('PALISADE_CACHE_DIR'),
    )
    .addOption(new Option('--root <dir>', 'root filesystem of the host to scan').default('/'))
    .addOption(new Option('--no-scan', 'start the server without scanning this host'))
    .addOption(new Option('--no-agent', 'do not start the local runtime agent (it needs root and a kernel with BTF)'))
    .addOption(
      new Option('--config <file>', 'configuration file (default ./palisade.yaml when present)').env('PALISADE_CONFIG'),
    )
    .action(async (_o, cmd: Command) => {
      applyConfigFile(cmd, loadConfigFile(cmd.opts<UpFlags>().config));
      const flags = cmd.opts<UpFlags>();
      await mkdir(flags.dataDir, { recursive: true, mode: 0o700 });
      const server = await startServer({
        dataDir: flags.dataDir,
        port: flags.port,
        logLevel: 'warn',
        printBootstrapToken: false,
      });
      const token = await localAdminToken(flags.dataDir, server.bootstrapToken);
      const say = (line: string) => process.stderr.write(`palisade: ${line}\n`);
      say(`server  ${server.url}  (API ${server.url}/api/v1, API docs ${server.url}/docs)`);
      say(
        token
          ? `token   stored in ${tokenFile(flags.dataDir)} (mode 0600): export PALISADE_SERVER=${server.url} PALISADE_TOKEN=$(cat ${tokenFile(flags.dataDir)})`
          : `token   this data dir was created by "palisade server": use the admin token it printed on its first start`,
      );
      if (flags.scan && token) {
        try {
          await scanHost(server.url, token, flags);
        } catch (err) {
          say(`host scan failed: ${errorMessage(err)}`);
        }
      }
      const agent = flags.agent && token ? await startLocalAgent(server.url, token, flags.dataDir, say) : undefined;
      say(
        `ready: "palisade findings list", "palisade workloads list"${agent ? ' and "palisade alerts list"' : ''} show the results; Ctrl-C stops`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await agent?.stop();
      await server.close();
    });
}

function tokenFile(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

/** The bootstrap token is shown once; `up` keeps it in a 0600 file so that later runs can reuse it. */
async function localAdminToken(dataDir: string, bootstrap: string | undefined): Promise<string | undefined> {
  const file = tokenFile(dataDir);
  if (bootstrap) {
    await writeFile(file, `${bootstrap}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return bootstrap;
  }
  return existsSync(file) ? (await readFile(file, 'utf8')).trim() : undefined;
}

/**
 * The runtime agent on this host, reporting to the local server with an agent-role token of its
 * own (kept beside the admin token). Skipped with a reason when the kernel or privileges lack.
 */
async function startLocalAgent(
  url: string,
  adminToken: string,
  dataDir: string,
  say: (line: string) => void,
): Promise<AgentHandle | undefined> {
  if (process.getuid?.() !== 0) {
    say('agent   not started: the eBPF sensor needs root (run "palisade up" as root, or --no-agent)');
    return undefined;
  }
  // Container metadata; it follows the engines' event streams until the agent stops or fails to start.
  const enrich = defaultEnrichStage();
  try {
    const client = new PalisadeClient(url, adminToken);
    const file = path.join(dataDir, 'agent-token');
    let agentToken = existsSync(file) ? (await readFile(file, 'utf8')).trim() : '';
    if (!agentToken) {
      agentToken = (await client.createToken({ name: `local agent ${os.hostname()}`, role: 'agent' })).token;
      await writeFile(file, `${agentToken}\n`, { mode: 0o600 });
    }
    const registered = await new PalisadeClient(url, agentToken).registerAgent({
      name: os.hostname(),
      hostname: os.hostname(),
      workload: { kind: 'host', name: os.hostname(), provider: 'on-prem' },
    });
    const log: AgentLogger = (level, message) => {
      if (level !== 'info') say(`agent ${level}: ${message}`);
    };
    const agent = startAgent({
      outputs: [
        serverOutput({
          url,
          token: agentToken,
          queueDir: path.join(dataDir, 'agent-queue'),
          agentId: registered.id,
          log,
        }),
      ],
      enrich,
      sensor: { binaryPath: locateSensorBinary() },
      // The trailing slash keeps a sibling like "${dataDir}-backup" watched.
      ignorePrefixes: [path.join(dataDir, '/')],
      log,
    });
    await agent.ready;
    // Rules assigned to this host by server policies (`palisade policies apply --kind rules …`).
    const policies = startPolicySync({
      url,
      token: agentToken,
      agentId: registered.id,
      onRules: (files) => agent.setRemoteRules(files),
      log,
    });
    say(`agent   running: ${agent.stats().rules} rules, alerts go to the server`);
    return {
      ...agent,
      async stop() {
        policies.stop();
        await agent.stop();
      },
    };
  } catch (err) {
    enrich.close();
    say(`agent   not started: ${errorMessage(err)}`);
    return undefined;
  }
}

async function scanHost(url: string, token: string, flags: UpFlags): Promise<void> {
  const hostname = os.hostname();
  // Vulnerabilities need the database; without one the scan still records the host's packages.
  const hasDb = existsSync(vulnDbPath(flags.cacheDir));
  const scanners: ScannerName[] = [...(hasDb ? (['vuln'] as const) : []), 'config'];
  // Exposure (listening sockets, published ports) is a property of the running host only.
  if (path.resolve(flags.root) === '/') scanners.push('exposure');
  process.stderr.write(
    `palisade: scanning this host (${flags.root}) for packages${hasDb ? ', vulnerabilities' : ''}, configuration and exposure…${hasDb ? '' : ' (no vulnerability database: run "palisade db update" to add vulnerabilities)'}\n`,
  );
  await mkdir(flags.cacheDir, { recursive: true });
  const report = await scanArtifact({ kind: 'rootfs', target: flags.root, cacheDir: flags.cacheDir, scanners });
  report.artifact.name = hostname;
  const result = await new PalisadeClient(url, token).uploadScan(report, {
    kind: 'host',
    name: hostname,
    provider: 'on-prem',
  });
  const packages = report.results.reduce((n, r) => n + r.packages.length, 0);
  process.stderr.write(`palisade: host scan uploaded: ${packages} packages, ${result.findings} findings\n`);
}

// Client commands for the common reads and writes against a Palisade server:
// `palisade workloads|findings|alerts|tokens|posture …`, each with --format table|json.

import { readFile } from 'node:fs/promises';
import { NotFoundError, UsageError } from '@palisade/core';
import { PalisadeClient } from '@palisade/server/client';
import { Command, Option } from 'commander';
import { applyConfigFile, loadConfigFile } from '../config.js';
import { loadCredentials } from './credentials.js';

export interface ClientFlags {
  server?: string;
  token?: string;
  format: 'table' | 'json';
  limit?: number;
  config?: string;
}

/** Adds --server/--token/--format/--config to a leaf command and returns it. */
export function clientOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--server <url>', 'Palisade server URL').env('PALISADE_SERVER'))
    .addOption(
      new Option('--token <token>', 'API token (prefer the PALISADE_TOKEN variable: flags show in ps)').env(
        'PALISADE_TOKEN',
      ),
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(
      new Option('--config <file>', 'configuration file (default ./palisade.yaml when present)').env('PALISADE_CONFIG'),
    );
}

export function connect(cmd: Command): { client: PalisadeClient; flags: ClientFlags } {
  applyConfigFile(cmd, loadConfigFile(cmd.opts<ClientFlags>().config));
  const flags = cmd.opts<ClientFlags>();
  // Without a token, a login saved by `palisade login --save` for the same (or no named) server.
  if (!flags.token) {
    const saved = loadCredentials();
    if (saved && (!flags.server || flags.server === saved.server)) {
      flags.server = saved.server;
      flags.token = saved.token;
    }
  }
  if (!flags.server) throw new UsageError('no server: pass --server URL or set PALISADE_SERVER');
  if (!flags.token) throw new UsageError('no token: set PALISADE_TOKEN (or pass --token, or palisade login --save)');
  return { client: new PalisadeClient(flags.server, flags.token), flags };
}

export const limitOption = () =>
  new Option('--limit <n>', 'how many items to show').argParser((v) => Number.parseInt(v, 10)).default(50);

export type Row = Record<string, unknown>;

/** Prints rows as an aligned table of the named columns, or the raw value as JSON. */
export function print(flags: ClientFlags, value: unknown, rows: Row[], columns: string[]): void {
  if (flags.format === 'json') {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (v: unknown) =>
    v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.slice(0, widths[i]).padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
  process.stdout.write(`${out.join('\n')}\n`);
}

export function clientCommands(): Command[] {
  const workloads = new Command('workloads')
    .description('workloads known to the server (hosts, VMs, containers, pods, functions)')
    .option('--top-risks', 'rank workloads by risk score (see docs/server.md); takes the flags shown below')
    // The ranking's own flags are read by a second parser, so `workloads list -f json` keeps its flags.
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText(
      'after',
      '\nRisk ranking:\n  palisade workloads --top-risks [--limit N] [--kind K] [--cluster C] [--namespace NS] [-f table|json]',
    )
    .action(async (o: { topRisks?: boolean }, cmd: Command) => {
      if (!o.topRisks) cmd.help({ error: true });
      await topRisksCommand().parseAsync(cmd.args, { from: 'user' });
    });
  clientOptions(
    workloads
      .command('list')
      .description('list workloads')
      .addOption(limitOption())
      .addOption(new Option('--kind <kind>', 'host, vm, container, pod or function'))
      .addOption(new Option('--q <text>', 'filter by name')),
  ).action(async (_o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{ kind?: string; q?: string }>();
    const page = await client.listWorkloads({ limit: flags.limit, kind: o.kind, q: o.q });
    print(flags, page, page.items as unknown as Row[], [
      'id',
      'kind',
      'name',
      'provider',
      'cluster',
      'namespace',
      'lastSeen',
    ]);
  });

  const findings = new Command('findings').description('findings from uploaded scans and agents');
  clientOptions(
    findings
      .command('list')
      .description('list findings, most recently seen first')
      .addOption(limitOption())
      .addOption(new Option('--status <status>', 'open, fixed or suppressed').choices(['open', 'fixed', 'suppressed']))
      .addOption(new Option('--severity <list>', 'e.g. HIGH,CRITICAL'))
      .addOption(new Option('--type <type>', 'vulnerability, misconfiguration, secret, runtime …'))
      .addOption(new Option('--workload <id>', 'only findings of this workload')),
  ).action(async (_o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{
      status?: 'open' | 'fixed' | 'suppressed';
      severity?: string;
      type?: string;
      workload?: string;
    }>();
    const page = await client.listFindings({
      limit: flags.limit,
      status: o.status,
      severity: o.severity,
      type: o.type,
      workloadId: o.workload,
    });
    print(flags, page, page.items as unknown as Row[], [
      'id',
      'severity',
      'ruleId',
      'status',
      'packageName',
      'installedVersion',
      'fixedVersion',
      'target',
    ]);
  });
  clientOptions(
    findings
      .command('suppress')
      .description('suppress a finding with a reason (and optionally an expiry)')
      .argument('<id>', 'finding id')
      .requiredOption('--reason <text>', 'why it is accepted')
      .option('--until <date>', 'expiry date, YYYY-MM-DD'),
  ).action(async (id: string, _o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{ reason: string; until?: string }>();
    const f = await client.suppressFinding(id, o.reason, o.until);
    print(flags, f, [f as unknown as Row], ['id', 'ruleId', 'status', 'suppression']);
  });
  clientOptions(findings.command('history').description("a finding's lifecycle").argument('<id>', 'finding id')).action(
    async (id: string, _o, cmd: Command) => {
      const { client, flags } = connect(cmd);
      const h = await client.findingHistory(id);
      print(flags, h, (h as unknown as { items?: Row[] }).items ?? (Array.isArray(h) ? (h as Row[]) : []), [
        'at',
        'action',
      ]);
    },
  );

  const alerts = new Command('alerts').description('runtime alerts sent by agents');
  clientOptions(alerts.command('list').description('list alerts, newest first').addOption(limitOption())).action(
    async (_o, cmd: Command) => {
      const { client, flags } = connect(cmd);
      const page = await client.listAlerts({ limit: flags.limit });
      print(flags, page, page.items as unknown as Row[], ['ts', 'priority', 'rule', 'host', 'output']);
    },
  );

  const tokens = new Command('tokens').description('API tokens (shown once at creation, stored hashed)');
  clientOptions(tokens.command('list').description('list tokens').addOption(limitOption())).action(
    async (_o, cmd: Command) => {
      const { client, flags } = connect(cmd);
      const page = await client.listTokens({ limit: flags.limit });
      print(flags, page, page.items as unknown as Row[], ['id', 'name', 'role', 'tenantId', 'expiresAt', 'revokedAt']);
    },
  );
  clientOptions(
    tokens
      .command('create')
      .description('create a token; the secret is printed once')
      .requiredOption('--name <name>', 'what the token is for')
      .addOption(
        new Option('--role <role>', 'admin, analyst, read-only, ci or agent')
          .choices(['admin', 'analyst', 'read-only', 'ci', 'agent'])
          .makeOptionMandatory(),
      )
      .option('--tenant <id>', 'tenant the token is scoped to (default: yours)')
      .option('--expires <date>', 'expiry, ISO date'),
  ).action(async (_o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{
      name: string;
      role: 'admin' | 'analyst' | 'read-only' | 'ci' | 'agent';
      tenant?: string;
      expires?: string;
    }>();
    const created = await client.createToken({ name: o.name, role: o.role, tenantId: o.tenant, expiresAt: o.expires });
    if (flags.format === 'json') print(flags, created, [], []);
    else process.stdout.write(`${created.token}\n`);
  });
  clientOptions(tokens.command('revoke').description('revoke a token').argument('<id>', 'token id')).action(
    async (id: string, _o, cmd: Command) => {
      const { client, flags } = connect(cmd);
      const info = await client.revokeToken(id);
      print(flags, info, [info as unknown as Row], ['id', 'name', 'role', 'revokedAt']);
    },
  );

  const posture = clientOptions(
    new Command('posture')
      .description('counts of findings by severity and type, workloads and agents, for a tenant')
      .option('--trends', 'open findings by severity per day instead (gaps filled from the last change)')
      .addOption(
        new Option('--days <n>', 'with --trends: days back, today included (1-366)')
          .argParser((v) => Number.parseInt(v, 10))
          .default(30),
      )
      .option('--tenant <id>', 'a tenant inside your own subtree (default: yours)'),
  ).action(async (_o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{ trends?: boolean; days: number; tenant?: string }>();
    if (o.trends) {
      const t = await client.postureTrends({ days: o.days, tenant: o.tenant });
      const rows = t.points.map((p) => ({ day: p.day, total: p.total, ...p.bySeverity }));
      print(flags, t, rows, ['day', 'total', 'CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']);
      return;
    }
    const p = await client.posture(o.tenant);
    const rows = Object.entries(p.findings.bySeverity).map(([severity, count]) => ({ severity, count }));
    print(flags, p, rows, ['severity', 'count']);
  });

  const policies = new Command('policies').description(
    'versioned policy documents (network policy, rules, responses, profiles) assigned to workloads by selector',
  );
  clientOptions(
    policies
      .command('list')
      .description('list the latest version of each policy')
      .addOption(limitOption())
      .option('--kind <kind>', 'only this kind, e.g. NetworkPolicy, rules, ResponsePolicy'),
  ).action(async (_o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const page = await client.listPolicies({ limit: flags.limit, kind: cmd.opts<{ kind?: string }>().kind });
    print(flags, page, page.items as unknown as Row[], [
      'id',
      'kind',
      'name',
      'version',
      'workloadSelector',
      'createdAt',
    ]);
  });
  clientOptions(
    policies
      .command('apply')
      .description('upload a policy document; an existing name gets a new version')
      .requiredOption('--file <file>', 'the YAML or JSON document')
      .requiredOption('--kind <kind>', 'policy kind, e.g. GlobalNetworkPolicy, rules, ResponsePolicy')
      .requiredOption('--name <name>', 'policy name')
      .option(
        '--selector <selector>',
        'Calico selector over workload labels, e.g. "env == \'prod\'" (default: every workload)',
      ),
  ).action(async (_o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{ file: string; kind: string; name: string; selector?: string }>();
    let document: string;
    try {
      document = await readFile(o.file, 'utf8');
    } catch {
      throw new NotFoundError(`cannot read ${o.file}`);
    }
    const p = await client.createPolicy({ kind: o.kind, name: o.name, document, workloadSelector: o.selector });
    print(flags, p, [p as unknown as Row], ['id', 'kind', 'name', 'version', 'workloadSelector']);
  });
  clientOptions(
    policies.command('versions').description('every version of a policy').argument('<id>', 'policy id'),
  ).action(async (id: string, _o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const v = await client.policyVersions(id);
    print(flags, v, v.items as unknown as Row[], ['id', 'version', 'deleted', 'createdAt', 'createdBy']);
  });
  clientOptions(
    policies
      .command('delete')
      .description('delete a policy (all versions stay readable)')
      .argument('<id>', 'policy id'),
  ).action(async (id: string, _o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const p = await client.deletePolicy(id);
    print(flags, p, [p as unknown as Row], ['id', 'kind', 'name', 'version', 'deleted']);
  });

  const images = clientOptions(
    new Command('images')
      .description(
        "images run by workloads or scanned, with workload and open vulnerability counts; with DIGEST, that image's vulnerabilities and the workloads running it",
      )
      .argument('[digest]', 'image digest, e.g. sha256:…')
      .addOption(limitOption())
      .option('--severity <list>', 'with DIGEST: only these severities, e.g. HIGH,CRITICAL')
      .addOption(
        new Option('--status <status>', 'with DIGEST: open (default), fixed or suppressed').choices([
          'open',
          'fixed',
          'suppressed',
        ]),
      ),
  ).action(async (digest: string | undefined, _o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{ severity?: string; status?: 'open' | 'fixed' | 'suppressed' }>();
    if (!digest) {
      const page = await client.listImages({ limit: flags.limit });
      const rows = page.items.map((i) => ({
        digest: i.digest,
        workloads: i.workloads,
        vulnerabilities: i.vulnerabilities.total,
        critical: i.vulnerabilities.bySeverity.CRITICAL,
        high: i.vulnerabilities.bySeverity.HIGH,
        lastSeen: i.lastSeen,
      }));
      print(flags, page, rows, ['digest', 'workloads', 'vulnerabilities', 'critical', 'high', 'lastSeen']);
      return;
    }
    const page = await client.imageVulnerabilities(digest, {
      limit: flags.limit,
      severity: o.severity,
      status: o.status,
    });
    const rows = page.items.map((v) => ({
      ...v,
      workloads: `${v.workloadCount}: ${v.workloads.map((w) => w.name).join(', ')}`,
    }));
    print(flags, page, rows, ['severity', 'ruleId', 'packageName', 'installedVersion', 'fixedVersion', 'workloads']);
  });

  return [workloads, findings, alerts, tokens, posture, policies, images];
}

/** `palisade workloads --top-risks …`: parsed on its own so `workloads list` keeps its flags. */
function topRisksCommand(): Command {
  return clientOptions(
    new Command('workloads --top-risks')
      .exitOverride()
      .option('--top-risks', 'rank workloads by risk score')
      .addOption(limitOption().default(10))
      .addOption(new Option('--kind <kind>', 'host, vm, container, pod or function'))
      .option('--cluster <name>', 'only workloads of this cluster')
      .option('--namespace <name>', 'only workloads of this namespace'),
  ).action(async (_o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{ kind?: string; cluster?: string; namespace?: string }>();
    const page = await client.topRisks({
      limit: flags.limit,
      kind: o.kind,
      cluster: o.cluster,
      namespace: o.namespace,
    });
    const rows = page.items.map((r) => ({
      score: r.score,
      id: r.workload.id,
      kind: r.workload.kind,
      name: r.workload.name,
      ...r.counts,
    }));
    print(flags, page, rows, [
      'score',
      'name',
      'kind',
      'critical',
      'high',
      'medium',
      'low',
      'exposure',
      'alerts24h',
      'id',
    ]);
  });
}

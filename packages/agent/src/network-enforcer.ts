// Network policy on the agent's host: local policy files plus the server's network documents,
// with the endpoints discovered on this host, compiled into one nftables table and applied
// atomically. Endpoint churn becomes element updates when it can, a full replace otherwise; a
// policy that does not load, compile or apply leaves the last good table in force and raises an alert.
// The routing half of egress gateways (`ip rule` + a route table per gateway) follows each full apply.

import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Alert } from '@palisade/core';
import {
  addEndpointIncrementally,
  applyEgressRoutes,
  applyNftScript,
  applyRuleset,
  type BridgePorts,
  type CompileOptions,
  compileRuleset,
  type DiscoveryOptions,
  type DnsProxy,
  type EgressRoute,
  type Endpoint,
  type EndpointChange,
  type EndpointWatch,
  egressRoutes,
  enableBridgeNetfilter,
  endpointKey,
  type FlowCollector,
  type HostPort,
  listBridgePorts,
  loadPolicyModel,
  type NftRuleset,
  type PolicyInput,
  type PolicyModel,
  removeEgressRoutes,
  renderBridgeGuard,
  renderElementAdds,
  startDnsProxy,
  startFlowCollector,
  watchEndpoints,
  withBridgeDispatch,
} from '@palisade/network';
import type { AgentLogger } from './agent-log.js';
import { isoTimeNs, stableId } from './alert-id.js';

export const NETWORK_POLICY_RULE = 'Palisade network policy not applied';

export interface NetworkEnforcerOptions {
  /** Local policy YAML files, re-read on every full apply. */
  files: readonly string[];
  /** Enforce inside this named network namespace instead of the agent's own (labs, tests). */
  netns?: string;
  /** nftables table (inet family); default `palisade`. */
  table?: string;
  failsafeTcpPorts?: readonly number[];
  /** `audit` logs would-be denies and lets everything through; default `enforce`. */
  mode?: NonNullable<CompileOptions['mode']>;
  /** After each full apply, cut live connections the new policy denies (conntrack delete). */
  cutForbidden?: boolean;
  /** NFLOG group for denies and Log rules (default 1, what the flow collector reads). */
  logGroup?: number;
  /** Delete the table (and the egress gateway rules and routes) when the agent stops; default false: the last policy stays (fail-static). */
  removeOnExit?: boolean;
  /**
   * Enforce on containers attached to Linux bridges (podman's default network): turn on
   * br_netfilter's IP hooks, dispatch bridged workloads by address on the bridge device, and keep a
   * `table bridge` anti-spoofing guard of the same name on their ports. Endpoint churn then always
   * replaces the table (a new container is a new bridge port).
   */
  bridges?: boolean;
  /** Endpoint discovery settings (and how often to resync), or false: endpoints from documents only. */
  discovery?: (DiscoveryOptions & { resyncMs?: number }) | false;
  /** A watch of one's own instead of discovery (tests, other endpoint sources). */
  watch?: (onChange: (c: EndpointChange) => void) => EndpointWatch;
  /** Run the DNS policy proxy for `domains` rules, with the applied table's domain sets. */
  dnsProxy?: { listen: HostPort; upstream: HostPort; minTtlSeconds?: number };
  /** Append flow log records (NDJSON) to this file. */
  flowsFile?: string;
  flowIntervalMs?: number;
  hostname: string;
  /** Where alerts about policies that could not be applied go (the agent's outputs). */
  onAlert?: (id: string, alert: Alert) => void;
  log?: AgentLogger;
}

export interface NetworkApplyOutcome {
  applied: boolean;
  /** `full` replaced the table, `incremental` added set and map elements only. */
  how?: 'full' | 'incremental';
  error?: string;
  policies: number;
  endpoints: number;
}

export interface NetworkEnforcerStats {
  fullApplies: number;
  incrementalApplies: number;
  failures: number;
  endpoints: number;
  policies: number;
  /** Egress gateways whose rule and route are in force. */
  egressRoutes: number;
  lastError?: string;
}

export interface NetworkEnforcer {
  /** Resolves after the first apply attempt (with the first endpoint discovery). */
  readonly ready: Promise<NetworkApplyOutcome>;
  /** Replaces the server's network documents and applies; the local files load first. */
  setRemotePolicies(docs: readonly PolicyInput[]): Promise<NetworkApplyOutcome>;
  /** Re-reads the local files and applies. */
  reload(): Promise<NetworkApplyOutcome>;
  /** The ruleset in force (undefined before the first successful apply). */
  ruleset(): NftRuleset | undefined;
  stats(): NetworkEnforcerStats;
  /** Where the DNS policy proxy listens (after ready), with --dns-proxy. */
  dnsAddress(): HostPort | undefined;
  /** Stops watching, the DNS proxy and the flow collector; the table stays unless removeOnExit. */
  stop(): Promise<void>;
}

/** Documents first; a discovered endpoint that claims a documented one's name, interface or address is left out. */
export function mergeEndpoints(documented: readonly Endpoint[], discovered: readonly Endpoint[]): Endpoint[] {
  const keys = new Set(documented.map(endpointKey));
  const ifaces = new Set(documented.map((e) => e.interfaceName).filter(Boolean));
  const ips = new Set(documented.flatMap((e) => e.ips));
  const out = [...documented];
  for (const e of discovered) {
    if (keys.has(endpointKey(e)) || (e.interfaceName && ifaces.has(e.interfaceName))) continue;
    if (e.ips.some((ip) => ips.has(ip))) continue;
    keys.add(endpointKey(e));
    if (e.interfaceName) ifaces.add(e.interfaceName);
    for (const ip of e.ips) ips.add(ip);
    out.push(e);
  }
  return out;
}

export function startNetworkEnforcer(opts: NetworkEnforcerOptions): NetworkEnforcer {
  const log = opts.log ?? (() => {});
  const table = opts.table ?? 'palisade';
  const logGroup = opts.logGroup ?? 1;
  const nftOpts = opts.netns ? { netns: opts.netns } : {};
  let remote: readonly PolicyInput[] = [];
  let discovered: readonly Endpoint[] = [];
  let current: NftRuleset | undefined;
  let currentModel: PolicyModel | undefined;
  const counts = { fullApplies: 0, incrementalApplies: 0, failures: 0 };
  let lastError: string | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let dns: DnsProxy | undefined;
  let flows: FlowCollector | undefined;
  let flowOut: WriteStream | undefined;
  let flowPump: Promise<void> | undefined;
  let stopped = false;
  let firstDone = false;
  /** The discovery result the table in force was compiled with. */
  let appliedDiscovered: readonly Endpoint[] = [];
  /** The egress gateway routes in force (JSON), or undefined before the first reconcile. */
  let appliedRoutes: string | undefined;
  let routeCount = 0;

  /** One change at a time, in order: applies never interleave. */
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work, work);
    chain = next.catch(() => {});
    return next;
  };

  const outcome = (applied: boolean, how?: 'full' | 'incremental', error?: string): NetworkApplyOutcome => ({
    applied,
    ...(how ? { how } : {}),
    ...(error ? { error } : {}),
    policies: currentModel?.policies.length ?? 0,
    endpoints: currentModel?.endpoints.length ?? 0,
  });

  const fail = (what: string, err: unknown): NetworkApplyOutcome => {
    counts.failures++;
    lastError = `${what}: ${(err as Error).message}`;
    log(
      'error',
      `network policy ${lastError}; ${current ? 'the previous ruleset stays in force' : 'nothing enforced yet'}`,
    );
    const ns = Date.now() * 1e6;
    opts.onAlert?.(stableId('netpol', opts.hostname, ns, lastError), {
      time: isoTimeNs(ns),
      rule: NETWORK_POLICY_RULE,
      priority: 'Error',
      output: `${isoTimeNs(ns).slice(11, 29)}: Error network policy not applied, previous ruleset kept (${lastError})`,
      output_fields: {
        'palisade.netpol.error': lastError,
        'palisade.netpol.table': table,
        'palisade.netpol.kept_previous': current !== undefined,
      },
      tags: ['palisade', 'network', 'policy'],
      hostname: opts.hostname,
      source: 'internal',
    });
    return outcome(false, undefined, lastError);
  };

  const readLocal = (): Promise<PolicyInput[]> =>
    Promise.all(opts.files.map(async (file) => ({ path: file, text: await readFile(file, 'utf8') })));

  const restartFlows = async (rs: NftRuleset, model: PolicyModel): Promise<void> => {
    if (!opts.flowsFile) return;
    // The collector attributes flows with the ruleset's rule ids: a new table needs a new collector.
    const old = flows;
    flows = undefined;
    if (old) {
      for (const r of await old.flush()) flowOut?.write(`${JSON.stringify(r)}\n`);
      await old.close();
      await flowPump;
    }
    flowOut ??= createWriteStream(opts.flowsFile, { flags: 'a' });
    const collector = await startFlowCollector({
      model,
      ruleset: rs,
      logGroup,
      ...(opts.flowIntervalMs ? { intervalMs: opts.flowIntervalMs } : {}),
      ...(opts.netns ? { netns: opts.netns } : {}),
      ...(dns ? { domainFor: (a: string) => dns?.domainFor(a) } : {}),
    });
    flows = collector;
    const out = flowOut;
    flowPump = (async () => {
      for await (const r of collector.records()) out.write(`${JSON.stringify(r)}\n`);
    })();
  };

  /** The proxy learns the domain sets from the applied table, so it starts after the first good apply. */
  const startDns = async (settings: NonNullable<NetworkEnforcerOptions['dnsProxy']>, rs: NftRuleset) => {
    try {
      dns = await startDnsProxy({
        listen: settings.listen,
        upstream: settings.upstream,
        ruleset: rs,
        table,
        ...(settings.minTtlSeconds ? { minTtlSeconds: settings.minTtlSeconds } : {}),
        ...(opts.netns ? { netns: opts.netns } : {}),
      });
      log('info', `DNS policy proxy listening on ${dns.address.host}:${dns.address.port}`);
    } catch (err) {
      // The policy is in force either way; domain rules stay closed until a later apply retries.
      log('error', `DNS policy proxy not started: ${(err as Error).message}`);
    }
  };

  /**
   * Makes the egress gateway rules and routes match the table just applied. The first time always
   * (rules a previous run left behind go), later only when the gateways changed: endpoint churn
   * never changes them. A failure leaves the table in force; the next full apply retries.
   */
  const reconcileEgressRoutes = async (model: PolicyModel): Promise<void> => {
    let routes: EgressRoute[] = [];
    try {
      routes = egressRoutes(model);
      const wanted = JSON.stringify(routes);
      if (wanted === appliedRoutes) return;
      await applyEgressRoutes(routes, nftOpts);
      appliedRoutes = wanted;
      const before = routeCount;
      routeCount = routes.length;
      if (routes.length > 0) log('info', `egress gateway routes applied: ${routes.map((r) => r.name).join(', ')}`);
      else if (before > 0) log('info', 'egress gateway routes removed');
    } catch (err) {
      appliedRoutes = undefined;
      // Without gateways there is nothing to route, only stale rules to clear (a host without
      // IPv6 cannot even list them): a warning, not an alert about the policy.
      if (routes.length === 0 && routeCount === 0)
        log('warn', `egress gateway rules not checked: ${(err as Error).message}`);
      else fail('egress routes', err);
    }
  };

  const applyFull = async (): Promise<NetworkApplyOutcome> => {
    let model: PolicyModel;
    let rs: NftRuleset;
    try {
      const loaded = loadPolicyModel([...(await readLocal()), ...remote]);
      const found = discovered;
      model = { ...loaded, endpoints: mergeEndpoints(loaded.endpoints, found) };
      appliedDiscovered = found;
      rs = compileRuleset(model, {
        table,
        logGroup,
        ...(opts.mode ? { mode: opts.mode } : {}),
        ...(opts.failsafeTcpPorts ? { failsafeTcpPorts: opts.failsafeTcpPorts } : {}),
      });
    } catch (err) {
      return fail('load', err);
    }
    try {
      if (opts.bridges) {
        await enableBridgeNetfilter(nftOpts);
        const ports: BridgePorts = await listBridgePorts(nftOpts);
        // The guard first: dispatch by address is never in force without the port check behind it.
        await applyNftScript(renderBridgeGuard(table, model.endpoints, ports), nftOpts);
        rs = withBridgeDispatch(rs, model.endpoints, ports);
      }
      await applyRuleset(rs, {
        ...nftOpts,
        ...(opts.cutForbidden
          ? {
              cutForbidden: true,
              onCut: (r: { cut: readonly unknown[] }) => {
                if (r.cut.length > 0)
                  log('info', `network policy: ${r.cut.length} live connections the policy denies were cut`);
              },
            }
          : {}),
      });
    } catch (err) {
      return fail('apply', err);
    }
    current = rs;
    currentModel = model;
    counts.fullApplies++;
    lastError = undefined;
    await reconcileEgressRoutes(model);
    if (dns) dns.rulesetReplaced(rs);
    else if (opts.dnsProxy) await startDns(opts.dnsProxy, rs);
    try {
      await restartFlows(rs, model);
    } catch (err) {
      log('warn', `flow logs: ${(err as Error).message}`);
    }
    log('info', `network policy applied: ${model.policies.length} policies, ${model.endpoints.length} endpoints`);
    return outcome(true, 'full');
  };

  /** New endpoints only: element updates when every one of them fits the compiled table. */
  const applyAdded = async (added: readonly Endpoint[]): Promise<NetworkApplyOutcome> => {
    if (!current || !currentModel || opts.bridges) return applyFull();
    const visible = mergeEndpoints(currentModel.endpoints, added).slice(currentModel.endpoints.length);
    if (visible.length === 0) return outcome(true, 'incremental');
    let rs = current;
    const adds = [];
    for (const e of visible) {
      const step = addEndpointIncrementally(rs, e);
      if (!step) return applyFull();
      adds.push(...step.adds);
      rs = step.ruleset;
      currentModel = step.model;
    }
    try {
      await applyNftScript(renderElementAdds(table, adds), nftOpts);
    } catch (err) {
      log('warn', `incremental endpoint update failed (${(err as Error).message}); replacing the table`);
      return applyFull();
    }
    current = rs;
    counts.incrementalApplies++;
    log('info', `network policy: ${visible.map((e) => e.name).join(', ')} added by element updates`);
    return outcome(true, 'incremental');
  };

  const onChange = (c: EndpointChange): void => {
    for (const e of c.errors) log('warn', `endpoint discovery: ${e}`);
    discovered = c.current;
    // Before the first apply the ready promise does the work; without a table in force (the
    // policy does not load) a retry would fail the same way, so the next policy change does it.
    if (!firstDone || !current || (c.added.length === 0 && c.removed.length === 0)) return;
    void serial(() => (c.removed.length > 0 ? applyFull() : applyAdded(c.added)));
  };

  let watch: EndpointWatch | undefined;
  if (opts.watch) watch = opts.watch(onChange);
  else if (opts.discovery !== false)
    watch = watchEndpoints({ ...(opts.discovery ?? {}), ...(opts.netns ? { netns: opts.netns } : {}), onChange });

  const ready = serial(async () => {
    if (watch) await watch.first;
    const first = await applyFull();
    firstDone = true;
    // Containers that came or went while the first table was being built.
    if (current && discovered !== appliedDiscovered) void serial(applyFull);
    return first;
  });

  return {
    ready,
    setRemotePolicies(docs) {
      remote = [...docs];
      return serial(applyFull);
    },
    reload: () => serial(applyFull),
    ruleset: () => current,
    dnsAddress: () => dns?.address,
    stats: () => ({
      ...counts,
      endpoints: currentModel?.endpoints.length ?? 0,
      policies: currentModel?.policies.length ?? 0,
      egressRoutes: routeCount,
      ...(lastError ? { lastError } : {}),
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      watch?.stop();
      await chain;
      if (flows) {
        for (const r of await flows.flush()) flowOut?.write(`${JSON.stringify(r)}\n`);
        await flows.close();
        await flowPump;
      }
      if (flowOut) await new Promise<void>((resolve) => flowOut!.end(resolve));
      await dns?.close();
      if (opts.removeOnExit && current) {
        try {
          await applyNftScript(`delete table inet ${table}\n`, nftOpts);
          log('info', `network policy table ${table} removed`);
        } catch (err) {
          log('warn', `cannot remove table ${table}: ${(err as Error).message}`);
        }
        if (opts.bridges)
          await applyNftScript(`delete table bridge ${table}\n`, nftOpts).catch((err) =>
            log('warn', `cannot remove table bridge ${table}: ${(err as Error).message}`),
          );
        if (appliedRoutes !== '[]')
          await removeEgressRoutes(nftOpts).then(
            () => log('info', 'egress gateway routes removed'),
            (err) => log('warn', `cannot remove egress gateway routes: ${(err as Error).message}`),
          );
      } else if (current) log('info', `network policy table ${table} left in force (fail-static)`);
    },
  };
}

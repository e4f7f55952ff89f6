// The agent's pipeline: sensor → enrich → rule engine → respond → outputs. Evaluation is synchronous
// per event (no queue to overflow); alerts are batched to the outputs; rules reload in place.

import { type FSWatcher, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type Alert,
  type AlertAction,
  InputError,
  RULE_PRIORITIES,
  type RulePriority,
  type RuntimeEvent,
} from '@palisade/core';
import { type LoadProblem, RuleEngine, type RulesFileInput } from '@palisade/runtime';
import { type SensorHandle, type SensorHealth, type SensorOptions, startSensor } from '@palisade/sensor';
import { type AgentLogger, stderrLogger } from './agent-log.js';
import { alertId, isoTimeNs, stableId } from './alert-id.js';
import { collectInventory, type InventoryRecord, type InventorySources } from './inventory.js';
import type { AlertOutput, AlertRecord } from './outputs/alert-output.js';
import { listRulesFiles, readRulesFiles } from './rules-files.js';
import { sensorHealthAlert } from './sensor-health.js';

/** Fills container, process-tree and user fields in. `enrichAsync` may wait for the container engine. */
export interface EnrichStage {
  enrich(ev: RuntimeEvent): RuntimeEvent;
  /** As `enrich` on an event the caller owns, filling it in instead of a copy (the sensor's events). */
  enrichInPlace?(ev: RuntimeEvent): RuntimeEvent;
  enrichAsync?(ev: RuntimeEvent): Promise<RuntimeEvent>;
  /** Ends what the stage runs in the background (engine event streams); called by `stop()`. */
  close?(): void;
}

/** Acts on an alert (kill, stop, pause …) and says what it did; the actions travel with the alert. */
export type RespondStage = (
  alert: Alert,
  ev: RuntimeEvent,
) => readonly AlertAction[] | undefined | Promise<readonly AlertAction[] | undefined>;

/** A source of alerts beside the rules, seeing every enriched event (e.g. the runtime's BaselineDetector). */
export interface EventDetector {
  observe(ev: RuntimeEvent): readonly Alert[];
}

/** Where inventory records go (the server output's queue). */
export interface InventorySink {
  enqueueRecord(record: { id: string; ts: string; type: string; [k: string]: unknown }): void;
}

export interface AgentOptions {
  /** Falco rules files in load order; default: Palisade's default ruleset. */
  rules?: string[];
  /** Every *.yaml / *.yml in it, in name order, after `rules`. */
  rulesDir?: string;
  outputs: AlertOutput[];
  inventorySink?: InventorySink;
  /** Where the inventory finds containerd and docker (default: their usual sockets, when present). */
  inventorySources?: InventorySources;
  hostname?: string;
  /** Rules and health alerts below this priority are dropped (Falco's `priority`). */
  minPriority?: string;
  ruleMatching?: 'first' | 'all';
  /** Pushed to the sensor's in-kernel filter. */
  ignoreComms?: string[];
  ignorePrefixes?: string[];
  /** Sensor settings, or false to run without a sensor (events come through `ingest`). */
  sensor?: Omit<SensorOptions, 'onEvent' | 'onHealth' | 'host' | 'ignoreComms' | 'ignorePrefixes'> | false;
  enrich?: EnrichStage;
  respond?: RespondStage;
  /** Extra detectors run after the rules on each event (behaviour baselines). */
  detectors?: EventDetector[];
  /** Reload when a rules file or the rules directory changes. */
  watchRules?: boolean;
  /** Handle SIGHUP (reload rules) and SIGUSR1 (reopen output files). */
  signals?: boolean;
  /** Inventory interval; default 10 minutes, 0 = only at start. */
  inventoryIntervalMs?: number;
  /** Longest an alert waits for its batch (default 100 ms) and the largest batch (default 256). */
  flushIntervalMs?: number;
  batchSize?: number;
  log?: AgentLogger;
}

export interface ReloadOutcome {
  applied: boolean;
  rules: number;
  errors: LoadProblem[];
  warnings: LoadProblem[];
}

export interface AgentStats {
  events: number;
  alerts: number;
  healthAlerts: number;
  /** Events the kernel could not put on the ring buffer. */
  drops: number;
  queueDepth: number;
  reloads: number;
  reloadFailures: number;
  outputErrors: number;
  sensorRestarts: number;
  /** pid of the running palisade-sensor process. */
  sensorPid?: number;
  rules: number;
  /** Each output's own counters (queueDepth, httpAlertsSent …). */
  outputs: Record<string, number>;
}

export interface AgentHandle {
  /** Resolves when the sensor is attached (at once without a sensor); rejects with SensorError. */
  readonly ready: Promise<void>;
  /** Runs one event through the pipeline, as the sensor does (replays, tests). */
  ingest(ev: RuntimeEvent): void;
  /** Re-reads the rules files; on a file that is not rules the previous ruleset stays. */
  reload(): ReloadOutcome;
  /** Replaces the rules files that came from the server (loaded after the local ones) and reloads. */
  setRemoteRules(files: readonly RulesFileInput[]): ReloadOutcome;
  reopenOutputs(): void;
  /** Sends an alert that no event raised (e.g. a network policy that could not be applied) to the outputs. */
  raise(id: string, alert: Alert): void;
  /** Collects and queues an inventory record now (no-op without an inventory sink). */
  sendInventory(): Promise<InventoryRecord | undefined>;
  ruleNames(): string[];
  stats(): AgentStats;
  /** Writes pending alerts to every output. */
  flush(): Promise<void>;
  /** Stops the sensor (after its final drain), flushes and closes the outputs. */
  stop(): Promise<void>;
}

/** 'notice', 'INFO', 'Informational' → the canonical priority; undefined when unknown. */
export function parseMinPriority(text: string): RulePriority | undefined {
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  return RULE_PRIORITIES.find((p) => p.toLowerCase() === t || (t.length >= 4 && p.toLowerCase().startsWith(t)));
}

function describeProblem(p: LoadProblem): string {
  // The runtime's messages already start with file:line: rule "name":.
  if (p.message.startsWith(`${p.file}:`)) return p.message;
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.name ? `${p.itemType ?? 'rule'} "${p.name}": ` : ''}${p.message}`;
}

/**
 * Adds the container and pod of the event to the alert's output_fields when the rule's template
 * did not name them, as Falco's `append_output` / `-pc` does, so every alert says where it happened.
 */
export function withWorkloadFields(alert: Alert, ev: RuntimeEvent): Alert {
  const c = ev.container;
  if (!c && !ev.k8s) return alert;
  const fields = { ...alert.output_fields };
  const add = (k: string, v: string | undefined): void => {
    if (!(k in fields) || fields[k] === null) fields[k] = v === undefined || v === '' ? null : v;
  };
  if (c) {
    add('container.id', c.id);
    add('container.name', c.name);
    add('container.image', c.image);
    const repo = c.imageRepository ?? (c.image ? c.image.replace(/@.*$/, '').replace(/:[^/:]*$/, '') : undefined);
    add('container.image.repository', repo);
  }
  if (ev.k8s) {
    add('k8s.ns.name', ev.k8s.namespace);
    add('k8s.pod.name', ev.k8s.pod);
  }
  return { ...alert, output_fields: fields };
}

export function startAgent(opts: AgentOptions): AgentHandle {
  const log = opts.log ?? stderrLogger;
  const hostname = opts.hostname ?? os.hostname();
  let minPriority: RulePriority | undefined;
  if (opts.minPriority !== undefined) {
    minPriority = parseMinPriority(opts.minPriority);
    if (!minPriority)
      throw new InputError(`unknown priority "${opts.minPriority}" (expected one of ${RULE_PRIORITIES.join(', ')})`);
  }
  const minRank = minPriority ? RULE_PRIORITIES.indexOf(minPriority) : RULE_PRIORITIES.length - 1;
  const rulesPaths = listRulesFiles(opts.rules ?? [], opts.rulesDir);

  const loaded = RuleEngine.load(readRulesFiles(rulesPaths), {
    hostname,
    minPriority,
    ruleMatching: opts.ruleMatching,
  });
  const fatal = loaded.errors.filter((e) => e.fatal);
  if (fatal.length > 0) throw new InputError(`cannot load rules: ${fatal.map(describeProblem).join('; ')}`);
  for (const e of loaded.errors) log('warn', describeProblem(e));
  const engine = loaded.engine;
  log('info', `loaded ${engine.ruleNames.length} rules from ${rulesPaths.join(', ')}`);

  const counts = { events: 0, alerts: 0, healthAlerts: 0, reloads: 0, reloadFailures: 0, outputErrors: 0 };
  let pending: AlertRecord[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  const inflight = new Set<Promise<void>>();
  const flushInterval = opts.flushIntervalMs ?? 100;
  const batchSize = opts.batchSize ?? 256;
  const selfPid = process.pid;
  let stopped = false;

  const flush = (): Promise<void> => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (pending.length === 0) return chain;
    const batch = pending;
    pending = [];
    // Batches go out in order; each output gets every batch even when another one fails.
    chain = chain.then(async () => {
      for (const out of opts.outputs) {
        try {
          await out.write(batch);
        } catch (err) {
          counts.outputErrors++;
          log('error', `output ${out.name}: ${(err as Error).message}`);
        }
      }
    });
    return chain;
  };

  let outputsClosed = false;
  const emit = (rec: AlertRecord): void => {
    // A late health report after stop() has nowhere to go: the outputs are closed.
    if (outputsClosed) return;
    pending.push(rec);
    if (pending.length >= batchSize) void flush();
    else flushTimer ??= setTimeout(flush, flushInterval);
  };

  const track = (p: Promise<void>): void => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  const deliver = (alerts: readonly Alert[], ev: RuntimeEvent): void => {
    for (const fired of alerts) {
      counts.alerts++;
      const alert = withWorkloadFields(fired, ev);
      const id = alertId(ev, alert.rule);
      const acted = opts.respond?.(alert, ev);
      if (acted instanceof Promise) {
        track(
          acted.then(
            (actions) => emit({ id, alert: actions?.length ? { ...alert, actions: [...actions] } : alert }),
            (err: unknown) => {
              log('error', `response to "${alert.rule}" failed: ${(err as Error).message}`);
              emit({ id, alert });
            },
          ),
        );
      } else emit({ id, alert: acted?.length ? { ...alert, actions: [...acted] } : alert });
    }
  };

  const detectors = opts.detectors?.length ? opts.detectors : undefined;
  const deliverAll = (alerts: readonly Alert[], ev: RuntimeEvent): void => {
    if (alerts.length > 0) deliver(alerts, ev);
  };

  const enrichStage = opts.enrich;
  const enrichOwned = enrichStage?.enrichInPlace?.bind(enrichStage);
  const enrichCopy = enrichStage?.enrich.bind(enrichStage);

  /** `owned`: the event was decoded for this call only (the sensor's), so it may be filled in place. */
  const handle = (raw: RuntimeEvent, owned: boolean): void => {
    // The agent's own file and network activity is not a threat; the kernel filter cannot tell node apart.
    if (raw.proc.pid === selfPid) return;
    counts.events++;
    const ev = owned && enrichOwned ? enrichOwned(raw) : enrichCopy ? enrichCopy(raw) : raw;
    if (detectors) for (const d of detectors) deliverAll(d.observe(ev), ev);
    const alerts = engine.evaluate(ev);
    if (alerts.length === 0) return;
    const late = opts.enrich?.enrichAsync;
    if (late && ev.container && !ev.container.name) {
      // First sight of a container: wait for its name and image, then judge the event again
      // (the slow path runs only for events that already raised an alert).
      track(
        late.call(opts.enrich, ev).then(
          (full) => deliver(engine.evaluate(full), full),
          () => deliver(alerts, ev),
        ),
      );
      return;
    }
    deliver(alerts, ev);
  };

  const ingest = (ev: RuntimeEvent): void => handle(ev, false);

  const onHealth = (h: SensorHealth): void => {
    const alert = sensorHealthAlert(h, hostname);
    log(h.status === 'started' ? 'info' : 'warn', `sensor ${h.status}: ${h.message}`);
    if (RULE_PRIORITIES.indexOf(alert.priority) > minRank) return;
    counts.healthAlerts++;
    emit({ id: stableId('sensor-health', hostname, h.ts, h.status), alert });
  };

  // Rules assigned by the server's policies; they extend the local files, as later Falco files do.
  let remoteRules: readonly RulesFileInput[] = [];

  const reload = (): ReloadOutcome => {
    counts.reloads++;
    let res: ReturnType<RuleEngine['reload']>;
    try {
      res = engine.reload([...readRulesFiles(listRulesFiles(opts.rules ?? [], opts.rulesDir)), ...remoteRules]);
    } catch (err) {
      counts.reloadFailures++;
      log('error', `rules reload failed, previous ruleset kept: ${(err as Error).message}`);
      return { applied: false, rules: engine.ruleNames.length, errors: [], warnings: [] };
    }
    for (const e of res.errors) log(res.applied ? 'warn' : 'error', describeProblem(e));
    if (res.applied) log('info', `rules reloaded: ${engine.ruleNames.length} rules`);
    else {
      counts.reloadFailures++;
      log('error', 'rules reload failed, previous ruleset kept');
    }
    return { applied: res.applied, rules: engine.ruleNames.length, errors: res.errors, warnings: res.warnings };
  };

  let sensor: SensorHandle | undefined;
  if (opts.sensor !== false) {
    sensor = startSensor({
      ...opts.sensor,
      host: hostname,
      ignoreComms: opts.ignoreComms,
      ignorePrefixes: opts.ignorePrefixes,
      onEvent: (ev) => handle(ev, true),
      onHealth,
    });
  }
  const ready = sensor ? sensor.ready : Promise.resolve();

  const watchers: FSWatcher[] = [];
  let reloadTimer: NodeJS.Timeout | undefined;
  if (opts.watchRules) {
    const schedule = (): void => {
      // Editors write in several steps (truncate, write, rename); reload once they are done.
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(reload, 300);
    };
    const targets = new Set(rulesPaths.map((p) => path.dirname(p)));
    if (opts.rulesDir) targets.add(opts.rulesDir);
    const names = new Set(rulesPaths.map((p) => path.basename(p)));
    for (const dir of targets) {
      try {
        const w = watch(dir, (_ev, name) => {
          if (dir === opts.rulesDir || (name && names.has(name.toString()))) schedule();
        });
        w.on('error', (err) => log('warn', `watching ${dir}: ${err.message}`));
        watchers.push(w);
      } catch (err) {
        log('warn', `cannot watch ${dir} for rules changes: ${(err as Error).message}`);
      }
    }
  }

  const reopenOutputs = (): void => {
    for (const out of opts.outputs) {
      try {
        out.reopen?.();
      } catch (err) {
        log('error', `output ${out.name}: reopen failed: ${(err as Error).message}`);
      }
    }
  };
  const onHup = (): void => void reload();
  const onUsr1 = (): void => reopenOutputs();
  if (opts.signals) {
    process.on('SIGHUP', onHup);
    process.on('SIGUSR1', onUsr1);
  }

  const sendInventory = async (): Promise<InventoryRecord | undefined> => {
    if (!opts.inventorySink) return undefined;
    const inv = await collectInventory(hostname, opts.inventorySources);
    const now = Date.now() * 1e6;
    opts.inventorySink.enqueueRecord({
      id: stableId('inventory', hostname, now),
      ts: isoTimeNs(now),
      type: 'inventory',
      host: hostname,
      inventory: inv,
    });
    return inv;
  };
  let inventoryTimer: NodeJS.Timeout | undefined;
  if (opts.inventorySink) {
    const runInventory = (): void => {
      sendInventory().catch((err: unknown) => log('warn', `inventory: ${(err as Error).message}`));
    };
    runInventory();
    const every = opts.inventoryIntervalMs ?? 600_000;
    if (every > 0) {
      inventoryTimer = setInterval(runInventory, every);
      inventoryTimer.unref();
    }
  }

  const stats = (): AgentStats => {
    const outputs: Record<string, number> = {};
    for (const out of opts.outputs) Object.assign(outputs, out.stats?.());
    const s = sensor?.stats();
    return {
      ...counts,
      drops: s?.kernelDrops ?? 0,
      queueDepth: outputs.queueDepth ?? 0,
      sensorRestarts: s?.restarts ?? 0,
      sensorPid: sensor?.pid(),
      rules: engine.ruleNames.length,
      outputs,
    };
  };

  return {
    ready,
    ingest,
    reload,
    setRemoteRules(files) {
      remoteRules = [...files];
      return reload();
    },
    reopenOutputs,
    raise(id, alert) {
      if (RULE_PRIORITIES.indexOf(alert.priority) > minRank) return;
      counts.alerts++;
      emit({ id, alert });
    },
    sendInventory,
    ruleNames: () => engine.ruleNames,
    stats,
    flush: async () => {
      await Promise.all([...inflight]);
      await flush();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (opts.signals) {
        process.off('SIGHUP', onHup);
        process.off('SIGUSR1', onUsr1);
      }
      for (const w of watchers) w.close();
      clearTimeout(reloadTimer);
      clearInterval(inventoryTimer);
      // The sensor drains the ring on stop, so its last events still go through the pipeline.
      await sensor?.stop().catch((err: unknown) => log('warn', `sensor stop: ${(err as Error).message}`));
      await Promise.all([...inflight]);
      // After the last events are enriched: the engine event streams (ctr/podman events children) end.
      opts.enrich?.close?.();
      await flush();
      outputsClosed = true;
      for (const out of opts.outputs) {
        try {
          await out.close();
        } catch (err) {
          log('error', `output ${out.name}: close failed: ${(err as Error).message}`);
        }
      }
    },
  };
}

// Prometheus metrics under the `palisade_` prefix, on a registry per app (so tests can run many
// apps in one process): requests, ingest counts, open findings by severity, connected agents.

import type { Store } from '@palisade/store';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** An agent counts as connected if it sent a heartbeat within this window. */
export const AGENT_CONNECTED_WINDOW_MS = 2 * 60_000;

export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly eventsIngested: Counter<'result'>;
  readonly scansIngested: Counter;

  constructor(store: Store) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'palisade_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'palisade_http_request_duration_seconds',
      help: 'HTTP request latency by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.eventsIngested = new Counter({
      name: 'palisade_events_ingested_total',
      help: 'Runtime events received, by result (accepted or duplicate)',
      labelNames: ['result'],
      registers,
    });
    this.scansIngested = new Counter({ name: 'palisade_scans_ingested_total', help: 'Scan reports stored', registers });
    new Gauge({
      name: 'palisade_findings_open',
      help: 'Open, unsuppressed findings by severity across all tenants',
      labelNames: ['severity'],
      registers,
      async collect() {
        const summary = await store.findings.summary('/');
        this.reset();
        for (const [severity, n] of Object.entries(summary.bySeverity)) this.set({ severity }, n);
      },
    });
    new Gauge({
      name: 'palisade_agents_connected',
      help: 'Agents that sent a heartbeat in the last two minutes',
      registers,
      async collect() {
        this.set(await store.agents.countSeenSince(new Date(Date.now() - AGENT_CONNECTED_WINDOW_MS).toISOString()));
      },
    });
  }
}

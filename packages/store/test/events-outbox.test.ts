// Event ingestion's two insert paths (SQLite chunks, PostgreSQL's one-statement batch) keep every
// event as sent, and the outputs' outbox: written with the alerts, leased per server, dead-lettered
// and requeued in one transaction. Run against embedded SQLite and a real PostgreSQL.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingEvent, Store } from '../src/index.js';
import { useStoreFixture } from './store-fixture.js';

const stores = useStoreFixture('palisade-store-outbox-');
const open = stores.open;

const alert = (id: string, extra: Record<string, unknown> = {}): IncomingEvent => ({
  id,
  ts: '2026-11-27T08:00:00.000Z',
  type: 'execve',
  host: 'web-1',
  rule: 'Terminal shell in container',
  priority: 'Warning',
  output: `shell ${id}`,
  ...extra,
});

/** Every new alert goes to output "soc"; none is dead-lettered. */
const toSoc = (alerts: IncomingEvent[]) => ({
  deliveries: alerts.map((a) => ({ output: 'soc', tenantId: 'root', alertId: a.id, alert: { uuid: a.id } })),
  deadLetters: [],
});

describe.each(['sqlite', 'postgres'] as const)('event ingestion and outbox on %s', (kind) => {
  let store: Store;
  beforeAll(async () => {
    store = await open(kind);
    await store.tenants.createRoot('Acme');
    await store.tenants.create({ parentId: 'root', name: 'other', kind: 'account' });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('keeps each event exactly as sent, whatever its strings hold', async () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('a\nb', 'tab\there', '"q"', '\\'),
    );
    // Column fields may hold anything but NUL (the route refuses NUL there); the rest, anything.
    const column = text.filter((s) => !s.includes('\0'));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            host: column,
            output: column,
            args: fc.array(text),
            extra: fc.jsonValue(),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        async (rows) => {
          const batch: IncomingEvent[] = rows.map((r) => ({
            id: `prop-${n++}`,
            ts: '2026-11-27T08:00:00.000Z',
            type: 'execve',
            host: r.host,
            rule: 'r',
            output: r.output,
            proc: { args: r.args },
            extra: r.extra,
          }));
          const result = await store.events.insertBatch('root', null, batch);
          expect(result).toEqual({ accepted: batch.length, duplicates: 0 });
          const stored = await store.db
            .selectFrom('events')
            .select(['id', 'data'])
            .where(
              'id',
              'in',
              batch.map((e) => e.id),
            )
            .execute();
          const byId = new Map(stored.map((s) => [s.id, JSON.parse(s.data) as unknown]));
          // The document is the event's JSON, escapes included, on both stores.
          for (const e of batch) expect(byId.get(e.id)).toEqual(JSON.parse(JSON.stringify(e)));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('keeps the last of repeated ids in one batch, and counts the repeats as duplicates', async () => {
    const r = await store.events.insertBatch('root', null, [
      { id: 'dup-1', ts: 't1', type: 'open', host: 'first' },
      { id: 'dup-1', ts: 't1', type: 'open', host: 'last' },
      alert('dup-2'),
    ]);
    expect(r).toEqual({ accepted: 2, duplicates: 1 });
    const rows = await store.db.selectFrom('events').select(['id', 'host']).where('id', '=', 'dup-1').execute();
    expect(rows).toEqual([{ id: 'dup-1', host: 'last' }]);
  });

  it('writes the new alerts of a batch to the outbox in the same transaction, in batch order', async () => {
    const seen: string[][] = [];
    const plan = (alerts: IncomingEvent[]) => {
      seen.push(alerts.map((a) => a.id));
      return toSoc(alerts);
    };
    const batch = [alert('o-1'), { id: 'o-plain', ts: 't', type: 'open' }, alert('o-2'), alert('o-3')];
    const first = await store.events.insertBatch('root', null, batch, { outbox: plan });
    expect(first).toEqual({ accepted: 4, duplicates: 0, outboxed: 3 });
    // Sent again: nothing is new, so nothing is planned or queued twice.
    const again = await store.events.insertBatch('root', null, batch, { outbox: plan });
    expect(again).toEqual({ accepted: 0, duplicates: 4, outboxed: 0 });
    expect(seen).toEqual([['o-1', 'o-2', 'o-3']]);
    expect((await store.outbox.list('soc')).map((e) => e.alertId)).toEqual(['o-1', 'o-2', 'o-3']);

    // A failing outbox write rolls the events back too: nothing is acknowledged without its deliveries.
    const failing = await store.events
      .insertBatch('root', null, [alert('o-4')], {
        outbox: () => {
          throw new Error('planning failed');
        },
      })
      .catch((e: Error) => e);
    expect((failing as Error).message).toBe('planning failed');
    expect(await store.db.selectFrom('events').select('id').where('id', '=', 'o-4').execute()).toEqual([]);

    // Overflow goes to the dead letters in that transaction.
    const r = await store.events.insertBatch('root', null, [alert('o-5')], {
      outbox: (alerts) => ({
        deliveries: [],
        deadLetters: alerts.map((a) => ({
          tenantId: 'root',
          output: 'soc',
          alertId: a.id,
          alert: { uuid: a.id },
          error: 'outbox full',
          attempts: 0,
        })),
      }),
    });
    expect(r.outboxed).toBe(0);
    const letters = await store.deadLetters.list('/root/', { output: 'soc' });
    expect(letters.items.map((l) => l.alertId)).toEqual(['o-5']);
    await store.db.deleteFrom('output_outbox').execute();
    await store.db.deleteFrom('output_dead_letters').execute();
  });

  it('leases the head of an output to one server at a time', async () => {
    await store.outbox.add(
      ['l-1', 'l-2', 'l-3'].map((id) => ({ output: 'hook', tenantId: 'root', alertId: id, alert: {} })),
    );
    await store.outbox.add([{ output: 'other', tenantId: 'root', alertId: 'x-1', alert: {} }]);
    const a = await store.outbox.claim('hook', 'server-a', 2, 60_000);
    expect(a.map((e) => e.alertId)).toEqual(['l-1', 'l-2']);
    // Server B finds the head leased and waits; its own outputs are not affected.
    expect(await store.outbox.claim('hook', 'server-b', 2, 60_000)).toEqual([]);
    expect((await store.outbox.claim('other', 'server-b', 2, 60_000)).map((e) => e.alertId)).toEqual(['x-1']);
    // Server A again (as after its own restart) takes its rows back at once.
    expect((await store.outbox.claim('hook', 'server-a', 2, 60_000)).map((e) => e.alertId)).toEqual(['l-1', 'l-2']);

    // A failed try is counted and scheduled; a delivered one leaves.
    const [first, second] = a;
    await store.outbox.reschedule(
      [{ id: first?.id ?? '', attempts: 1, error: 'HTTP 503' }],
      '2030-01-01T00:00:00.000Z',
    );
    await store.outbox.remove([second?.id ?? '']);
    const head = await store.outbox.claim('hook', 'server-a', 2, 60_000);
    expect(head.map((e) => [e.alertId, e.attempts, e.lastError, e.nextAttemptAt])).toEqual([
      ['l-1', 1, 'HTTP 503', '2030-01-01T00:00:00.000Z'],
      ['l-3', 0, null, head[1]?.createdAt],
    ]);

    // A lease that ran out (its server died) goes to whoever asks.
    await store.outbox.claim('hook', 'server-a', 2, -1);
    expect((await store.outbox.claim('hook', 'server-b', 2, 60_000)).map((e) => e.alertId)).toEqual(['l-1', 'l-3']);
    // Released on shutdown: free for anyone at once.
    await store.outbox.release('server-b');
    expect((await store.outbox.claim('hook', 'server-c', 1, 60_000)).map((e) => e.alertId)).toEqual(['l-1']);
    expect(await store.outbox.depths()).toEqual(
      new Map([
        ['hook', 2],
        ['other', 1],
      ]),
    );
  });

  it('moves entries to the dead letters and back in one transaction each', async () => {
    const [entry] = await store.outbox.claim('hook', 'server-c', 1, 60_000);
    if (!entry) throw new Error('no entry');
    await store.outbox.deadLetter([{ entry, error: 'HTTP 400', attempts: 1 }]);
    expect((await store.outbox.list('hook')).map((e) => e.alertId)).toEqual(['l-3']);
    const [letter] = (await store.deadLetters.list('/root/', { output: 'hook' })).items;
    expect(letter).toMatchObject({ alertId: 'l-1', error: 'HTTP 400', attempts: 1 });

    expect(await store.outbox.requeueDeadLetter(letter?.id ?? '')).toBe(true);
    expect(await store.outbox.requeueDeadLetter(letter?.id ?? '')).toBe(false);
    expect(await store.deadLetters.count('hook')).toBe(0);
    // Back at the end of the line, with a fresh count of tries.
    const line = await store.outbox.list('hook');
    expect(line.map((e) => [e.alertId, e.attempts])).toEqual([
      ['l-3', 0],
      ['l-1', 0],
    ]);
  });
});

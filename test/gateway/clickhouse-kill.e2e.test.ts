import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { startChdbServer } from '../../src/store/clickhouse/testing/chdb-server.js';
import { startServeChild, stopChild } from '../helpers/serve-process.js';
import { type FakeProvider, startFakeProvider } from './fake-provider.js';

// The write-ahead log's promise on a ClickHouse ledger: the log is on the gateway's machine, the ledger on the
// server, and a SIGKILL between the two loses no acknowledged call and stores none twice: not even as a second row
// that reads (FINAL) would fold into one, since one instance looks up what is stored before it inserts.
let clickhouse: Awaited<ReturnType<typeof startChdbServer>>;
let fake: FakeProvider;
let dir: string;
beforeAll(async () => {
  clickhouse = await startChdbServer();
  fake = await startFakeProvider();
  dir = await mkdtemp(join(tmpdir(), 'tl-kill-clickhouse-'));
});
afterAll(async () => {
  await fake.close();
  await clickhouse.close();
  await rm(dir, { recursive: true, force: true });
});

async function call(url: string, i: number): Promise<string | null> {
  try {
    const r = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
      body: JSON.stringify({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: `n${i}` }],
        stream: i % 3 === 0,
      }),
    });
    await r.text();
    return r.status === 200 ? r.headers.get('x-tokenledger-event-id') : null;
  } catch {
    return null;
  }
}

describe('durability under kill -9 on a ClickHouse ledger', () => {
  it('every call that returned 200 is in the ledger exactly once after repeated SIGKILLs', async () => {
    const url = `${clickhouse.url}/killed`;
    const args = [url, fake.url, '0', dir];
    const acked: string[] = [];
    for (let round = 0; round < 3; round++) {
      const { child, url: gateway } = await startServeChild(args);
      let stop = false;
      let n = round * 1_000_000;
      const workers = Array.from({ length: 16 }, async () => {
        while (!stop) {
          const id = await call(gateway, n++);
          if (id !== null) acked.push(id);
        }
      });
      await new Promise((r) => setTimeout(r, 500 + round * 150));
      await stopChild(child, 'SIGKILL');
      stop = true;
      await Promise.all(workers);
    }
    // A last start replays what the killed processes acknowledged; a clean stop moves it all into the ledger.
    await stopChild((await startServeChild(args)).child, 'SIGTERM');

    expect(acked.length).toBeGreaterThan(100);
    const store = await createClickHouseStore(url);
    try {
      const events = await store.events({ limit: 10_000_000 });
      const counts = new Map<string, number>();
      for (const e of events) counts.set(e.event_id, (counts.get(e.event_id) ?? 0) + 1);
      expect(acked.filter((id) => !counts.has(id))).toEqual([]);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      expect((await store.query({ dimensions: [] })).totals.events).toBe(events.length);
      const c = createClient({ url });
      const [rows] = await (
        await c.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' })
      ).json<{ n: string }>();
      await c.close();
      expect(Number(rows!.n)).toBe(events.length);
    } finally {
      await store.close();
    }
  }, 120_000);
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCreate } from '../../src/cli/keys.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { startServeChild, stopChild } from '../helpers/serve-process.js';
import { type FakeProvider, startFakeProvider, WORDS } from './fake-provider.js';

let fake: FakeProvider;
let dir: string;
beforeAll(async () => {
  fake = await startFakeProvider();
  dir = await mkdtemp(join(tmpdir(), 'tl-kill-'));
});
afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * One call; the event id if the client got a complete 200 answer, else null. Every other call goes with `keeping`, a
 * key that keeps call text, so the text's durability is checked with the events'.
 */
async function call(url: string, i: number, keeping: string): Promise<string | null> {
  const stream = i % 3 === 0;
  try {
    const r = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${i % 2 === 0 ? keeping : 'sk-x'}`,
      },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `n${i}` }], stream }),
    });
    await r.text();
    return r.status === 200 ? r.headers.get('x-tokenledger-event-id') : null;
  } catch {
    return null;
  }
}

describe('durability under kill -9', () => {
  it('every call that returned 200 is in the ledger exactly once after repeated SIGKILLs, with its text when kept', async () => {
    const ledger = join(dir, 'ledger.duckdb');
    const keeping = await keysCreate({ db: ledger, storeContent: true }, () => {});
    const acked: string[] = [];
    /** Acknowledged calls made with the keeping key: event id → the call's number, which its prompt holds. */
    const kept = new Map<string, number>();
    for (let round = 0; round < 4; round++) {
      const { child, url } = await startServeChild([ledger, fake.url]);
      let stop = false;
      let n = round * 1_000_000;
      const workers = Array.from({ length: 24 }, async () => {
        while (!stop) {
          const i = n++;
          const id = await call(url, i, keeping);
          if (id !== null) acked.push(id);
          if (id !== null && i % 2 === 0) kept.set(id, i);
        }
      });
      await new Promise((r) => setTimeout(r, 400 + round * 150));
      await stopChild(child, 'SIGKILL');
      stop = true;
      await Promise.all(workers);
    }
    // A last start replays what the killed processes acknowledged; a clean stop moves it all into the store.
    await stopChild((await startServeChild([ledger, fake.url])).child, 'SIGTERM');

    expect(acked.length).toBeGreaterThan(100);
    const store = await createDuckDbStore(ledger);
    try {
      const events = await store.events({ limit: 10_000_000 });
      const counts = new Map<string, number>();
      for (const e of events) counts.set(e.event_id, (counts.get(e.event_id) ?? 0) + 1);
      const missing = acked.filter((id) => !counts.has(id));
      expect(missing).toEqual([]);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      expect(new Set(acked).size).toBe(acked.length);
      expect(kept.size).toBeGreaterThan(50);
      const ts = new Map(events.map((e) => [e.event_id, e.ts]));
      for (const [id, i] of kept) {
        const text = await store.content(id, ts.get(id)!);
        expect(JSON.parse(text?.request ?? 'null')?.messages).toEqual([{ role: 'user', content: `n${i}` }]);
        expect(text?.completion).toBe(WORDS.join(''));
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});

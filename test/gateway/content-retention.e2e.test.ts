import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContent } from '../../src/ledger/call-content.js';
import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

const DAY_US = 86_400_000_000;
const text = (i: number, daysAgo: number): CallContent => ({
  event_id: i.toString(16).padStart(16, '0'),
  ts: Date.now() * 1000 - daysAgo * DAY_US,
  request: `{"model":"gpt-4o","messages":[{"role":"user","content":"q${i}"}]}`,
  completion: `a${i}`,
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-retention-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('server.content_retention_days', () => {
  it('deletes stored call text older than that when the server starts, and keeps the rest', async () => {
    const ledger = join(dir, 'ledger.duckdb');
    const before = await createDuckDbStore(ledger);
    const [old, recent, edge] = [text(1, 40), text(2, 1), text(3, 29)];
    await before.storeContent([old, recent, edge]);
    await before.close();
    const config = join(dir, 'tokenledger.config.yaml');
    await writeFile(config, 'server:\n  content_retention_days: 30\n');
    const logs: string[] = [];
    const server = await startServer({
      ledgerPath: ledger,
      configPath: config,
      port: 0,
      upstream: [],
      cwd: dir,
      env: {},
      openStore: (p) => createDuckDbStore(p),
      log: (l) => logs.push(l),
    });
    try {
      expect(await server.store.content(old.event_id, old.ts)).toBeNull();
      expect(await server.store.content(recent.event_id, recent.ts)).toEqual(recent);
      expect(await server.store.content(edge.event_id, edge.ts)).toEqual(edge);
      expect(logs).toContain('deleted the stored text of 1 call(s) older than 30 day(s)');
    } finally {
      await server.close();
    }
  });
});

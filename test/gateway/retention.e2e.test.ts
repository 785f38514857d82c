import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallContent } from '../../src/ledger/call-content.js';
import { formatUsd } from '../../src/money/money.js';
import { startServer } from '../../src/server/serve.js';
import { serverFilePath } from '../../src/server/server-file.js';
import { createClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { startChdbServer } from '../../src/store/clickhouse/testing/chdb-server.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { makeEvent } from '../../src/store/testing/event-factory.js';
import { freePort } from '../helpers/free-port.js';
import { tracerFor } from '../otlp/sdk-tracer.js';

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

const serve = (
  ledgerPath: string,
  configPath: string,
  logs: string[],
  ledgerUrl?: string,
  otlpPort?: number,
) =>
  startServer({
    ledgerPath,
    configPath,
    port: 0,
    ...(otlpPort === undefined ? {} : { otlpPort }),
    upstream: [],
    cwd: dir,
    env: {},
    ...(ledgerUrl === undefined
      ? { openStore: (p: string) => createDuckDbStore(p) }
      : { ledgerUrl, openStore: () => createClickHouseStore(ledgerUrl) }),
    log: (l) => logs.push(l),
  });

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
    const server = await serve(ledger, config, logs);
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

describe('server.raw_retention_days', () => {
  it('retires the calls of months ended more than that ago when the server starts, keeping their sums', async () => {
    const clickhouse = await startChdbServer();
    try {
      const url = `${clickhouse.url}/retention`;
      const ts = (daysAgo: number) => Date.now() * 1000 - daysAgo * DAY_US;
      const calls = [
        makeEvent(1, { ts: ts(200) }),
        makeEvent(2, { ts: ts(150) }),
        makeEvent(3, { ts: ts(2) }),
      ];
      const before = await createClickHouseStore(url);
      await before.append(calls);
      await before.close();
      const config = join(dir, 'raw.config.yaml');
      await writeFile(config, 'server:\n  raw_retention_days: 90\n');
      const logs: string[] = [];
      const server = await serve(join(dir, 'ch', 'ledger'), config, logs, url);
      try {
        // Both old calls' months ended over 90 days ago; the newest is kept. The server does not wait for it.
        const retired = /^retired 2 call\(s\) before \d{4}-\d{2}-01: their days are kept/;
        await vi.waitFor(() => expect(logs.some((l) => retired.test(l))).toBe(true), { timeout: 30_000 });
        expect(await server.store.count()).toBe(1);
        const all = await server.store.query({ dimensions: [] });
        expect(all.totals.events).toBe(3);
        expect(all.totals.cost_usd).toBe(calls.reduce((sum, e) => sum + e.cost_usd!, 0n));
        // Over the API, a read that needs the retired calls is the asker's to change: a 400 that names the horizon.
        const { admin_token } = JSON.parse(await readFile(serverFilePath(join(dir, 'ch', 'ledger')), 'utf8'));
        const r = await fetch(
          `${server.url}/api/breakdown?dims=tag.repo&since=${new Date(ts(200) / 1000).toISOString()}`,
          {
            headers: { authorization: `Bearer ${admin_token}` },
          },
        );
        expect(r.status).toBe(400);
        expect(((await r.json()) as { error: { code: string; message: string } }).error).toMatchObject({
          code: 'STORE_RAW_RETIRED',
          message: expect.stringContaining('kept only as daily sums'),
        });
        // The dashboard's KPIs over its presets: the previous period of the last 30 days (60 to 30 days ago) is
        // kept, that of the last 90 (180 to 90 days ago) starts in a day kept only as sums, so it is left out, not
        // the summary failed.
        const summary = async (since: string) => {
          const s = await fetch(`${server.url}/api/summary?since=${since}`, {
            headers: { authorization: `Bearer ${admin_token}` },
          });
          expect(s.status).toBe(200);
          return (await s.json()) as {
            cost_usd: string;
            previous: { cost_usd: string | null; complete: boolean };
          };
        };
        const month = await summary('30d');
        expect(month.cost_usd).toBe(formatUsd(calls[2]!.cost_usd!));
        expect(month.previous).toMatchObject({ cost_usd: formatUsd(0n), complete: true });
        const quarter = await summary('90d');
        expect(quarter.cost_usd).toBe(formatUsd(calls[2]!.cost_usd!));
        expect(quarter.previous).toMatchObject({ cost_usd: null, complete: false });
        // The rest of the dashboard over its longest range, which a retention of at least 90 days keeps whole.
        for (const route of [
          '/api/breakdown?dims=team&top=8',
          '/api/timeseries?dims=model&top=8&bucket=day',
          '/api/timeseries?dims=model&bucket=day&tz=America/New_York',
          '/api/metrics?dims=model',
          '/api/cache',
          '/api/routing/savings',
          '/api/events',
          '/api/sessions',
          '/api/blocks',
        ]) {
          const r = await fetch(`${server.url}${route}&since=90d`.replace(/^([^?]*)&/, '$1?'), {
            headers: { authorization: `Bearer ${admin_token}` },
          });
          expect([route, r.status]).toEqual([route, 200]);
        }
      } finally {
        await server.close();
      }
    } finally {
      await clickhouse.close();
    }
  });

  it("exports FOCUS over retired months as before, and counts a sender's events dated before the horizon", async () => {
    const clickhouse = await startChdbServer();
    try {
      const url = `${clickhouse.url}/retention_focus`;
      const ts = (daysAgo: number) => Date.now() * 1000 - daysAgo * DAY_US;
      const before = await createClickHouseStore(url);
      await before.append([
        makeEvent(1, { ts: ts(200) }),
        makeEvent(2, { ts: ts(150) }),
        makeEvent(3, { ts: ts(2) }),
      ]);
      // Whole UTC days, from the oldest call's to tomorrow's: a FOCUS export reaching before the horizon starts and
      // ends on whole days.
      const since = new Date(Math.floor(ts(200) / DAY_US) * (DAY_US / 1000)).toISOString();
      const until = new Date((Math.floor(ts(0) / DAY_US) + 1) * (DAY_US / 1000)).toISOString();
      const path = join(dir, 'focus-before.csv');
      await before.export({
        format: 'focus',
        path,
        since: Date.parse(since) * 1000,
        until: Date.parse(until) * 1000,
      });
      const expected = (await readFile(path, 'utf8')).trimEnd().split('\n').sort();
      await before.close();
      expect(expected.length).toBeGreaterThan(3);

      const config = join(dir, 'raw-focus.config.yaml');
      await writeFile(config, 'server:\n  raw_retention_days: 90\n');
      const logs: string[] = [];
      const otlpPort = await freePort();
      const ledger = join(dir, 'ch-focus', 'ledger');
      const server = await serve(ledger, config, logs, url, otlpPort);
      try {
        await vi.waitFor(() => expect(logs.some((l) => l.startsWith('retired 2 call(s)'))).toBe(true), {
          timeout: 30_000,
        });
        const { admin_token } = JSON.parse(await readFile(serverFilePath(ledger), 'utf8'));
        const r = await fetch(`${server.url}/api/focus?since=${since}&until=${until}`, {
          headers: { authorization: `Bearer ${admin_token}` },
        });
        expect(r.status).toBe(200);
        expect((await r.text()).trimEnd().split('\n').sort()).toEqual(expected);

        // A span stamped 200 days ago (a clock months wrong): acknowledged, then left out by the store, and said.
        const { provider, tracer } = tracerFor('skewed-app', [`http://127.0.0.1:${otlpPort}`]);
        const span = tracer.startSpan('chat gpt-4o-mini', {
          startTime: new Date(ts(200) / 1000),
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 300,
            'gen_ai.usage.output_tokens': 30,
          },
        });
        span.end(new Date(ts(200) / 1000 + 1000));
        await provider.forceFlush();
        await provider.shutdown();
        await vi.waitFor(
          async () =>
            expect(await (await fetch(`${server.url}/metrics`)).text()).toContain(
              'tokenledger_wal_retired_events_total 1\n',
            ),
          { timeout: 30_000, interval: 200 },
        );
        expect(logs).toContainEqual(
          expect.stringMatching(/^warning: 1 acknowledged event\(s\) dated before the ledger's raw horizon/),
        );
        expect(await server.store.count()).toBe(1);
      } finally {
        await server.close();
      }
    } finally {
      await clickhouse.close();
    }
  });

  it('refuses to start on a DuckDB ledger, which keeps every call', async () => {
    const config = join(dir, 'raw-duck.config.yaml');
    await writeFile(config, 'server:\n  raw_retention_days: 90\n');
    await expect(serve(join(dir, 'duck.duckdb'), config, [])).rejects.toMatchObject({
      code: 'CFG_INVALID',
      message: expect.stringContaining('raw retention needs a ClickHouse ledger'),
    });
  });
});

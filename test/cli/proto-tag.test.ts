/**
 * A tag may be named anything, `__proto__` too: a key a JavaScript object assignment would turn into a prototype
 * change. Imported from JSONL and CSV, sent in a gateway header or metadata, or carried between the CLI and a running
 * server, it is kept and reported like any other tag.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/gateway/attribution.js';
import { loadBundledCatalog } from '../../src/pricing/bundled-catalog.js';
import { createPricer } from '../../src/pricing/pricer.js';
import { createApi } from '../../src/server/api/api.js';
import { fromExactJson, toExactJson } from '../../src/server/api/exact-json.js';
import { fileLedgerRecords } from '../../src/server/ledger-records.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Store } from '../../src/store/store.js';
import { runCli } from '../helpers/run-cli.js';

const ADMIN = 'admin-token-for-the-proto-tag-test';
let dir: string;
let db: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-proto-tag-'));
  db = join(dir, 'ledger.duckdb');
  const jsonl = join(dir, 'a.jsonl');
  const csv = join(dir, 'b.csv');
  await writeFile(
    jsonl,
    '{"ts":"2026-11-03T09:00:00Z","model":"gpt-4o","input_tokens":10,"output_tokens":5,"tags":{"__proto__":"from-jsonl","app":"web"}}\n',
  );
  await writeFile(
    csv,
    'ts,model,input_tokens,output_tokens,tag.__proto__,tag.app\n2026-11-03T10:00:00Z,gpt-4o,10,5,from-csv,api\n',
  );
  for (const [format, file] of [
    ['jsonl', jsonl],
    ['csv', csv],
  ] as const) {
    const r = await runCli(['import', format, file, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a tag named __proto__', () => {
  it('is imported from JSONL and CSV and reported by the CLI', async () => {
    const events = await runCli(['events', '--db', db, '--format', 'jsonl']);
    expect(events.code, events.stderr).toBe(0);
    const tags = events.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).tags);
    expect(tags).toEqual([
      JSON.parse('{"__proto__":"from-csv","app":"api"}'),
      JSON.parse('{"__proto__":"from-jsonl","app":"web"}'),
    ]);
    const report = await runCli([
      'report',
      '--db',
      db,
      '--by',
      'tag.__proto__',
      '--since',
      '2026-11-01',
      '--format',
      'json',
    ]);
    expect(report.code, report.stderr).toBe(0);
    const rows = JSON.parse(report.stdout).rows as { 'tag.__proto__': string | null }[];
    expect(rows.map((r) => r['tag.__proto__']).sort()).toEqual(['from-csv', 'from-jsonl']);
  });

  describe('through the API', () => {
    let store: Store;
    let server: Server;
    let base: string;
    beforeAll(async () => {
      store = await createDuckDbStore(db);
      const api = createApi({
        store,
        ledgerPath: db,
        records: fileLedgerRecords(db),
        adminToken: ADMIN,
        pricer: createPricer(await loadBundledCatalog(), null),
      });
      server = createServer((req, res) => {
        if (!api.handle(req, res, (req.url ?? '/').split('?')[0]!)) res.writeHead(404).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
      await store.close();
    });
    const get = async (path: string) => {
      const r = await fetch(base + path, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(r.status).toBe(200);
      return r.json() as Promise<Record<string, unknown>>;
    };

    it('is in each event of /api/events and a dimension of /api/breakdown', async () => {
      const range = 'since=2026-11-01&until=2026-11-05';
      const { events } = (await get(`/api/events?${range}`)) as {
        events: { tags: Record<string, string> }[];
      };
      expect(events.map((e) => Object.entries(e.tags))).toEqual([
        [
          ['__proto__', 'from-csv'],
          ['app', 'api'],
        ],
        [
          ['__proto__', 'from-jsonl'],
          ['app', 'web'],
        ],
      ]);
      const { rows } = (await get(`/api/breakdown?${range}&dims=tag.__proto__`)) as {
        rows: Record<string, string>[];
      };
      expect(rows.map((r) => r['tag.__proto__']).sort()).toEqual(['from-csv', 'from-jsonl']);
    });
  });

  it('crosses between the CLI and a running server as a key, not a prototype', () => {
    const tags = JSON.parse('{"__proto__":"x","$bigint":"12"}');
    const back = fromExactJson(JSON.parse(JSON.stringify(toExactJson({ tags, cost: 5n })))) as {
      tags: Record<string, string>;
      cost: bigint;
    };
    expect(back).toEqual({ tags, cost: 5n });
    expect(Object.keys(back.tags)).toEqual(['__proto__', '$bigint']);
    expect(Object.getPrototypeOf(back.tags)).toBe(Object.prototype);
  });

  it('is taken from the gateway tags header and from request metadata', () => {
    const fromHeader = attribute(null, { 'x-tokenledger-tags': '__proto__=h,app=web' }, {});
    expect(Object.entries(fromHeader.tags)).toEqual([
      ['__proto__', 'h'],
      ['app', 'web'],
    ]);
    const fromMetadata = attribute(null, {}, { metadata: JSON.parse('{"__proto__":"m"}') });
    expect(Object.entries(fromMetadata.tags)).toEqual([['__proto__', 'm']]);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../ledger/event.js';
import { createDuckDbStore } from '../duckdb/duckdb-store.js';
import { runFocusExportSuite } from '../focus-export.case.test.js';
import type { ExportResult, Store } from '../store.js';
import { CARDS, DAY, HOUR, makeEvent, randomEvents, T0 } from '../testing/event-factory.js';
import { ClickHouseSql } from './clickhouse-sql.js';
import { createClickHouseStore } from './clickhouse-store.js';
import { markWritten } from './rollup.js';
import { startChdbServer } from './testing/chdb-server.js';

// ClickHouse's engine (chDB) behind its HTTP interface, as clickhouse-store.test.ts has it; a database per store.
let server: Awaited<ReturnType<typeof startChdbServer>>;
let databases = 0;
const freshUrl = () => `${server.url}/focus_${++databases}`;

beforeAll(async () => {
  server = await startChdbServer();
});
afterAll(async () => {
  await server.close();
});

runFocusExportSuite('clickhouse', () => createClickHouseStore(freshUrl()));

/** A CSV's records (a quoted cell may hold a line break), its header first. */
function records(csv: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    if (csv[i] === '"') quoted = !quoted;
    else if (csv[i] === '\n' && !quoted) {
      out.push(csv.slice(start, i));
      start = i + 1;
    }
  }
  expect(csv.slice(start), 'the file ends with a whole record').toBe('');
  return out;
}

interface Exported {
  header: string;
  rows: string[];
  result: ExportResult;
  text: string;
}

/**
 * Both stores' FOCUS files of `events` over each of `ranges`: the header, the rows sorted, and what each export
 * returned. Each store takes the events once and writes every range from them.
 */
async function bothExports(
  events: UsageEvent[],
  ranges: { since?: number; until?: number }[] = [{}],
): Promise<{ duckdb: Exported; clickhouse: Exported }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-focus-both-'));
  const byStore: Exported[][] = [];
  for (const [name, make] of [
    ['duckdb', () => createDuckDbStore(':memory:')],
    ['clickhouse', () => createClickHouseStore(freshUrl())],
  ] as const) {
    const store: Store = await make();
    await store.append(events);
    const exported: Exported[] = [];
    for (const [i, range] of ranges.entries()) {
      const path = join(dir, `${name}-${i}.csv`);
      const result = await store.export({ format: 'focus', path, ...range });
      const text = readFileSync(path, 'utf8');
      const [header, ...rows] = records(text);
      exported.push({ header: header!, rows: rows.sort(), result, text });
    }
    await store.close();
    byStore.push(exported);
  }
  return ranges.map((_, i) => ({ duckdb: byStore[0]![i]!, clickhouse: byStore[1]![i]! }));
}

/**
 * Given costs, a group each (a team of their own): priced per token, per request, or by nothing; a credit; one past
 * 2^64 pico-dollars; one with a card.
 */
const given = (n: number, o: Partial<UsageEvent>) =>
  makeEvent(n, {
    team: `given-${n}`,
    cost_source: 'provider',
    rates: null,
    cost_usd: 4_321_987_654_321n + BigInt(n),
    cost_input: null,
    cost_cache_read: null,
    cost_cache_write: null,
    cost_output: null,
    ...o,
  });
const none = { input_tokens: 0, cache_read_tokens: 0, output_tokens: 0 };

const EDGES: UsageEvent[] = [
  // User text with everything a CSV or JSON writer escapes, or could: quotes, commas, `#`, line breaks, control
  // characters, slashes, backslashes (one spelling U+2028's escape), U+2028 and U+2029, non-ASCII, empty strings.
  makeEvent(9001, {
    team: 'a"b,c#d\ne\r\tf\u0001\u007f/g\\h\\u2028i\u2028j\u2029k',
    user: 'é😀 ',
    project: '',
    org: '',
    agent: '{"x": [1]}',
  }),
  makeEvent(9008, { project: 'repo#7' }),
  makeEvent(9002, { provider: null, model: 'gpt-5', rates: CARDS.gpt, service_tier: 'flex' }),
  makeEvent(9003, { provider: 'selfhost', model: 'mystery-7b', rates: CARDS.ties, web_search_requests: 3 }),
  // Two providers named alike (Google), so rows tie on ProviderName and the model decides.
  makeEvent(9004, { provider: 'google', model: 'gemini-2.5-pro', rates: CARDS.discounted }),
  makeEvent(9005, { provider: 'gemini', model: 'gemini-2.5-pro', rates: CARDS.discounted }),
  makeEvent(9006, { cost_source: 'estimated', rates: CARDS.gpt, audio_ms: 7_919_001 }),
  makeEvent(9007, { input_tokens: 5, input_audio_tokens: 2, input_image_tokens: 3, rates: CARDS.ties }),
  given(9010, {}),
  given(9011, { ...none, requests: 3 }),
  given(9012, { ...none, requests: 0 }),
  given(9013, { cost_usd: -1_234_567n }),
  given(9014, { cost_usd: 123_456_789_012_345_678_901_234n, input_tokens: 7 }),
  given(9015, { rates: CARDS.sonnet }),
  // A month's last hour and the next month's first: two billing periods.
  makeEvent(9020, { ts: Date.UTC(2026, 0, 31, 23, 30) * 1000 + 17 }),
  makeEvent(9021, { ts: Date.UTC(2026, 1, 1, 0, 30) * 1000 }),
  makeEvent(9022, { rates: null, cost_source: 'unpriced', cost_usd: null }),
];

describe('FOCUS export: ClickHouse writes what DuckDB writes', () => {
  const events = [...randomEvents(3000, 17, 20), ...EDGES];

  it('the same file for the same events, row for row, and the same counts, and for ranges whose ends fall inside days and seconds', async () => {
    const ranges = [
      { since: T0 + 3 * HOUR + 123_457, until: T0 + 9 * DAY + 5 },
      { since: T0 + 15 * DAY + 999_999 },
      { until: T0 + 2 * DAY - 1 },
    ];
    const [whole, ...within] = await bothExports(events, [{}, ...ranges]);
    const { duckdb, clickhouse } = whole!;
    expect(duckdb.rows.length).toBeGreaterThan(9000);
    // The edge cases are in the file: user text with U+2028, the credit, the given cost past 2^64 pico-dollars.
    for (const text of ['\u2028', ',-0.000001234567,', ',123456789012.345678901234,'])
      expect(duckdb.text.includes(text), text).toBe(true);
    expect(clickhouse.header).toBe(duckdb.header);
    expect(clickhouse.rows).toEqual(duckdb.rows);
    expect(clickhouse.result).toEqual(duckdb.result);
    expect(duckdb.result).toMatchObject({ rows: duckdb.rows.length, unpriced: { events: 612 } });
    for (const [i, range] of ranges.entries()) {
      const { duckdb, clickhouse } = within[i]!;
      expect(duckdb.rows.length, JSON.stringify(range)).toBeGreaterThan(100);
      expect(clickhouse.rows, JSON.stringify(range)).toEqual(duckdb.rows);
      expect(clickhouse.result, JSON.stringify(range)).toEqual(duckdb.result);
    }
  });

  it('the header alone for nothing priced', async () => {
    const { duckdb, clickhouse } = (await bothExports([EDGES.at(-1)!]))[0]!;
    expect(clickhouse.text).toBe(duckdb.text);
    expect(clickhouse.result).toEqual({ rows: 0, unpriced: { events: 1, tokens: 30_322 } });
  });
});

describe('FOCUS export: the day tables', () => {
  const events = randomEvents(600, 9, 6); // 2026-01-05 to 2026-01-10, every day ended
  const day3 = T0 + 3 * DAY;
  const ofDay3 = (e: UsageEvent) => e.ts >= day3 && e.ts < day3 + DAY;

  /** The rows of a FOCUS file of `store`, sorted. */
  async function focusRows(store: Store, path: string): Promise<string[]> {
    await store.export({ format: 'focus', path });
    return records(readFileSync(path, 'utf8')).slice(1).sort();
  }

  it('reads each ended day from its build until a write marks it, then builds it again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-focus-days-'));
    const url = freshUrl();
    const store = await createClickHouseStore(url);
    await store.append(events);
    const reference = await createDuckDbStore(':memory:');
    await reference.append(events);
    const all = await focusRows(reference, join(dir, 'all.csv'));
    await reference.close();

    expect(await focusRows(store, join(dir, 'cold.csv'))).toEqual(all);
    const sql = await ClickHouseSql.open(url);
    const builtDays = async () =>
      (
        await sql.rows(
          'reading built days',
          'SELECT DISTINCT toYYYYMMDD(day) AS d FROM focus_days ORDER BY d',
        )
      ).map((r) => Number(r.d));
    expect(await builtDays()).toEqual([20260105, 20260106, 20260107, 20260108, 20260109, 20260110]);

    // A day's events gone behind the ledger's back (no write marks it): the export still reads the day's build.
    await sql.run(
      'deleting a day unmarked',
      `ALTER TABLE events DELETE WHERE ts >= fromUnixTimestamp64Micro({from:Int64}, 'UTC')
         AND ts < fromUnixTimestamp64Micro({to:Int64}, 'UTC') SETTINGS mutations_sync = 2`,
      { from: day3, to: day3 + DAY },
    );
    expect(await focusRows(store, join(dir, 'warm.csv'))).toEqual(all);

    // Marked written, the day is built again from what its events are now.
    await markWritten(sql, [day3]);
    await sql.close();
    const without = await createDuckDbStore(':memory:');
    await without.append(events.filter((e) => !ofDay3(e)));
    const expected = await focusRows(without, join(dir, 'without.csv'));
    await without.close();
    expect(expected.length).toBeLessThan(all.length);
    expect(await focusRows(store, join(dir, 'rebuilt.csv'))).toEqual(expected);
    await store.close();
  });
});

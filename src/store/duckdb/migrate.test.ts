import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { repriceWith } from '../../ingest/reprice.js';
import { loadPricer } from '../../pricing/load.js';
import type { Pricer } from '../../pricing/pricer.js';
import { unpricedEvent } from '../../pricing/unpriced-event.js';
import type { Query } from '../query.js';
import type { Store } from '../store.js';
import { freshLedgerPath, sql } from '../testing/ledger-file.js';
import { createDuckDbStore } from './duckdb-store.js';
import { SCHEMA_VERSION } from './schema.js';

/** Ledgers that tokenledger wrote at schemas 5 and 6, exported as text (test/fixtures/ledger-schema-N/README.md). */
const fixture = (version: number) =>
  fileURLToPath(new URL(`../../../test/fixtures/ledger-schema-${version}`, import.meta.url));
const FIXTURE = fixture(5);

/** A new ledger file holding exactly what the schema-N fixture holds, loaded by DuckDB alone. */
async function ledgerAt(version: number): Promise<string> {
  const dir = fixture(version);
  const path = freshLedgerPath('tl-migrate-');
  const load = readFileSync(`${dir}/load.sql`, 'utf8').replaceAll('{{DIR}}', dir);
  await sql(path, readFileSync(`${dir}/schema.sql`, 'utf8'), load);
  return path;
}
const schema5Ledger = () => ledgerAt(5);

/** The report's total cost and searches from the rollup, and the same from raw events (route_id is not in it). */
async function totals(store: Store) {
  const q: Query = { dimensions: [] };
  const [rolled, raw] = await Promise.all([
    store.query(q),
    store.query({ ...q, filters: [{ dimension: 'route_id', values: [null] }] }),
  ]);
  return {
    rollup: [rolled.totals.cost_usd, rolled.totals.web_search_requests],
    raw: [raw.totals.cost_usd, raw.totals.web_search_requests],
  };
}

const LAYOUT = `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
  WHERE table_name IN ('events', 'rate_cards', 'rollup_day', 'rollup_team', 'rollup_session')
  ORDER BY table_name, ordinal_position`;

/** The migrated file at `path` records today's version and has the layout of a file created new. */
async function expectCurrentSchema(path: string): Promise<void> {
  expect(await sql(path, "SELECT value FROM meta WHERE key = 'schema_version'")).toEqual([
    [String(SCHEMA_VERSION)],
  ]);
  const fresh = freshLedgerPath('tl-migrate-new-');
  await (await createDuckDbStore(fresh)).close();
  expect(await sql(path, LAYOUT)).toEqual(await sql(fresh, LAYOUT));
}

let pricer: Pricer;
beforeAll(async () => {
  pricer = await loadPricer({ cwd: FIXTURE, env: {} });
});

describe('migrating a schema-5 ledger to schema 6 (web searches)', () => {
  it('keeps every cost as it was, moves the usage report tag into the count, and lays the file out as a new one', async () => {
    const path = await schema5Ledger();
    expect(await sql(path, "SELECT value FROM meta WHERE key = 'schema_version'")).toEqual([['5']]);

    const store = await createDuckDbStore(path);
    const events = await store.events({ limit: 10 });
    expect(events.map((e) => [e.event_id, e.web_search_requests, e.cost_usd, e.rates?.web_search])).toEqual([
      ['00000000000000c3', 0, 45_000_000_000n, 0n],
      ['00000000000000c2', 0, 20_000_000_000n, 0n],
      ['00000000000000c1', 0, 11_100_000_000n, 0n],
      // The usage report's 10 searches, a tag until now, are counted; its cost is what it was billed, no fee yet.
      ['bb8a7adc71b49c97', 10, 19_935_000_000n, 0n],
    ]);
    // 11,100,000,000 + 20,000,000,000 + 45,000,000,000 + 19,935,000,000, from the rollup and from events.
    expect(await totals(store)).toEqual({
      rollup: [96_035_000_000n, 10],
      raw: [96_035_000_000n, 10],
    });
    await store.close();

    await expectCurrentSchema(path);
  });

  it('takes new calls with web searches after the migration, their fee in the rollup and the raw report alike', async () => {
    const path = await schema5Ledger();
    const store = await createDuckDbStore(path);
    // Sonnet 4.5 on the fixture's first day: 1,000 × $3 + 500 × $15 per 1M = $0.0105, + 3 searches × $0.01 = $0.0405.
    const searched = pricer.price(
      unpricedEvent({
        event_id: '00000000000000d1',
        source: 'jsonl',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        ts: Date.parse('2026-03-02T05:00:00Z') * 1000,
        team: 'core',
        user: 'ana',
        session_id: 's1',
        input_tokens: 1000,
        output_tokens: 500,
        web_search_requests: 3,
      }),
    );
    expect(searched.cost_usd).toBe(40_500_000_000n);
    expect(await store.append([searched])).toMatchObject({ inserted: 1, duplicates: 0 });
    // 96,035,000,000 before + 40,500,000,000; 10 searches before + 3.
    expect(await totals(store)).toEqual({
      rollup: [136_535_000_000n, 13],
      raw: [136_535_000_000n, 13],
    });
    await store.close();
    const again = await createDuckDbStore(path);
    expect(await totals(again)).toEqual({
      rollup: [136_535_000_000n, 13],
      raw: [136_535_000_000n, 13],
    });
    await again.close();
  });

  it('a reprice adds the web search fee to the usage report priced without it, and audits the change', async () => {
    const path = await schema5Ledger();
    const store = await createDuckDbStore(path);
    const now = Date.parse('2026-04-01T00:00:00Z') * 1000;
    const summary = await store.reprice({}, repriceWith(pricer), now);
    // Only the event with searches changes: 19,935,000,000 + 10 × $0.01 (10,000,000,000 each) = 119,935,000,000.
    expect(summary).toEqual({
      examined: 4,
      changed: 1,
      old_cost_usd: 96_035_000_000n,
      new_cost_usd: 196_035_000_000n,
      old_unpriced: 0,
      new_unpriced: 0,
    });
    const audit = await store.repriceAudit();
    expect(audit).toMatchObject([
      {
        event_id: 'bb8a7adc71b49c97',
        old_price_version: 'genai-prices@0.1.8',
        new_price_version: 'genai-prices@0.1.8',
        old_cost_usd: 19_935_000_000n,
        new_cost_usd: 119_935_000_000n,
      },
    ]);
    const repriced = (await store.events({ limit: 10 })).find((e) => e.event_id === 'bb8a7adc71b49c97')!;
    expect(repriced).toMatchObject({
      web_search_requests: 10,
      cost_input: 4_500_000_000n,
      cost_cache_read: 60_000_000n,
      cost_cache_write: 7_875_000_000n,
      cost_output: 7_500_000_000n,
      cost_usd: 119_935_000_000n,
      rates: expect.objectContaining({ web_search: 10n * 10n ** 18n }),
    });
    // The rollup days are rebuilt: the report reads the new total both ways, and as billed before the reprice.
    expect(await totals(store)).toEqual({
      rollup: [196_035_000_000n, 10],
      raw: [196_035_000_000n, 10],
    });
    const billed = await store.query({ dimensions: [], billed: true });
    expect(billed.totals.billed_cost_usd).toBe(96_035_000_000n);
    await store.close();
  });
});

/** The report's total cost and the input and output parts of `kind`, from the rollup and from raw events. */
async function partTotals(store: Store, kind: 'audio' | 'image') {
  const q: Query = { dimensions: [] };
  const [rolled, raw] = await Promise.all([
    store.query(q),
    store.query({ ...q, filters: [{ dimension: 'route_id', values: [null] }] }),
  ]);
  const of = (t: typeof rolled.totals) => [t.cost_usd, t[`input_${kind}_tokens`], t[`output_${kind}_tokens`]];
  return { rollup: of(rolled.totals), raw: of(raw.totals) };
}
const audioTotals = (store: Store) => partTotals(store, 'audio');
const imageTotals = (store: Store) => partTotals(store, 'image');

const GPT_AUDIO_EVENT = 'a7a098b2715a99ff';

describe('migrating a schema-6 ledger to schema 7 (audio tokens)', () => {
  it('keeps every cost as it was, moves the usage export audio tags into the counts, and lays the file out as a new one', async () => {
    const path = await ledgerAt(6);
    expect(await sql(path, "SELECT value FROM meta WHERE key = 'schema_version'")).toEqual([['6']]);

    const store = await createDuckDbStore(path);
    const byId = new Map((await store.events({ limit: 10 })).map((e) => [e.event_id, e]));
    // The gpt-audio result kept its audio counts as tags and was priced at the text rates ($2.50 / $10 per 1M):
    // 12,000 × 2.5 + 3,000 × 10 = $0.06. Its counts are now the columns; its cost and its card are what they were,
    // the card's audio rates its text rates.
    expect(byId.get(GPT_AUDIO_EVENT)).toMatchObject({
      input_tokens: 12_000,
      input_audio_tokens: 8_000,
      output_tokens: 3_000,
      output_audio_tokens: 2_000,
      cost_usd: 60_000_000_000n,
      rates: expect.objectContaining({
        input: 2_500_000_000_000_000_000n,
        input_audio: 2_500_000_000_000_000_000n,
        output: 10_000_000_000_000_000_000n,
        output_audio: 10_000_000_000_000_000_000n,
      }),
    });
    expect(byId.get('00000000000000c1')).toMatchObject({ input_audio_tokens: 0, cost_usd: 11_100_000_000n });
    // 11,100,000,000 + 20,000,000,000 + 45,000,000,000 + 60,000,000,000, from the rollup and from events.
    expect(await audioTotals(store)).toEqual({
      rollup: [136_100_000_000n, 8_000, 2_000],
      raw: [136_100_000_000n, 8_000, 2_000],
    });
    await store.close();

    await expectCurrentSchema(path);
  });

  it('a reprice prices the audio at the audio rates, and audits the change', async () => {
    const path = await ledgerAt(6);
    const store = await createDuckDbStore(path);
    const summary = await store.reprice({}, repriceWith(pricer), Date.parse('2026-04-01T00:00:00Z') * 1000);
    // gpt-audio at $32 / $64 per 1M audio tokens: input 4,000 × 2.5 + 8,000 × 32 = $0.266, output 1,000 × 10 +
    // 2,000 × 64 = $0.138: $0.404 where $0.06 was billed.
    expect(summary).toEqual({
      examined: 4,
      changed: 1,
      old_cost_usd: 136_100_000_000n,
      new_cost_usd: 480_100_000_000n,
      old_unpriced: 0,
      new_unpriced: 0,
    });
    const repriced = (await store.events({ limit: 10 })).find((e) => e.event_id === GPT_AUDIO_EVENT)!;
    expect(repriced).toMatchObject({
      cost_input: 266_000_000_000n,
      cost_output: 138_000_000_000n,
      cost_usd: 404_000_000_000n,
      rates: expect.objectContaining({
        input_audio: 32_000_000_000_000_000_000n,
        output_audio: 64_000_000_000_000_000_000n,
      }),
    });
    expect(await audioTotals(store)).toEqual({
      rollup: [480_100_000_000n, 8_000, 2_000],
      raw: [480_100_000_000n, 8_000, 2_000],
    });
    await store.close();
  });
});

describe('migrating a schema-7 ledger to schema 8 (billed cost unknown)', () => {
  it('an event repriced from unpriced, billed "$0" until now, is unknown as billed; a real $0 call stays $0', async () => {
    const path = await ledgerAt(7);
    expect(await sql(path, "SELECT value FROM meta WHERE key = 'schema_version'")).toEqual([['7']]);
    // What schema 7 wrote for the Acme call, unpriced when imported and priced by a reprice since: billed 0.
    expect(await sql(path, 'SELECT event_id, billed_cost_usd FROM events ORDER BY event_id')).toEqual([
      [0xd1n, 0n],
      [0xd2n, null],
      [0xd3n, null],
    ]);

    const store = await createDuckDbStore(path);
    // By team over whole days (the rollup) and from the events (route_id is in no rollup): cost, billed, billed unknown.
    const q: Query = { dimensions: ['team'], billed: true };
    const [rolled, raw] = await Promise.all([
      store.query(q),
      store.query({ ...q, filters: [{ dimension: 'route_id', values: [null] }] }),
    ]);
    expect(raw).toEqual(rolled);
    expect(
      rolled.rows.map((r) => [r.dims.team, r.cost_usd, r.billed_cost_usd, r.billed_unpriced_events]),
    ).toEqual([
      // $1 + $2 per 1M for 1M in and out since the reprice; no price when billed.
      ['a', 3_000_000_000_000n, 0n, 1],
      // gpt-4o, 1M input × $2.50, billed so.
      ['b', 2_500_000_000_000n, 2_500_000_000_000n, 0],
      // No tokens: $0, and billed $0.
      ['c', 0n, 0n, 0],
    ]);
    expect([rolled.totals.billed_cost_usd, rolled.totals.billed_unpriced_events]).toEqual([
      2_500_000_000_000n,
      1,
    ]);
    // A reprice after the migration keeps it unknown.
    await store.reprice({}, repriceWith(pricer), Date.parse('2026-04-01T00:00:00Z') * 1000);
    const again = await store.query(q);
    expect(again.totals.billed_unpriced_events).toBe(1);
    expect(again.totals.billed_cost_usd).toBe(2_500_000_000_000n);
    await store.close();

    await expectCurrentSchema(path);
  });
});

const usdPerM = (usd: bigint) => usd * 10n ** 18n;

describe('migrating a schema-8 ledger to schema 9 (image tokens)', () => {
  it('keeps every cost as it was, counts no image tokens before, and lays the file out as a new one', async () => {
    const path = await ledgerAt(8);
    expect(await sql(path, "SELECT value FROM meta WHERE key = 'schema_version'")).toEqual([['8']]);

    const store = await createDuckDbStore(path);
    const byId = new Map((await store.events({ limit: 10 })).map((e) => [e.event_id, e]));
    // gpt-image-1 as schema 8 priced it, every token as text: 1,000 × $5 + 4,160 × $40 per 1M = $0.1714. Its card's
    // image rates are its text rates, so its cost holds.
    expect(byId.get('00000000000000e1')).toMatchObject({
      input_image_tokens: 0,
      output_image_tokens: 0,
      cost_usd: 171_400_000_000n,
      rates: expect.objectContaining({
        input: usdPerM(5n),
        input_image: usdPerM(5n),
        output: usdPerM(40n),
        output_image: usdPerM(40n),
      }),
    });
    // The audio call keeps its audio counts and price: 4,000 × 2.5 + 8,000 × 32 + 1,000 × 10 + 2,000 × 64 = $0.404.
    expect(byId.get('00000000000000e2')).toMatchObject({
      input_audio_tokens: 8_000,
      output_audio_tokens: 2_000,
      cost_usd: 404_000_000_000n,
    });
    // + gpt-4o's 1M input × $2.50.
    expect(await imageTotals(store)).toEqual({
      rollup: [171_400_000_000n + 404_000_000_000n + 2_500_000_000_000n, 0, 0],
      raw: [171_400_000_000n + 404_000_000_000n + 2_500_000_000_000n, 0, 0],
    });
    await store.close();

    await expectCurrentSchema(path);
  });

  it('takes calls with image tokens after the migration, priced at the image rates in the rollup and the raw report alike', async () => {
    const path = await ledgerAt(8);
    const store = await createDuckDbStore(path);
    // gpt-image-1: 400 text × $5 + 600 image × $10 per 1M input, 4,160 image output × $40 (its image output rate is
    // its output rate): $0.0020 + $0.0060 + $0.1664 = $0.1744.
    const edited = pricer.price(
      unpricedEvent({
        event_id: '00000000000000e4',
        source: 'gateway',
        provider: 'openai',
        model: 'gpt-image-1',
        operation: 'image',
        ts: Date.parse('2026-03-02T11:00:00Z') * 1000,
        team: 'a',
        user: 'ann',
        input_tokens: 1000,
        input_image_tokens: 600,
        output_tokens: 4160,
        output_image_tokens: 4160,
      }),
    );
    expect([edited.cost_input, edited.cost_output, edited.cost_usd]).toEqual([
      8_000_000_000n,
      166_400_000_000n,
      174_400_000_000n,
    ]);
    expect(await store.append([edited])).toMatchObject({ inserted: 1, duplicates: 0 });
    const total = 171_400_000_000n + 404_000_000_000n + 2_500_000_000_000n + 174_400_000_000n;
    expect(await imageTotals(store)).toEqual({ rollup: [total, 600, 4160], raw: [total, 600, 4160] });
    await store.close();
    const again = await createDuckDbStore(path);
    expect(await imageTotals(again)).toEqual({ rollup: [total, 600, 4160], raw: [total, 600, 4160] });
    await again.close();
  });
});

/** Cost and audio billed by its duration from the rollup and from raw events (route_id is in no rollup). */
async function durationTotals(store: Store) {
  const q: Query = { dimensions: [] };
  const [rolled, raw] = await Promise.all([
    store.query(q),
    store.query({ ...q, filters: [{ dimension: 'route_id', values: [null] }] }),
  ]);
  const of = (r: typeof rolled) => [r.totals.cost_usd, r.totals.audio_ms, r.unpriced.events];
  return { rollup: of(rolled), raw: of(raw) };
}

describe('migrating a schema-9 ledger to schema 10 (audio billed by its duration)', () => {
  // gpt-image-1 (400 × $5 + 600 × $10 + 4,160 × $40 per 1M), whisper-1 recorded with no usage ($0), gpt-4o
  // (1M × $2.50).
  const before = 174_400_000_000n + 0n + 2_500_000_000_000n;

  it('keeps every cost as it was, counts no audio duration before, and lays the file out as a new one', async () => {
    const path = await ledgerAt(9);
    expect(await sql(path, "SELECT value FROM meta WHERE key = 'schema_version'")).toEqual([['9']]);

    const store = await createDuckDbStore(path);
    const byId = new Map((await store.events({ limit: 10 })).map((e) => [e.event_id, e]));
    expect(byId.get('00000000000000f1')).toMatchObject({
      input_image_tokens: 600,
      audio_ms: 0,
      cost_usd: 174_400_000_000n,
      rates: expect.objectContaining({ input_image: usdPerM(10n), audio_hour: 0n }),
    });
    // The transcription schema 9 could only record as a call of nothing: $0 on a card with no rate per hour.
    expect(byId.get('00000000000000f2')).toMatchObject({
      model: 'whisper-1',
      audio_ms: 0,
      cost_usd: 0n,
      cost_source: 'computed',
      rates: expect.objectContaining({ input: 0n, audio_hour: 0n }),
    });
    expect(await durationTotals(store)).toEqual({ rollup: [before, 0, 0], raw: [before, 0, 0] });
    await store.close();
    expect(
      await sql(
        path,
        'SELECT DISTINCT audio_hour, audio_hour_a, audio_hour_b1, audio_hour_b0 FROM rate_cards',
      ),
    ).toEqual([[0n, 0n, 0n, 0n]]);

    await expectCurrentSchema(path);
  });

  it('takes transcriptions after the migration, priced at the rate per hour in the rollup and the raw report alike', async () => {
    const path = await ledgerAt(9);
    const store = await createDuckDbStore(path);
    const whisper = (event_id: string, audio_ms: number, output_tokens = 0) =>
      pricer.price(
        unpricedEvent({
          event_id,
          source: 'gateway',
          provider: 'openai',
          model: 'whisper-1',
          operation: 'audio.transcriptions',
          ts: Date.parse('2026-03-02T11:00:00Z') * 1000,
          team: 'b',
          user: 'bob',
          audio_ms,
          output_tokens,
        }),
      );
    // 9 s × $0.36 per hour = $0.0009; 1.5 s = $0.00015; one with output tokens, which whisper-1 has no price for.
    const priced = [whisper('00000000000000f4', 9_000), whisper('00000000000000f5', 1_500)];
    const unpriced = whisper('00000000000000f6', 4_000, 12);
    expect(priced.map((e) => e.cost_usd)).toEqual([900_000_000n, 150_000_000n]);
    expect(unpriced.cost_usd).toBeNull();
    expect(await store.append([...priced, unpriced])).toMatchObject({ inserted: 3, duplicates: 0 });
    const total = before + 900_000_000n + 150_000_000n;
    const want = { rollup: [total, 14_500, 1], raw: [total, 14_500, 1] };
    expect(await durationTotals(store)).toEqual(want);
    // A reprice changes nothing: the old transcription has no duration to price, the new ones are priced already.
    const summary = await store.reprice({}, repriceWith(pricer), Date.parse('2026-04-01T00:00:00Z') * 1000);
    expect(summary).toMatchObject({ changed: 0 });
    await store.close();
    const again = await createDuckDbStore(path);
    expect(await durationTotals(again)).toEqual(want);
    await again.close();
  });
});

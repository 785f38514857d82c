/**
 * What every store's FOCUS export (docs/focus.md) keeps: the suite store/duckdb/focus-export.test.ts and
 * store/clickhouse/focus-export.test.ts run. The rules are checked against 3,000 varied events, as the dataset's own
 * statement of them (charges below), not against another store's file (clickhouse/focus-export.test.ts does that).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import type { UsageEvent } from '../ledger/event.js';
import { divRoundHalfEven, parseDecimal } from '../money/money.js';
import { SEARCH_RATE_TO_MILLION } from '../pricing/cost.js';
import { FOCUS_COLUMNS, FOCUS_TYPES } from './focus/dataset.js';
import type { Store } from './store.js';
import { CARDS, DAY, makeEvent, randomEvents, T0 } from './testing/event-factory.js';

type FocusRow = Record<(typeof FOCUS_COLUMNS)[number], string | null>;

/**
 * Writes `events` to a fresh ledger, exports FOCUS, and reads the CSV back (every value as text, '' as null), with
 * DuckDB's CSV reader whichever store wrote it. With `parquet`, the same ledger's Parquet export too, read back by
 * DuckDB: its column types, and every value as text.
 */
async function exportOf(
  makeStore: () => Promise<Store>,
  events: UsageEvent[],
  range: { since?: number; until?: number } = {},
  o: { parquet?: boolean } = {},
) {
  const store = await makeStore();
  await store.append(events);
  const dir = mkdtempSync(join(tmpdir(), 'tl-focus-'));
  const path = join(dir, 'focus.csv');
  const result = await store.export({ format: 'focus', path, ...range });
  const parquetPath = join(dir, 'focus.parquet');
  const parquetResult = o.parquet
    ? await store.export({ format: 'focus-parquet', path: parquetPath, ...range })
    : null;
  await store.close();
  const c = await (await DuckDBInstance.create(':memory:')).connect();
  const read = await c.runAndReadAll(`SELECT * FROM read_csv('${path}', all_varchar = true, header = true)`);
  const rows = read.getRowObjects().map((r) => r as unknown as FocusRow);
  const parquet = parquetResult && { result: parquetResult, ...(await readParquet(c, parquetPath)) };
  c.closeSync();
  return { result, rows, header: read.columnNames(), parquet };
}

async function readParquet(c: DuckDBConnection, path: string) {
  await c.run("SET TimeZone = 'UTC'");
  const described = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
  const types = described.getRowObjects().map((r) => String(r.column_type));
  const read = await c.runAndReadAll(
    `SELECT ${FOCUS_COLUMNS.map((col) => `CAST(${col} AS VARCHAR) AS ${col}`).join(', ')} FROM read_parquet('${path}')`,
  );
  return { types, rows: read.getRowObjects().map((r) => r as unknown as FocusRow) };
}

const E12 = 10n ** 12n;
const pico = (s: string | null) => parseDecimal(s!, 12);
const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
const round = (n: bigint) => divRoundHalfEven(n, E12);

/**
 * The charges of one priced event and what each is billed, as the dataset's rule states it (focus-export.ts): each
 * secondary charge of a part priced alone, the primary charge (text, 5-minute writes) taking the part's rest, the
 * audio fee what cost_usd has beyond the parts and the search fee.
 */
function charges(e: UsageEvent): Record<string, { quantity: number; cost: bigint }> {
  const r = e.rates!;
  const alone = (n: number, rate: bigint) => round(BigInt(n) * rate);
  const inAudio = alone(e.input_audio_tokens, r.input_audio);
  const inImage = alone(e.input_image_tokens, r.input_image);
  const outAudio = alone(e.output_audio_tokens, r.output_audio);
  const outImage = alone(e.output_image_tokens, r.output_image);
  const write1h = alone(e.cache_write_1h_tokens, r.cache_write_1h);
  const search = alone(e.web_search_requests, r.web_search * SEARCH_RATE_TO_MILLION);
  const parts = e.cost_input! + e.cost_cache_read! + e.cost_cache_write! + e.cost_output!;
  return {
    input: {
      quantity: e.input_tokens - e.input_audio_tokens - e.input_image_tokens,
      cost: e.cost_input! - inAudio - inImage,
    },
    input_audio: { quantity: e.input_audio_tokens, cost: inAudio },
    input_image: { quantity: e.input_image_tokens, cost: inImage },
    cache_read: { quantity: e.cache_read_tokens, cost: e.cost_cache_read! },
    cache_write_5m: { quantity: e.cache_write_5m_tokens, cost: e.cost_cache_write! - write1h },
    cache_write_1h: { quantity: e.cache_write_1h_tokens, cost: write1h },
    output: {
      quantity: e.output_tokens - e.output_audio_tokens - e.output_image_tokens,
      cost: e.cost_output! - outAudio - outImage,
    },
    output_audio: { quantity: e.output_audio_tokens, cost: outAudio },
    output_image: { quantity: e.output_image_tokens, cost: outImage },
    web_search: { quantity: e.web_search_requests, cost: search },
    audio_duration: { quantity: e.audio_ms, cost: e.cost_usd! - parts - search },
  };
}

const kindOf = (row: FocusRow) => row.SkuId!.split('/').at(-1)!;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export function runFocusExportSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`FOCUS export: ${name}`, () => {
    const events = randomEvents(3000, 17, 20);
    const priced = events.filter((e) => e.cost_source !== 'unpriced');
    const unpriced = events.filter((e) => e.cost_source === 'unpriced');
    let whole: ReturnType<typeof exportOf> | undefined;
    const exported = () => {
      whole ??= exportOf(makeStore, events, {}, { parquet: true });
      return whole;
    };

    it('bills every priced event to the pico-dollar, split into its charges by the stated rule', async () => {
      const { rows, result } = await exported();
      expect(result.rows).toBe(rows.length);
      expect(sum(rows.map((r) => pico(r.BilledCost)))).toBe(sum(priced.map((e) => e.cost_usd!)));
      // By model and charge, quantities and billed costs are the events' own.
      const want = new Map<string, { quantity: number; cost: bigint }>();
      const add = (key: string, quantity: number, cost: bigint) => {
        const w = want.get(key) ?? { quantity: 0, cost: 0n };
        want.set(key, { quantity: w.quantity + quantity, cost: w.cost + cost });
      };
      for (const e of priced) {
        if (e.cost_source === 'provider') add(`${e.model} usage`, 0, e.cost_usd!);
        else
          for (const [kind, c] of Object.entries(charges(e))) add(`${e.model} ${kind}`, c.quantity, c.cost);
      }
      const got = new Map<string, { quantity: number; cost: bigint }>();
      for (const r of rows) {
        const key = `${r.x_Model} ${kindOf(r)}`;
        const g = got.get(key) ?? { quantity: 0, cost: 0n };
        // Tokens and searches are counted as they are; audio in seconds, and given costs' rows are not compared here.
        const quantity =
          kindOf(r) === 'usage'
            ? 0
            : kindOf(r) === 'audio_duration'
              ? Number(parseDecimal(r.ConsumedQuantity!, 3))
              : Number(r.ConsumedQuantity);
        got.set(key, { quantity: g.quantity + quantity, cost: g.cost + pico(r.BilledCost) });
      }
      for (const [key, w] of want) if (w.quantity === 0 && w.cost === 0n) want.delete(key);
      expect(got).toEqual(want);
      // The random events hold every charge.
      expect(new Set(rows.map(kindOf))).toEqual(
        new Set([...Object.keys(charges(priced.find((e) => e.rates)!)), 'usage']),
      );
    });

    it('leaves out events without a price, and counts them', async () => {
      const { rows, result } = await exported();
      expect(unpriced.length).toBeGreaterThan(100);
      expect(rows.some((r) => r.x_Model === 'mystery-7b')).toBe(false);
      const tokens = (e: UsageEvent) =>
        e.input_tokens +
        e.cache_read_tokens +
        e.cache_write_5m_tokens +
        e.cache_write_1h_tokens +
        e.output_tokens;
      expect(result.unpriced).toEqual({
        events: unpriced.length,
        tokens: unpriced.reduce((s, e) => s + tokens(e), 0),
      });
    });

    it('keeps the FOCUS rules: list and contracted cost are unit price × pricing quantity, exactly', async () => {
      const { rows, header } = await exported();
      expect(header).toEqual([...FOCUS_COLUMNS]);
      for (const r of rows) {
        for (const c of [
          'BilledCost',
          'BillingAccountId',
          'BillingCurrency',
          'ChargeCategory',
          'ChargePeriodStart',
          'ChargePeriodEnd',
          'BillingPeriodStart',
          'BillingPeriodEnd',
          'ContractedCost',
          'EffectiveCost',
          'InvoiceIssuerName',
          'ListCost',
          'ProviderName',
          'PublisherName',
          'ServiceCategory',
          'ServiceName',
          'ServiceSubcategory',
          'ChargeFrequency',
          'PricingCategory',
          'SkuId',
          'SkuPriceId',
        ] as const)
          expect(r[c], c).toBeTruthy();
        expect(r.ChargeClass).toBeNull();
        for (const c of [
          'ChargePeriodStart',
          'ChargePeriodEnd',
          'BillingPeriodStart',
          'BillingPeriodEnd',
        ] as const)
          expect(r[c]).toMatch(DATETIME);
        expect(r.ChargePeriodStart! < r.ChargePeriodEnd!).toBe(true);
        expect(
          r.BillingPeriodStart! <= r.ChargePeriodStart! && r.ChargePeriodEnd! <= r.BillingPeriodEnd!,
        ).toBe(true);
        expect(r.PricingUnit === null).toBe(r.PricingQuantity === null);
        if (kindOf(r) === 'usage') {
          // A given cost: list and contracted are the cost itself, at the average price it makes.
          expect([r.ListCost, r.ContractedCost, r.EffectiveCost]).toEqual([
            r.BilledCost,
            r.BilledCost,
            r.BilledCost,
          ]);
          continue;
        }
        expect(r.ListUnitPrice).toBe(r.ContractedUnitPrice);
        expect(r.ListCost).toBe(r.ContractedCost);
        const product = parseDecimal(r.ListUnitPrice!, 18) * parseDecimal(r.PricingQuantity!, 12);
        const list = parseDecimal(r.ListCost!, 24) * 10n ** 6n; // to 30 digits, the product's
        if (kindOf(r) === 'audio_duration') {
          // Hours are ms ÷ 3.6·10^6, which no decimal holds: the product is off by the rounding of the quantity (to
          // 12 digits: half a unit × the price) and of the cost (to 24 digits) only.
          const bound = parseDecimal(r.ListUnitPrice!, 18) / 2n + 10n ** 6n;
          expect(product - list <= bound && list - product <= bound).toBe(true);
        } else {
          expect(product).toBe(list);
        }
        expect(JSON.parse(r.SkuPriceDetails!)).toMatchObject({ x_Model: r.x_Model, x_TokenType: kindOf(r) });
      }
    });

    it('bills what the ledger rounded per call: list cost under a pico-dollar per call and charge away', async () => {
      const { rows } = await exported();
      const rated = rows.filter((r) => kindOf(r) !== 'usage');
      const billed = sum(rated.map((r) => pico(r.BilledCost) * E12));
      const list = sum(rated.map((r) => parseDecimal(r.ListCost!, 24)));
      const bound = BigInt(priced.length * 11) * E12;
      expect(billed - list < bound && list - billed < bound).toBe(true);
      expect(billed).not.toBe(list); // the tie and odd cards round
    });

    it('names who served, made and billed each call, and carries its attribution as tags', async () => {
      const { rows } = await exportOf(makeStore, [
        makeEvent(1),
        makeEvent(2, {
          provider: 'openai',
          model: 'gpt-5',
          rates: CARDS.gpt,
          team: null,
          api_key_id: 'key-9',
        }),
        makeEvent(3, { provider: 'bedrock', model: 'claude-sonnet-4-5', project: null }),
      ]);
      const of = (provider: string) => rows.find((r) => r.x_Provider === provider && kindOf(r) === 'input')!;
      expect(of('anthropic')).toMatchObject({
        ProviderName: 'Anthropic',
        PublisherName: 'Anthropic',
        InvoiceIssuerName: 'Anthropic',
        ServiceName: 'Claude API',
        BillingAccountId: 'acme',
        SubAccountId: 'ledger',
        SubAccountType: 'Project',
        ConsumedUnit: 'Tokens',
        PricingUnit: '1000000 Tokens',
        ConsumedQuantity: '1001',
        PricingQuantity: '0.001001',
        ListUnitPrice: '3',
        ListCost: '0.003003',
        BilledCost: '0.003003',
        SkuId: 'anthropic/claude-sonnet-4-5/input',
        SkuMeter: 'Input Tokens',
        ChargeDescription: 'claude-sonnet-4-5 Input Tokens',
        ChargePeriodStart: '2026-01-05T00:00:00Z',
        ChargePeriodEnd: '2026-01-06T00:00:00Z',
        BillingPeriodStart: '2026-01-01T00:00:00Z',
        BillingPeriodEnd: '2026-02-01T00:00:00Z',
      });
      expect(JSON.parse(of('anthropic').Tags!)).toEqual({
        org: 'acme',
        team: 'platform',
        user: 'ada',
        project: 'ledger',
        agent: 'claude-code',
        environment: 'prod',
      });
      expect(of('openai')).toMatchObject({
        ProviderName: 'OpenAI',
        PublisherName: 'OpenAI',
        ServiceName: 'OpenAI API',
      });
      expect(JSON.parse(of('openai').Tags!)).toMatchObject({ api_key_id: 'key-9' });
      expect(JSON.parse(of('openai').Tags!)).not.toHaveProperty('team');
      // Claude on Bedrock: AWS served and billed it, Anthropic made it.
      expect(of('bedrock')).toMatchObject({
        ProviderName: 'AWS',
        PublisherName: 'Anthropic',
        InvoiceIssuerName: 'AWS',
        ServiceName: 'Amazon Bedrock',
        SubAccountId: null,
        SubAccountType: null,
      });
    });

    it('writes the header alone for a ledger with nothing priced, empty or not', async () => {
      for (const events of [[], [makeEvent(1, { rates: null })]]) {
        const { rows, header, result } = await exportOf(makeStore, events);
        expect(header).toEqual([...FOCUS_COLUMNS]);
        expect({ rows: rows.length, result }).toEqual({
          rows: 0,
          result: { rows: 0, unpriced: { events: events.length, tokens: events.length * 21_301 } },
        });
      }
    });

    it('writes the same rows as Parquet, typed: decimals to their last digit, periods as UTC instants', async () => {
      const { rows, parquet } = await exported();
      expect(parquet!.result).toEqual({ rows: rows.length, unpriced: (await exported()).result.unpriced });
      expect(parquet!.types).toEqual(
        FOCUS_COLUMNS.map((c) => {
          const t = FOCUS_TYPES[c];
          return t === 'text'
            ? 'VARCHAR'
            : t === 'instant'
              ? 'TIMESTAMP WITH TIME ZONE'
              : `DECIMAL(38,${t.decimal})`;
        }),
      );
      // Each value as the CSV has it: a decimal's trailing zeros and an instant's ISO text are the CSV's forms.
      const asCsv = (r: FocusRow) =>
        JSON.stringify(
          FOCUS_COLUMNS.map((c) => {
            const v = r[c];
            const t = FOCUS_TYPES[c];
            if (v === null || t === 'text') return v;
            return t === 'instant' ? new Date(v).toISOString() : String(parseDecimal(v, t.decimal));
          }),
        );
      expect(parquet!.rows.map(asCsv).sort()).toEqual(rows.map(asCsv).sort());
    });

    it('bounds the charge periods by --since and --until', async () => {
      const since = T0 + 3 * 3_600_000_000;
      const until = T0 + DAY + 6 * 3_600_000_000;
      const { rows } = await exportOf(
        makeStore,
        [makeEvent(0, { ts: T0 + 4 * 3_600_000_000 }), makeEvent(1, { ts: T0 + DAY + 3_600_000_000 })],
        { since, until },
      );
      const periods = new Set(rows.map((r) => `${r.ChargePeriodStart} ${r.ChargePeriodEnd}`));
      expect(periods).toEqual(
        new Set(['2026-01-05T03:00:00Z 2026-01-06T00:00:00Z', '2026-01-06T00:00:00Z 2026-01-06T06:00:00Z']),
      );
    });
  });
}

import { describe, expect, it } from 'vitest';
import type { ProviderCostRecord } from '../sources/provider-records.js';
import type { ComputedCostRow } from '../store/import-records.js';
import { reconcile } from './reconcile.js';

const USD = 10n ** 12n;
const DAY = Date.UTC(2026, 0, 5) * 1000;
const computed = (o: Partial<ComputedCostRow>): ComputedCostRow => ({
  day: '2026-01-05',
  source: 'anthropic-usage',
  provider: 'anthropic',
  project: 'ws_1',
  model: 'claude-sonnet-4-0',
  events: 1,
  cost_usd: 0n,
  unpriced_events: 0,
  provider_cost_events: 0,
  provider_cost_usd: 0n,
  cost_usd_of_provider_cost_events: 0n,
  unpriced_provider_cost_events: 0,
  web_search_events: 0,
  unpriced_web_search_events: 0,
  web_search_usd: 0n,
  ...o,
});
const cost = (o: Partial<ProviderCostRecord>): ProviderCostRecord => ({
  record_id: Math.random().toString(16),
  source: 'anthropic-usage',
  source_ref: 'f:1',
  bucket_start: DAY,
  bucket_end: DAY + 86_400_000_000,
  provider: 'anthropic',
  project: 'ws_1',
  model: null,
  line_item: null,
  amount: 0n,
  currency: 'USD',
  details: {},
  ...o,
});
const canonical = (m: string) => (m === 'claude-sonnet-4-20250514' ? 'claude-sonnet-4-0' : m);
const opts = { thresholdBp: 500n, canonical };

describe('reconcile', () => {
  it('compares model by model when the report names models, canonicalising its names', () => {
    const r = reconcile(
      [
        computed({ cost_usd: 2n * USD, events: 3 }),
        computed({ model: 'claude-opus-4-1', cost_usd: USD }),
        computed({ source: 'claude-code', cost_usd: 9n * USD }), // agent logs of the same calls: not counted
      ],
      [
        cost({ model: 'claude-sonnet-4-20250514', amount: USD }),
        cost({ model: 'claude-sonnet-4-20250514', amount: USD }),
        cost({ model: null, line_item: 'web_search', amount: USD / 10n }),
      ],
      opts,
    );
    expect(
      r.rows.map((x) => [
        x.model,
        x.events,
        x.computed_usd,
        x.reported_usd,
        x.diff_usd,
        x.diff_bp,
        x.flagged,
      ]),
    ).toEqual([
      [null, 0, 0n, USD / 10n, -USD / 10n, -10_000n, true],
      ['claude-opus-4-1', 1, USD, 0n, USD, null, true],
      ['claude-sonnet-4-0', 3, 2n * USD, 2n * USD, 0n, 0n, false],
    ]);
  });

  it('compares the web search fees of a model-grouped report with its model-less lines, or with $0 when it has none', () => {
    const searched = computed({ cost_usd: 4n * USD, web_search_events: 1, web_search_usd: USD });
    const billed = [cost({ model: 'claude-sonnet-4-0', amount: 3n * USD })];
    const rows = (withSearchLine: boolean) =>
      reconcile(
        [searched],
        withSearchLine ? [...billed, cost({ line_item: 'Web Search', amount: USD })] : billed,
        opts,
      ).rows.map((x) => [x.model, x.events, x.computed_usd, x.reported_usd, x.flagged]);
    expect(rows(true)).toEqual([
      [null, 1, USD, USD, false],
      ['claude-sonnet-4-0', 1, 3n * USD, 3n * USD, false],
    ]);
    expect(rows(false)).toEqual([
      [null, 1, USD, 0n, true],
      ['claude-sonnet-4-0', 1, 3n * USD, 3n * USD, false],
    ]);
  });

  it('leaves out a total of a day and project that also has line items, and counts it', () => {
    // cost_report fetched with group_by[]=description and again without: $3 of lines, and the same $3 as one total.
    const r = reconcile(
      [computed({ cost_usd: 3n * USD })],
      [
        cost({ model: 'claude-sonnet-4-20250514', line_item: 'Input Tokens', amount: 2n * USD }),
        cost({ model: 'claude-sonnet-4-20250514', line_item: 'Output Tokens', amount: USD }),
        cost({ amount: 3n * USD }),
        cost({ project: 'ws_2', amount: 5n * USD }), // a total alone for its day and project: compared
      ],
      opts,
    );
    expect(r.rows.map((x) => [x.project, x.model, x.computed_usd, x.reported_usd])).toEqual([
      ['ws_1', 'claude-sonnet-4-0', 3n * USD, 3n * USD],
      ['ws_2', null, 0n, 5n * USD],
    ]);
    expect(r.overlapping).toBe(1);
  });

  it('compares a model-less report with all the usage of its day and project, and flags by threshold', () => {
    const rows = (threshold: bigint) =>
      reconcile(
        [computed({ cost_usd: 105n * USD }), computed({ model: 'x', cost_usd: 0n, unpriced_events: 0 })],
        [cost({ amount: 100n * USD })],
        { thresholdBp: threshold, canonical },
      ).rows;
    expect(rows(500n)).toMatchObject([
      { model: null, events: 2, diff_usd: 5n * USD, diff_bp: 500n, flagged: false },
    ]);
    expect(rows(499n)[0]!.flagged).toBe(true);
  });

  it('rounds the percentage half to even and handles credits (negative reports)', () => {
    const [a] = reconcile([computed({ cost_usd: 3n })], [cost({ amount: 8n })], opts).rows; // -5/8 = -62.5%
    expect(a!.diff_bp).toBe(-6250n);
    const [b] = reconcile([computed({ cost_usd: 1n })], [cost({ amount: 3n })], opts).rows; // -2/3 = -66.666…%
    expect(b!.diff_bp).toBe(-6667n);
    const [c] = reconcile([computed({ cost_usd: 0n })], [cost({ amount: -4n })], opts).rows; // 4/|-4|
    expect(c!.diff_bp).toBe(10_000n);
  });

  it('compares provider costs carried on events over exactly those events', () => {
    const r = reconcile(
      [
        computed({
          source: 'cursor',
          events: 5,
          cost_usd: 50n,
          provider_cost_events: 2,
          provider_cost_usd: 21n,
          cost_usd_of_provider_cost_events: 20n,
        }),
      ],
      [],
      opts,
    );
    expect(r.rows).toMatchObject([
      {
        basis: 'event',
        events: 2,
        computed_usd: 20n,
        reported_usd: 21n,
        diff_usd: -1n,
        diff_bp: -476n,
        flagged: false,
      },
    ]);
  });

  it('lists usage of an export with cost records but none for that day, and leaves other currencies out', () => {
    const r = reconcile(
      [computed({ day: '2026-01-06', cost_usd: USD })],
      [cost({ amount: USD }), cost({ amount: 5n, currency: 'EUR' })],
      opts,
    );
    expect(r.otherCurrency).toBe(1);
    expect(r.rows.map((x) => [x.day, x.computed_usd, x.reported_usd, x.flagged])).toEqual([
      ['2026-01-05', 0n, USD, true],
      ['2026-01-06', USD, 0n, true],
    ]);
  });
});

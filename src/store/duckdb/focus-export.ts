import { TOKEN_FIELDS } from '../../ledger/event.js';
import { SEARCH_RATE_TO_MILLION } from '../../pricing/cost.js';
import { exportFailed } from '../errors.js';
import {
  CHARGE_KINDS,
  type ChargeKind,
  FOCUS_COLUMNS,
  type FocusColumn,
  TAG_FIELDS,
  UNITS,
} from '../focus/dataset.js';
import { focusNames } from '../focus/names.js';
import type { UnpricedCount } from '../store.js';
import { copyTarget, exportRange } from './export.js';
import { q } from './schema.js';
import type { DuckDbSession, SqlParam } from './session.js';

/**
 * The ledger as a FOCUS 1.2 Cost and Usage dataset, in CSV (docs/focus.md). One row per UTC day, billing provider,
 * model, service tier, rate card, cost source, attribution (TAG_FIELDS) and charge (CHARGE_KINDS), all in SQL, so
 * memory stays flat however many events; all money in HUGEINT, never a float.
 *
 * Two sums, each exact:
 * - BilledCost and EffectiveCost are what the ledger recorded: the rows of a call sum to its cost_usd to the
 *   pico-dollar. A part that holds two charges (cache writes of 5 minutes and 1 hour; text, audio and image input or
 *   output) is split by pricing each secondary charge on its own, rounded half-to-even as a part is, and leaving the
 *   part's rest to the primary one (text, or the 5-minute writes). The web search fee is priced so; the audio fee is
 *   what cost_usd holds beyond the parts and the search fee.
 * - ListCost and ContractedCost are unit price × PricingQuantity, as FOCUS requires them to be, unrounded (24
 *   fractional digits: tokens × USD per 1M at 18 digits ÷ 10^6). They differ from BilledCost by the ledger's
 *   rounding of each call to 10^-12 USD, under half a pico-dollar per call and charge.
 * Events without a price are left out (FOCUS costs cannot be null, and $0 would be a lie) and counted.
 */
export async function exportFocus(
  s: DuckDbSession,
  o: { path: string; since?: number; until?: number },
): Promise<{ rows: number; unpriced: UnpricedCount }> {
  const { sql: inRange, params: rangeParams } = exportRange(o);
  // One read for both: the (provider, model) pairs to name, and the unpriced events the rows will leave out.
  const unpricedOnly = `FILTER (WHERE cost_source = 'unpriced')`;
  const pairs = await s.rows(
    'listing providers and models for the FOCUS export',
    `SELECT coalesce(provider, ''), model, count(*) ${unpricedOnly},
       coalesce(sum(${TOKEN_FIELDS.join(' + ')}) ${unpricedOnly}, 0)
     FROM ledger_pico WHERE ${inRange} GROUP BY ALL`,
    rangeParams,
  );
  const unpriced = { events: 0, tokens: 0 };
  for (const [, , events, tokens] of pairs) {
    unpriced.events += Number(events);
    unpriced.tokens += Number(tokens);
  }
  // One JSON parameter: a list parameter needs an element type, which an empty list (an empty ledger) has not.
  const names = JSON.stringify(
    pairs.map(([p, m]) => {
      const n = focusNames(p === '' ? null : String(p), String(m));
      return { p, m, provider_name: n.provider, service_name: n.service, publisher_name: n.publisher };
    }),
  );
  const periodParams: SqlParam[] = [
    o.since === undefined ? null : BigInt(o.since),
    o.until === undefined ? null : BigInt(o.until),
  ];
  try {
    const rows = await s.run(
      'exporting the FOCUS dataset',
      `COPY (${focusSql(inRange)}) TO ${copyTarget(o.path)} (FORMAT csv, HEADER)`,
      [...rangeParams, names, ...periodParams],
    );
    return { rows, unpriced };
  } catch (err) {
    throw exportFailed(o.path, err);
  }
}

const E12 = '1000000000000';

/** n ÷ d rounded half-to-even, for n ≥ 0 and d > 0 (HUGEINT SQL); money.divRoundHalfEven in SQL. */
const roundDiv = (n: string, d: string) =>
  `((${n}) // ${d} + CASE WHEN (${n}) % ${d} * 2 > ${d} OR ((${n}) % ${d} * 2 = ${d} AND (${n}) // ${d} % 2 = 1) ` +
  `THEN 1 ELSE 0 END)`;

/** A charge's pico-dollars priced on its own: 0 without a count, so the division runs only where there is one. */
const charge = (count: string, rate: string, times = '') =>
  `CASE WHEN ${count} = 0 THEN 0::HUGEINT ELSE ${roundDiv(`${count}::HUGEINT * r.${rate}${times}`, E12)} END`;

/**
 * A HUGEINT of 10^-scale units as a decimal string: no exponent, no trailing zeros (FOCUS NumericFormat). Negative
 * only where a part holding audio and image tokens both rounded down as a whole and up alone: a pico-dollar at most.
 */
function decimal(n: string, scale: number): string {
  if (scale === 0) return `(${n})::VARCHAR`;
  const unit = `'1${'0'.repeat(scale)}'::HUGEINT`;
  const abs = `abs(${n})`;
  const fraction = `rtrim(lpad((${abs} % ${unit})::VARCHAR, ${scale}, '0'), '0')`;
  return (
    `CASE WHEN (${n}) < 0 THEN '-' ELSE '' END || (${abs} // ${unit})::VARCHAR || ` +
    `CASE WHEN ${abs} % ${unit} = 0 THEN '' ELSE '.' || ${fraction} END`
  );
}

/**
 * Per charge: its quantity and its cost in pico-dollars, per event (SQL on `p`, a ledger_pico row, and `r`, its rate
 * card). The secondary charges of a part are priced alone; the primary takes the part's rest.
 */
const PER_EVENT: Record<string, { quantity: string; cost: string }> = {
  input: {
    quantity: 'p.input_tokens - p.input_audio_tokens - p.input_image_tokens',
    cost: 'p.cost_input - c_input_audio - c_input_image',
  },
  input_audio: { quantity: 'p.input_audio_tokens', cost: 'c_input_audio' },
  input_image: { quantity: 'p.input_image_tokens', cost: 'c_input_image' },
  cache_read: { quantity: 'p.cache_read_tokens', cost: 'p.cost_cache_read' },
  cache_write_5m: { quantity: 'p.cache_write_5m_tokens', cost: 'p.cost_cache_write - c_cache_write_1h' },
  cache_write_1h: { quantity: 'p.cache_write_1h_tokens', cost: 'c_cache_write_1h' },
  output: {
    quantity: 'p.output_tokens - p.output_audio_tokens - p.output_image_tokens',
    cost: 'p.cost_output - c_output_audio - c_output_image',
  },
  output_audio: { quantity: 'p.output_audio_tokens', cost: 'c_output_audio' },
  output_image: { quantity: 'p.output_image_tokens', cost: 'c_output_image' },
  web_search: { quantity: 'p.web_search_requests', cost: 'c_web_search' },
  audio_duration: {
    quantity: 'p.audio_ms',
    cost: 'p.cost_usd - p.cost_input - p.cost_cache_read - p.cost_cache_write - p.cost_output - c_web_search',
  },
};

/** The secondary charges, priced alone (pricing/cost.ts's formula for one term). */
const SECONDARY = [
  `${charge('p.input_audio_tokens', 'input_audio')} AS c_input_audio`,
  `${charge('p.input_image_tokens', 'input_image')} AS c_input_image`,
  `${charge('p.cache_write_1h_tokens', 'cache_write_1h')} AS c_cache_write_1h`,
  `${charge('p.output_audio_tokens', 'output_audio')} AS c_output_audio`,
  `${charge('p.output_image_tokens', 'output_image')} AS c_output_image`,
  `${charge('p.web_search_requests', 'web_search', ` * ${SEARCH_RATE_TO_MILLION}`)} AS c_web_search`,
];

/** A charge's summed quantity and billed pico-dollars over a group's events. */
const sums = (k: string) =>
  `sum(${PER_EVENT[k]!.quantity})::HUGEINT AS q_${k}, sum(${PER_EVENT[k]!.cost})::HUGEINT AS c_${k}`;

const GROUP = ['provider', 'model', 'service_tier', 'cost_source', 'rate_id', ...TAG_FIELDS];

/** The rate a charge is billed at: a rate card column (whole, 18 digits). */
const rateOf = (k: ChargeKind) => (k.kind === 'audio_duration' ? 'audio_hour' : k.kind);

/**
 * A charge's unit price × quantity at 24 fractional digits: tokens × (USD per 1M at 18 digits) is in 10^-24 USD
 * already; searches are per 1,000 (×1000); audio is ms × USD per hour ÷ 3.6·10^6, ×10^6: ÷ 3.6, rounded.
 */
function listCost(k: ChargeKind, quantity: string, rate: string): string {
  if (k.unit === 'tokens') return `${quantity}::HUGEINT * ${rate}`;
  if (k.unit === 'searches') return `${quantity}::HUGEINT * ${rate} * 1000`;
  return roundDiv(`${quantity}::HUGEINT * ${rate} * 10`, '36');
}

/** PricingQuantity at its scale: tokens ÷ 10^6, searches ÷ 10^3, hours (ms ÷ 3.6·10^6) at 12 digits, rounded. */
function pricingQuantity(k: ChargeKind, quantity: string): string {
  if (k.unit === 'tokens') return decimal(quantity, 6);
  if (k.unit === 'searches') return decimal(quantity, 3);
  return decimal(roundDiv(`${quantity}::HUGEINT * 10000000`, '36'), 12);
}

/** ConsumedQuantity: tokens and searches as counted, audio in seconds (ms ÷ 1000, exact). */
const consumedQuantity = (k: ChargeKind, quantity: string) =>
  k.unit === 'audio' ? decimal(quantity, 3) : decimal(quantity, 0);

const iso = (ts: string) => `strftime(${ts}, '%Y-%m-%dT%H:%M:%SZ')`;

/** A JSON object of the pairs whose value is not NULL, or NULL when none is (FOCUS KeyValueFormat). */
function jsonObject(pairs: [string, string][]): string {
  const entries = pairs.map(([k, v]) => `{'k': '${k}', 'v': ${v}}`).join(', ');
  const kept = `list_filter([${entries}], x -> x.v IS NOT NULL)`;
  return `CASE WHEN len(${kept}) = 0 THEN NULL ELSE to_json(map_from_entries(${kept}))::VARCHAR END`;
}

/** What every row says the same way, by column. */
function commonColumns(): Partial<Record<FocusColumn, string>> {
  return {
    BillingAccountId: `coalesce(a.org, n.provider_name)`,
    BillingAccountName: `coalesce(a.org, n.provider_name)`,
    BillingCurrency: `'USD'`,
    BillingPeriodStart: iso(`date_trunc('month', a.day)`),
    BillingPeriodEnd: iso(`date_trunc('month', a.day) + INTERVAL 1 MONTH`),
    ChargeCategory: `'Usage'`,
    ChargeClass: 'NULL',
    ChargeFrequency: `'Usage-Based'`,
    ChargePeriodStart: iso(`greatest(a.day, coalesce(make_timestamp(period.since), a.day))`),
    ChargePeriodEnd: iso(
      `least(a.day + INTERVAL 1 DAY, coalesce(make_timestamp(period.until), a.day + INTERVAL 1 DAY))`,
    ),
    InvoiceIssuerName: 'n.provider_name',
    PricingCategory: `'Standard'`,
    ProviderName: 'n.provider_name',
    PublisherName: 'n.publisher_name',
    ServiceCategory: `'AI and Machine Learning'`,
    ServiceName: 'n.service_name',
    ServiceSubcategory: `'Generative AI'`,
    SubAccountId: 'a.project',
    SubAccountName: 'a.project',
    SubAccountType: `CASE WHEN a.project IS NULL THEN NULL ELSE 'Project' END`,
    Tags: jsonObject(TAG_FIELDS.map((f) => [f, `a.${q(f)}`])),
    x_Model: 'a.model',
    x_Provider: 'a.provider',
    x_ServiceTier: 'a.service_tier',
    x_CostSource: 'a.cost_source',
  };
}

const sku = (kind: string) => `coalesce(a.provider, 'unknown') || '/' || a.model || '/' || '${kind}'`;

function select(columns: Record<FocusColumn, string>): string {
  return FOCUS_COLUMNS.map((c) => `${columns[c]} AS ${c}`).join(', ');
}

/** One charge's rows from the rated aggregate `a` (with its card `r`). */
function chargeRows(k: ChargeKind): string {
  const quantity = `a.q_${k.kind}`;
  const rate = `r.${rateOf(k)}`;
  const unitPrice = decimal(rate, 18);
  const list = decimal(listCost(k, quantity, rate), 24);
  const billed = decimal(`a.c_${k.kind}`, 12);
  const skuId = sku(k.kind);
  const columns: Record<FocusColumn, string> = {
    ...(commonColumns() as Record<FocusColumn, string>),
    BilledCost: billed,
    EffectiveCost: billed,
    ListCost: list,
    ContractedCost: list,
    ListUnitPrice: unitPrice,
    ContractedUnitPrice: unitPrice,
    ChargeDescription: `a.model || ' ${k.meter}'`,
    ConsumedQuantity: consumedQuantity(k, quantity),
    ConsumedUnit: `'${UNITS[k.unit].consumed}'`,
    PricingQuantity: pricingQuantity(k, quantity),
    PricingUnit: `'${UNITS[k.unit].pricing}'`,
    SkuId: skuId,
    SkuMeter: `'${k.meter}'`,
    SkuPriceId: `${skuId} || '/' || coalesce(a.service_tier, 'default') || '@' || ${unitPrice}`,
    SkuPriceDetails: jsonObject([
      ['x_Model', 'a.model'],
      ['x_TokenType', `'${k.kind}'`],
      ['x_ServiceTier', 'a.service_tier'],
    ]),
  };
  return `SELECT ${select(columns)}, a.day AS _day, ${CHARGE_KINDS.indexOf(k)} AS _kind
FROM rated a JOIN rate_cards r ON r.rate_id = a.rate_id ${joinNames}
WHERE ${quantity} <> 0 OR a.c_${k.kind} <> 0`;
}

/**
 * Rows of events whose cost was given (a provider's or an export's total) rather than priced from a card: one
 * charge, `usage`, priced per 1M tokens (per request for a call that reports none) at the average price its cost
 * makes, rounded to 18 digits; list and contracted cost are the given cost.
 */
function givenRows(): string {
  const tokens = 'a.q_tokens';
  const byTokens = `${tokens} > 0`;
  const quantity = `CASE WHEN ${byTokens} THEN ${tokens} ELSE a.q_requests END`;
  const unitPrice = `CASE WHEN ${quantity} = 0 THEN NULL ELSE ${decimal(
    `CASE WHEN ${byTokens} THEN ${roundDiv(`a.c_usage * ${E12}`, tokens)} ` +
      `ELSE ${roundDiv(`a.c_usage * 1000000`, 'a.q_requests')} END`,
    18,
  )} END`;
  const billed = decimal('a.c_usage', 12);
  const skuId = sku('usage');
  const columns: Record<FocusColumn, string> = {
    ...(commonColumns() as Record<FocusColumn, string>),
    BilledCost: billed,
    EffectiveCost: billed,
    ListCost: billed,
    ContractedCost: billed,
    ListUnitPrice: unitPrice,
    ContractedUnitPrice: unitPrice,
    ChargeDescription: `a.model || ' usage, cost as reported'`,
    ConsumedQuantity: `CASE WHEN ${byTokens} THEN ${decimal(tokens, 0)} ELSE NULL END`,
    ConsumedUnit: `CASE WHEN ${byTokens} THEN 'Tokens' ELSE NULL END`,
    PricingQuantity:
      `CASE WHEN ${quantity} = 0 THEN NULL WHEN ${byTokens} THEN ${decimal(tokens, 6)} ` +
      `ELSE ${decimal('a.q_requests', 0)} END`,
    PricingUnit: `CASE WHEN ${quantity} = 0 THEN NULL WHEN ${byTokens} THEN '1000000 Tokens' ELSE 'Requests' END`,
    SkuId: skuId,
    SkuMeter: `'Usage'`,
    SkuPriceId: `${skuId} || '/reported'`,
    SkuPriceDetails: jsonObject([
      ['x_Model', 'a.model'],
      ['x_TokenType', `'usage'`],
      ['x_ServiceTier', 'a.service_tier'],
    ]),
  };
  return `SELECT ${select(columns)}, a.day AS _day, ${CHARGE_KINDS.length} AS _kind FROM given a ${joinNames}`;
}

const joinNames = `JOIN names n ON n.p = coalesce(a.provider, '') AND n.m = a.model CROSS JOIN period`;

const NAMES_TYPE = JSON.stringify(
  Object.fromEntries(
    ['p', 'm', 'provider_name', 'service_name', 'publisher_name'].map((k) => [k, 'VARCHAR']),
  ),
);

/**
 * The whole SELECT. Parameters in order: the range (as `inRange` binds them), the names of each (provider, model) as
 * JSON, then since and until (or NULL) for the charge periods.
 *
 * The materialisation hints matter (970,185 demo events, 90,565 rows): the priced events are read straight into the
 * two aggregates rather than copied, and each aggregate is computed once for its charges' eleven SELECTs rather than
 * once each: 3.1 s and 515 MB against 4.1 s and 910 MB without them. Sorting the rows costs ~1 s and ~200 MB more;
 * it is kept, so that an export is the same file every time.
 */
function focusSql(inRange: string): string {
  const keys = GROUP.map((g) => `p.${q(g)}`).join(', ');
  const kinds = CHARGE_KINDS.map((k) => k.kind);
  const tokens = TOKEN_FIELDS.map((f) => `p.${f}`).join(' + ');
  return `WITH events AS NOT MATERIALIZED (
  SELECT p.*, date_trunc('day', p.ts) AS day FROM ledger_pico p WHERE p.cost_source <> 'unpriced' AND ${inRange}
),
split AS (
  SELECT p.*, ${SECONDARY.join(', ')}
  FROM events p JOIN rate_cards r ON r.rate_id = p.rate_id
  WHERE p.cost_source IN ('computed', 'estimated')
),
rated AS MATERIALIZED (
  SELECT p.day, ${keys},
    ${kinds.map(sums).join(',\n    ')}
  FROM split p GROUP BY ALL
),
given AS MATERIALIZED (
  SELECT p.day, ${keys}, sum(${tokens})::HUGEINT AS q_tokens, sum(p.requests)::HUGEINT AS q_requests,
    sum(p.cost_usd)::HUGEINT AS c_usage
  FROM events p WHERE p.cost_source NOT IN ('computed', 'estimated') GROUP BY ALL
),
names AS (
  SELECT unnest(from_json(?::JSON, '[${NAMES_TYPE}]'), recursive := true)
),
period AS (SELECT ?::BIGINT AS since, ?::BIGINT AS until)
SELECT * EXCLUDE (_day, _kind) FROM (
${[...CHARGE_KINDS.map(chargeRows), givenRows()].join('\nUNION ALL\n')}
) ORDER BY _day, ProviderName, x_Model, Tags, _kind`;
}

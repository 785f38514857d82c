import { type RATE_FIELDS, TOKEN_FIELDS } from '../../ledger/event.js';
import { SEARCH_RATE_TO_MILLION } from '../../pricing/cost.js';
import {
  CHARGE_KINDS,
  type ChargeKind,
  FOCUS_COLUMNS,
  FOCUS_TYPES,
  type FocusColumn,
  TAG_FIELDS,
  UNITS,
} from './dataset.js';

/**
 * The FOCUS dataset's rules as SQL expressions (docs/focus.md), written once for every store: each store's
 * focus-export.ts supplies a FocusDialect and puts the pieces into a statement of its own (how it reads the events,
 * groups them and joins the charges' rows differs; what each column says does not). All money is 128-bit integers,
 * never a float.
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
 *
 * The expressions read three relations by alias:
 * - `p`, one priced event, with its secondary charges alongside (secondaryCharges, as `s_<kind>`);
 * - `a`, one group of events (a UTC day `day` and FOCUS_GROUP), with chargeSums' or givenSums' columns;
 * - `n`, the FOCUS names of the group's provider and model (provider_name, service_name, publisher_name).
 */

export type RateField = (typeof RATE_FIELDS)[number];

/** What differs between engines in the FOCUS SQL. */
export interface FocusDialect {
  /** `x` as a 128-bit integer (DuckDB's HUGEINT, ClickHouse's Int128). */
  int128(x: string): string;
  /** The integer quotient n ÷ d, truncated toward zero (as both engines' remainder `%` takes n's sign). */
  intDiv(n: string, d: string): string;
  /** An integer as its decimal digits. */
  digits(x: string): string;
  /** Text `s` left-padded with zeros to `width` characters, then stripped of its trailing zeros. */
  fraction(s: string, width: number): string;
  /** A timestamp as ISO 8601 in UTC, to the second (FOCUS DateTimeFormat). */
  iso(t: string): string;
  /** The start of `t`'s UTC month, and one month or one day after `t`. */
  monthStart(t: string): string;
  plusMonth(t: string): string;
  plusDay(t: string): string;
  /**
   * A JSON object of the pairs whose value is not NULL, in the given order, or NULL when none is (FOCUS
   * KeyValueFormat): written as DuckDB's to_json writes it, which is the file both stores write.
   */
  jsonObject(pairs: readonly (readonly [key: string, value: string])[]): string;
  /** The rate of `field` on the card of the event `p` or of the group `a`. */
  rate(of: 'p' | 'a', field: RateField): string;
  /** Text `x` (a column of the CSV's rows) as a decimal of this scale, a UTC instant or text: for Parquet. */
  toDecimal(x: string, scale: number): string;
  toInstant(x: string): string;
  toText(x: string): string;
  ident(name: string): string;
}

/** The export's --since and --until as SQL timestamps, or NULL: the charge periods' bounds. */
export interface FocusPeriod {
  since: string;
  until: string;
}

/** What the rows are grouped by beside the UTC day and the rate card (a store keys that its own way). */
export const FOCUS_GROUP = ['provider', 'model', 'service_tier', 'cost_source', ...TAG_FIELDS] as const;

/** The cost sources priced from a rate card, split into charges; other priced events' costs were given. */
export const RATED_SOURCES = `('computed', 'estimated')`;

/**
 * Sort of the written rows, by their columns and the hidden `_day` and `_kind`. Rows alike in all of these (one
 * charge at two service tiers, cost sources or rate cards) may come in either order, on either store.
 */
export const FOCUS_ORDER = '_day, ProviderName, x_Model, Tags, _kind';

/** `_kind` of the rows of given costs: after every charge's. */
export const GIVEN_KIND = CHARGE_KINDS.length;

const E12 = '1000000000000';

/** n ÷ d rounded half-to-even, for n ≥ 0 and d > 0; money.divRoundHalfEven in SQL. */
export function roundDiv(d: FocusDialect, n: string, den: string): string {
  const q = d.intDiv(`(${n})`, den);
  const twice = `(${n}) % ${den} * 2`;
  return `(${q} + CASE WHEN ${twice} > ${den} OR (${twice} = ${den} AND ${q} % 2 = 1) THEN 1 ELSE 0 END)`;
}

/**
 * A 128-bit integer of 10^-scale units as a decimal string: no exponent, no trailing zeros (FOCUS NumericFormat).
 * Negative only where a part holding audio and image tokens both rounded down as a whole and up alone: a pico-dollar
 * at most.
 */
export function decimal(d: FocusDialect, n: string, scale: number): string {
  if (scale === 0) return d.digits(`(${n})`);
  const unit = d.int128(`'1${'0'.repeat(scale)}'`);
  const abs = `abs(${n})`;
  return (
    `CASE WHEN (${n}) < 0 THEN '-' ELSE '' END || ${d.digits(d.intDiv(abs, unit))} || ` +
    `CASE WHEN ${abs} % ${unit} = 0 THEN '' ELSE '.' || ${d.fraction(d.digits(`${abs} % ${unit}`), scale)} END`
  );
}

/** A charge's pico-dollars priced on its own: 0 without a count, so the division runs only where there is one. */
function alone(d: FocusDialect, count: string, rate: RateField, times = ''): string {
  const priced = roundDiv(d, `${d.int128(count)} * ${d.rate('p', rate)}${times}`, E12);
  return `CASE WHEN ${count} = 0 THEN ${d.int128('0')} ELSE ${priced} END`;
}

/** The secondary charges of the event `p`, priced alone (pricing/cost.ts's formula for one term), as `s_<kind>`. */
export function secondaryCharges(d: FocusDialect): string[] {
  return [
    `${alone(d, 'p.input_audio_tokens', 'input_audio')} AS s_input_audio`,
    `${alone(d, 'p.input_image_tokens', 'input_image')} AS s_input_image`,
    `${alone(d, 'p.cache_write_1h_tokens', 'cache_write_1h')} AS s_cache_write_1h`,
    `${alone(d, 'p.output_audio_tokens', 'output_audio')} AS s_output_audio`,
    `${alone(d, 'p.output_image_tokens', 'output_image')} AS s_output_image`,
    `${alone(d, 'p.web_search_requests', 'web_search', ` * ${SEARCH_RATE_TO_MILLION}`)} AS s_web_search`,
  ];
}

/**
 * Per charge: its quantity and its cost in pico-dollars, per event `p`. The secondary charges of a part are priced
 * alone; the primary takes the part's rest.
 */
const PER_EVENT: Record<string, { quantity: string; cost: string }> = {
  input: {
    quantity: 'p.input_tokens - p.input_audio_tokens - p.input_image_tokens',
    cost: 'p.cost_input - p.s_input_audio - p.s_input_image',
  },
  input_audio: { quantity: 'p.input_audio_tokens', cost: 'p.s_input_audio' },
  input_image: { quantity: 'p.input_image_tokens', cost: 'p.s_input_image' },
  cache_read: { quantity: 'p.cache_read_tokens', cost: 'p.cost_cache_read' },
  cache_write_5m: { quantity: 'p.cache_write_5m_tokens', cost: 'p.cost_cache_write - p.s_cache_write_1h' },
  cache_write_1h: { quantity: 'p.cache_write_1h_tokens', cost: 'p.s_cache_write_1h' },
  output: {
    quantity: 'p.output_tokens - p.output_audio_tokens - p.output_image_tokens',
    cost: 'p.cost_output - p.s_output_audio - p.s_output_image',
  },
  output_audio: { quantity: 'p.output_audio_tokens', cost: 'p.s_output_audio' },
  output_image: { quantity: 'p.output_image_tokens', cost: 'p.s_output_image' },
  web_search: { quantity: 'p.web_search_requests', cost: 'p.s_web_search' },
  audio_duration: {
    quantity: 'p.audio_ms',
    cost: 'p.cost_usd - p.cost_input - p.cost_cache_read - p.cost_cache_write - p.cost_output - p.s_web_search',
  },
};

/** The columns of chargeSums, and of givenSums. */
export const CHARGE_SUM_COLUMNS = CHARGE_KINDS.flatMap(({ kind }) => [`q_${kind}`, `c_${kind}`]);
export const GIVEN_SUM_COLUMNS = ['q_tokens', 'q_requests', 'c_usage'];

/** Each charge's summed quantity and billed pico-dollars over a group of rated events, as `q_<kind>`, `c_<kind>`. */
export function chargeSums(d: FocusDialect): string[] {
  return CHARGE_KINDS.map(({ kind }) => {
    const { quantity, cost } = PER_EVENT[kind]!;
    return `${d.int128(`sum(${quantity})`)} AS q_${kind}, ${d.int128(`sum(${cost})`)} AS c_${kind}`;
  });
}

/** A group of events whose cost was given: its tokens, requests and cost, as `q_tokens`, `q_requests`, `c_usage`. */
export function givenSums(d: FocusDialect): string[] {
  const tokens = TOKEN_FIELDS.map((f) => `p.${f}`).join(' + ');
  return [
    `${d.int128(`sum(${tokens})`)} AS q_tokens`,
    `${d.int128('sum(p.requests)')} AS q_requests`,
    `${d.int128('sum(p.cost_usd)')} AS c_usage`,
  ];
}

/** Whether a group has a row for charge `k`: a quantity or a cost. */
export const chargeKept = (k: ChargeKind): string => `a.q_${k.kind} <> 0 OR a.c_${k.kind} <> 0`;

/** The rate a charge is billed at: a rate card field (whole, 18 digits). */
const rateOf = (k: ChargeKind): RateField =>
  k.kind === 'audio_duration' ? 'audio_hour' : (k.kind as RateField);

/**
 * A charge's unit price × quantity at 24 fractional digits: tokens × (USD per 1M at 18 digits) is in 10^-24 USD
 * already; searches are per 1,000 (×1000); audio is ms × USD per hour ÷ 3.6·10^6, ×10^6: ÷ 3.6, rounded.
 */
function listCost(d: FocusDialect, k: ChargeKind, quantity: string, rate: string): string {
  if (k.unit === 'tokens') return `${d.int128(quantity)} * ${rate}`;
  if (k.unit === 'searches') return `${d.int128(quantity)} * ${rate} * 1000`;
  return roundDiv(d, `${d.int128(quantity)} * ${rate} * 10`, '36');
}

/** PricingQuantity at its scale: tokens ÷ 10^6, searches ÷ 10^3, hours (ms ÷ 3.6·10^6) at 12 digits, rounded. */
function pricingQuantity(d: FocusDialect, k: ChargeKind, quantity: string): string {
  if (k.unit === 'tokens') return decimal(d, quantity, 6);
  if (k.unit === 'searches') return decimal(d, quantity, 3);
  return decimal(d, roundDiv(d, `${d.int128(quantity)} * 10000000`, '36'), 12);
}

/** ConsumedQuantity: tokens and searches as counted, audio in seconds (ms ÷ 1000, exact). */
const consumedQuantity = (d: FocusDialect, k: ChargeKind, quantity: string) =>
  k.unit === 'audio' ? decimal(d, quantity, 3) : decimal(d, quantity, 0);

const sku = (kind: string) => `coalesce(a.provider, 'unknown') || '/' || a.model || '/' || '${kind}'`;

/** What every row says the same way, by column. */
function commonColumns(d: FocusDialect, period: FocusPeriod): Omit<Record<FocusColumn, string>, PerRow> {
  const nextDay = d.plusDay('a.day');
  return {
    BillingAccountId: `coalesce(a.org, n.provider_name)`,
    BillingAccountName: `coalesce(a.org, n.provider_name)`,
    BillingCurrency: `'USD'`,
    BillingPeriodStart: d.iso(d.monthStart('a.day')),
    BillingPeriodEnd: d.iso(d.plusMonth(d.monthStart('a.day'))),
    ChargeCategory: `'Usage'`,
    ChargeClass: 'NULL',
    ChargeFrequency: `'Usage-Based'`,
    ChargePeriodStart: d.iso(`greatest(a.day, coalesce(${period.since}, a.day))`),
    ChargePeriodEnd: d.iso(`least(${nextDay}, coalesce(${period.until}, ${nextDay}))`),
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
    Tags: d.jsonObject(TAG_FIELDS.map((f) => [f, `a.${d.ident(f)}`])),
    x_Model: 'a.model',
    x_Provider: 'a.provider',
    x_ServiceTier: 'a.service_tier',
    x_CostSource: 'a.cost_source',
  };
}

/** The columns that differ between a group's rows. */
type PerRow =
  | 'BilledCost'
  | 'EffectiveCost'
  | 'ListCost'
  | 'ContractedCost'
  | 'ListUnitPrice'
  | 'ContractedUnitPrice'
  | 'ChargeDescription'
  | 'ConsumedQuantity'
  | 'ConsumedUnit'
  | 'PricingQuantity'
  | 'PricingUnit'
  | 'SkuId'
  | 'SkuMeter'
  | 'SkuPriceId'
  | 'SkuPriceDetails';

/** Every column of charge `k`'s row of a rated group `a` (with chargeSums), by name. */
export function chargeColumns(
  d: FocusDialect,
  period: FocusPeriod,
  k: ChargeKind,
): Record<FocusColumn, string> {
  const quantity = `a.q_${k.kind}`;
  const rate = d.rate('a', rateOf(k));
  const unitPrice = decimal(d, rate, 18);
  const list = decimal(d, listCost(d, k, quantity, rate), 24);
  const billed = decimal(d, `a.c_${k.kind}`, 12);
  const skuId = sku(k.kind);
  return {
    ...commonColumns(d, period),
    BilledCost: billed,
    EffectiveCost: billed,
    ListCost: list,
    ContractedCost: list,
    ListUnitPrice: unitPrice,
    ContractedUnitPrice: unitPrice,
    ChargeDescription: `a.model || ' ${k.meter}'`,
    ConsumedQuantity: consumedQuantity(d, k, quantity),
    ConsumedUnit: `'${UNITS[k.unit].consumed}'`,
    PricingQuantity: pricingQuantity(d, k, quantity),
    PricingUnit: `'${UNITS[k.unit].pricing}'`,
    SkuId: skuId,
    SkuMeter: `'${k.meter}'`,
    SkuPriceId: `${skuId} || '/' || coalesce(a.service_tier, 'default') || '@' || ${unitPrice}`,
    SkuPriceDetails: d.jsonObject([
      ['x_Model', 'a.model'],
      ['x_TokenType', `'${k.kind}'`],
      ['x_ServiceTier', 'a.service_tier'],
    ]),
  };
}

/**
 * Every column of the row of a group `a` of events whose cost was given (a provider's or an export's total; with
 * givenSums) rather than priced from a card: one charge, `usage`, priced per 1M tokens (per request for a call that
 * reports none) at the average price its cost makes, rounded to 18 digits; list and contracted cost are the given
 * cost.
 */
export function givenColumns(d: FocusDialect, period: FocusPeriod): Record<FocusColumn, string> {
  const tokens = 'a.q_tokens';
  const byTokens = `${tokens} > 0`;
  const quantity = `CASE WHEN ${byTokens} THEN ${tokens} ELSE a.q_requests END`;
  const unitPrice = `CASE WHEN ${quantity} = 0 THEN NULL ELSE ${decimal(
    d,
    `CASE WHEN ${byTokens} THEN ${roundDiv(d, `a.c_usage * ${E12}`, tokens)} ` +
      `ELSE ${roundDiv(d, `a.c_usage * 1000000`, 'a.q_requests')} END`,
    18,
  )} END`;
  const billed = decimal(d, 'a.c_usage', 12);
  const skuId = sku('usage');
  return {
    ...commonColumns(d, period),
    BilledCost: billed,
    EffectiveCost: billed,
    ListCost: billed,
    ContractedCost: billed,
    ListUnitPrice: unitPrice,
    ContractedUnitPrice: unitPrice,
    ChargeDescription: `a.model || ' usage, cost as reported'`,
    ConsumedQuantity: `CASE WHEN ${byTokens} THEN ${decimal(d, tokens, 0)} ELSE NULL END`,
    ConsumedUnit: `CASE WHEN ${byTokens} THEN 'Tokens' ELSE NULL END`,
    PricingQuantity:
      `CASE WHEN ${quantity} = 0 THEN NULL WHEN ${byTokens} THEN ${decimal(d, tokens, 6)} ` +
      `ELSE ${decimal(d, 'a.q_requests', 0)} END`,
    PricingUnit: `CASE WHEN ${quantity} = 0 THEN NULL WHEN ${byTokens} THEN '1000000 Tokens' ELSE 'Requests' END`,
    SkuId: skuId,
    SkuMeter: `'Usage'`,
    SkuPriceId: `${skuId} || '/reported'`,
    SkuPriceDetails: d.jsonObject([
      ['x_Model', 'a.model'],
      ['x_TokenType', `'usage'`],
      ['x_ServiceTier', 'a.service_tier'],
    ]),
  };
}

/** The CSV's columns (named as FOCUS_COLUMNS, from a subquery) typed as FOCUS_TYPES says: a Parquet file's SELECT. */
export function typedColumns(d: FocusDialect): string {
  return FOCUS_COLUMNS.map((c) => {
    const t = FOCUS_TYPES[c];
    const typed = t === 'text' ? d.toText(c) : t === 'instant' ? d.toInstant(c) : d.toDecimal(c, t.decimal);
    return `${typed} AS ${c}`;
  }).join(', ');
}

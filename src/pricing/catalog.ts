import { numberToDecimal } from '../money/money.js';
import { RATE_SCALE } from './cost.js';
import { compileMatch, type Matcher, type MatchRule } from './match-rule.js';
import type { OutputLimitTable } from './output-limits.js';
import { PricingError } from './pricing-errors.js';
import type { ServiceTierTable } from './service-tiers.js';
import type { WebSearchTable } from './web-search.js';

/**
 * The price catalog in tokenledger's own exact form: every price is a bigint USD per 1M tokens (per hour for the
 * `*_hours` keys) at RATE_SCALE (18) fractional digits. Built from genai-prices' provider list (bundled-catalog.ts)
 * and never edited by hand.
 */

/**
 * The price keys the ledger bills by: its token parts' (per 1M tokens), and audio by its duration (`*_hours`, per
 * hour: the card's audio_hour). genai-prices' other keys (cached audio and image reads, video, per-image prices,
 * output audio hours, searches…) are ignored (`prices show` lists them as not billed).
 */
export const PRICE_PARTS = [
  'input_mtok',
  'cache_read_mtok',
  'cache_write_mtok',
  'cache_write_1h_mtok',
  'output_mtok',
  'input_audio_mtok',
  'output_audio_mtok',
  'input_image_mtok',
  'output_image_mtok',
  'input_audio_hours',
  'audio_hours',
] as const;
export type PricePart = (typeof PRICE_PARTS)[number];

interface Tier {
  /** The tier applies once the request's total input tokens are strictly greater than `start`. */
  start: number;
  price: bigint;
}

/** A price with optional long-context tiers; a flat price has no tiers. */
export interface TieredRate {
  base: bigint;
  tiers: readonly Tier[];
}

export type PriceSet = Partial<Record<PricePart, TieredRate>>;

export type PriceConstraint =
  | { type: 'start_date'; start_date: string; startUs: number }
  | { type: 'time_of_day'; start_time: string; end_time: string; startSec: number; endSec: number };

export interface ConditionalPrices {
  constraint: PriceConstraint | null;
  prices: PriceSet;
}

export interface CatalogModel {
  id: string;
  name: string | null;
  rule: MatchRule;
  matches: Matcher;
  /** Alternatives in catalog order; see selectPrices for which one is in force. */
  prices: readonly ConditionalPrices[];
  /** Price keys present in the catalog that the ledger does not bill (kept for `prices show`). */
  ignoredKeys: readonly string[];
}

export interface CatalogProvider {
  id: string;
  name: string;
  pricingUrls: readonly string[];
  modelMatch: Matcher | null;
  providerMatch: Matcher | null;
  /** Providers whose models this one also serves at the same prices (e.g. azure → openai). */
  fallbacks: readonly string[];
  models: readonly CatalogModel[];
}

export interface Catalog {
  /** e.g. `genai-prices@0.1.8`. */
  version: string;
  providers: readonly CatalogProvider[];
  serviceTiers: ServiceTierTable;
  /** The web search fee per provider and tool (data/web-search.json). */
  webSearch: WebSearchTable;
  /** The most output tokens a model writes in one answer (data/output-limits.json). */
  outputLimits: OutputLimitTable;
}

/** The subset of genai-prices' `Provider` type this module reads (see its dist/index.d.ts). */
export interface GenaiProvider {
  id: string;
  name: string;
  pricing_urls?: string[];
  model_match?: MatchRule;
  provider_match?: MatchRule;
  fallback_model_providers?: string[];
  models: GenaiModel[];
}
interface GenaiModel {
  id: string;
  name?: string;
  match: MatchRule;
  prices: GenaiPriceSet | { constraint?: Record<string, string>; prices: GenaiPriceSet }[];
}
type GenaiPriceSet = Record<
  string,
  number | { base: number; tiers: { start: number; price: number }[] } | undefined
>;

const PARTS = new Set<string>(PRICE_PARTS);

/** Converts genai-prices' provider list; each number goes through its shortest decimal string (money.numberToDecimal). */
export function catalogFromGenaiPrices(
  providers: readonly GenaiProvider[],
  version: string,
  serviceTiers: ServiceTierTable,
  webSearch: WebSearchTable,
  outputLimits: OutputLimitTable,
): Catalog {
  return {
    version,
    serviceTiers,
    webSearch,
    outputLimits,
    providers: providers.map((p) => ({
      id: p.id,
      name: p.name,
      pricingUrls: p.pricing_urls ?? [],
      modelMatch: p.model_match ? compileMatch(p.model_match) : null,
      providerMatch: p.provider_match ? compileMatch(p.provider_match) : null,
      fallbacks: p.fallback_model_providers ?? [],
      models: p.models.map((m) => convertModel(p.id, m)),
    })),
  };
}

function convertModel(providerId: string, m: GenaiModel): CatalogModel {
  const where = `${providerId}/${m.id}`;
  const list = Array.isArray(m.prices) ? m.prices : [{ prices: m.prices }];
  const ignored = new Set<string>();
  const prices = list.map((c) => {
    const set: PriceSet = {};
    for (const [key, value] of Object.entries(c.prices)) {
      if (value === undefined) continue;
      if (!PARTS.has(key)) {
        ignored.add(key);
        continue;
      }
      set[key as PricePart] = convertRate(value, `${where} ${key}`);
    }
    return {
      constraint: 'constraint' in c && c.constraint ? convertConstraint(c.constraint, where) : null,
      prices: set,
    };
  });
  return {
    id: m.id,
    name: m.name ?? null,
    rule: m.match,
    matches: compileMatch(m.match),
    prices,
    ignoredKeys: [...ignored].sort(),
  };
}

function convertRate(value: NonNullable<GenaiPriceSet[string]>, where: string): TieredRate {
  if (typeof value === 'number') return { base: rate(value, where), tiers: [] };
  const tiers = value.tiers
    .map((t) => ({ start: t.start, price: rate(t.price, where) }))
    .sort((a, b) => a.start - b.start);
  return { base: rate(value.base, where), tiers };
}

function rate(n: number, where: string): bigint {
  if (!Number.isFinite(n) || n < 0) {
    throw new PricingError(
      'PRICE_CATALOG_INVALID',
      `catalog price ${where} is ${n}; expected a finite non-negative number (is the installed @pydantic/genai-prices the pinned version?)`,
    );
  }
  return numberToDecimal(n, RATE_SCALE);
}

function convertConstraint(c: Record<string, string>, where: string): PriceConstraint {
  if (c.start_date !== undefined && (c.type === undefined || c.type === 'start_date')) {
    const startUs = Date.parse(`${c.start_date}T00:00:00Z`) * 1000;
    if (Number.isNaN(startUs))
      throw new PricingError('PRICE_CATALOG_INVALID', `catalog ${where}: bad start_date ${c.start_date}`);
    return { type: 'start_date', start_date: c.start_date, startUs };
  }
  if (c.start_time !== undefined && c.end_time !== undefined) {
    return {
      type: 'time_of_day',
      start_time: c.start_time,
      end_time: c.end_time,
      startSec: secondsOfDay(c.start_time, where),
      endSec: secondsOfDay(c.end_time, where),
    };
  }
  throw new PricingError(
    'PRICE_CATALOG_INVALID',
    `catalog ${where}: unknown price constraint ${JSON.stringify(c)}`,
  );
}

/** "HH:MM:SS[.f](Z|±HH:MM)" to seconds after UTC midnight, as genai-prices reads it. */
function secondsOfDay(text: string, where: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) throw new PricingError('PRICE_CATALOG_INVALID', `catalog ${where}: bad time of day ${text}`);
  const local = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  const offset = m[4] === 'Z' ? 0 : (m[5] === '+' ? 1 : -1) * (Number(m[6]) * 60 + Number(m[7])) * 60;
  return (local - offset + 86_400) % 86_400;
}

const DAY_US = 86_400_000_000;

/**
 * Index of the alternative in force at `ts` (epoch µs), by genai-prices' rule: the last alternative whose constraint
 * holds wins (a start date has passed, or the time of day is inside the window, which may wrap midnight); an
 * alternative without a constraint always holds; if none holds, the first one applies.
 */
export function selectPrices(prices: readonly ConditionalPrices[], ts: number): number {
  for (let i = prices.length - 1; i >= 0; i--) {
    const c = prices[i]!.constraint;
    if (c === null) return i;
    if (c.type === 'start_date') {
      if (ts >= c.startUs) return i;
    } else {
      const sec = (((ts % DAY_US) + DAY_US) % DAY_US) / 1e6;
      const inside =
        c.endSec < c.startSec ? sec >= c.startSec || sec < c.endSec : sec >= c.startSec && sec < c.endSec;
      if (inside) return i;
    }
  }
  return 0;
}

import { MoneyError, parseDecimal } from '../money/money.js';
import { PRICE_PARTS, type PricePart, type PriceSet } from './catalog.js';
import { RATE_SCALE } from './cost.js';
import { PricingError } from './pricing-errors.js';

/** A multiplier as the file writes it and at RATE_SCALE digits (e.g. "0.5" and 500000000000000000n). */
export interface Multiplier {
  value: bigint;
  text: string;
}

/**
 * How a tier prices one model it lists: its own prices for some parts (flat USD per 1M tokens; they replace the
 * catalog's, parts not listed keep their standard price), or a multiplier of all five standard rates.
 */
export type TierModel = { prices: PriceSet; multiplier: null } | { prices: null; multiplier: Multiplier };

/**
 * What one provider charges in one service tier: what it lists per model (OpenAI's priority premium and Anthropic's
 * fast mode differ per model, so no single multiplier states them), else its multiplier of all five standard rates,
 * else nothing (the standard rates).
 */
export interface ServiceTier {
  multiplier: Multiplier | null;
  source: string;
  /** Canonical model id → how the tier prices that model. */
  models: ReadonlyMap<string, TierModel>;
}

/** provider id → tier name (lower-case) → its prices. */
export type ServiceTierTable = ReadonlyMap<string, ReadonlyMap<string, ServiceTier>>;

/**
 * Where a call ran can cost extra beside its tier: Anthropic bills inference kept in the US (`inference_geo: us`,
 * Opus 4.6, Sonnet 4.6 and later) at 1.1× every rate, stacked on its tier (fast mode, batch). The file lists such a
 * multiplier as the provider's entry `inference_geo:GEO`; an event names its geography in the tag INFERENCE_GEO_TAG (ledger/event.ts).
 */
export const GEO_PREFIX = 'inference_geo:';

/**
 * What a call is priced by beyond its model: a tier the provider prices, a geography it prices, and the web search
 * tool it used where a provider prices its tools apart (pricing/web-search.ts); any of them, or none.
 */
export interface TierChoice {
  tier: string | null;
  geo: string | null;
  searchTool: string | null;
}

/** Tier names that mean "the standard price": providers spell it differently (OpenAI `default`, Anthropic `standard`). */
const STANDARD_TIERS = new Set(['', 'default', 'standard', 'auto', 'on_demand', 'on-demand']);

/** The event's service tier as a table key, or null for the standard price. */
export function normaliseServiceTier(tier: string | null): string | null {
  if (tier === null) return null;
  const t = tier.trim().toLowerCase();
  return STANDARD_TIERS.has(t) ? null : t;
}

/**
 * Parses data/service-tiers.json (`file` names it in errors). JSON, checked by hand: every command that prices reads
 * it, and the YAML parser and zod (whose import alone is 110–140 ms) were most of the catalog's start-up.
 */
export function parseServiceTiers(text: string, file: string): ServiceTierTable {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new PricingError(
      'PRICE_SERVICE_TIERS_INVALID',
      `${file}: not valid JSON (${(cause as Error).message})`,
      { cause },
    );
  }
  const invalid = (where: string, what: string) =>
    new PricingError('PRICE_SERVICE_TIERS_INVALID', `${file}: ${where}${what}`);
  if (!isObject(raw)) throw invalid('(top level)', ': expected an object of provider ids');
  const table = new Map<string, Map<string, ServiceTier>>();
  for (const [provider, tiers] of Object.entries(raw)) {
    if (!isObject(tiers)) throw invalid(provider, ': expected an object of tier names');
    const byTier = new Map<string, ServiceTier>();
    for (const [tier, entry] of Object.entries(tiers)) {
      const where = `${provider}.${tier}`;
      if (!isObject(entry)) throw invalid(where, ': expected {multiplier, models, source}');
      const extra = Object.keys(entry).find((k) => !ENTRY_KEYS.includes(k));
      if (extra !== undefined)
        throw invalid(`${where}.${extra}`, `: unknown key; allowed: ${ENTRY_KEYS.join(', ')}`);
      if (typeof entry.source !== 'string' || !URL.canParse(entry.source))
        throw invalid(`${where}.source`, ': expected the URL of the page that publishes the prices');
      if (entry.multiplier === undefined && entry.models === undefined)
        throw invalid(where, ': expected a multiplier, models, or both');
      const multiplier =
        entry.multiplier === undefined ? null : multiplierOf(entry.multiplier, `${where}.multiplier`);
      const models = new Map<string, TierModel>();
      if (entry.models !== undefined) {
        if (!isObject(entry.models)) throw invalid(`${where}.models`, ': expected an object of model ids');
        for (const [model, given] of Object.entries(entry.models))
          models.set(model, tierModel(given, `${where}.models.${model}`));
      }
      byTier.set(tier.toLowerCase(), { multiplier, source: entry.source, models });
    }
    table.set(provider, byTier);
  }
  return table;

  function tierModel(given: unknown, at: string): TierModel {
    const allowed = `some of ${PRICE_PARTS.join(', ')}, or a multiplier`;
    if (!isObject(given) || Object.keys(given).length === 0) throw invalid(at, `: expected ${allowed}`);
    if (given.multiplier !== undefined) {
      if (Object.keys(given).length > 1) throw invalid(at, ': expected prices or a multiplier, not both');
      return { prices: null, multiplier: multiplierOf(given.multiplier, `${at}.multiplier`) };
    }
    const prices: PriceSet = {};
    for (const [part, value] of Object.entries(given)) {
      if (!(PRICE_PARTS as readonly string[]).includes(part))
        throw invalid(`${at}.${part}`, `: unknown price; allowed: ${allowed}`);
      prices[part as PricePart] = {
        base: decimal(decimalText(value, `${at}.${part}`), `${at}.${part}`),
        tiers: [],
      };
    }
    return { prices, multiplier: null };
  }

  function multiplierOf(v: unknown, where: string): Multiplier {
    const text = decimalText(v, where);
    return { value: decimal(text, where), text };
  }

  function decimalText(v: unknown, where: string): string {
    if (typeof v !== 'string' && typeof v !== 'number') throw invalid(where, ': expected a decimal string');
    return String(v);
  }

  function decimal(text: string, where: string): bigint {
    let value: bigint;
    try {
      value = parseDecimal(text, RATE_SCALE);
    } catch (cause) {
      if (!(cause instanceof MoneyError)) throw cause;
      throw invalid(where, `: ${cause.message}`);
    }
    if (value < 0n) throw invalid(where, ' must not be negative');
    return value;
  }
}

const ENTRY_KEYS = ['multiplier', 'models', 'source'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

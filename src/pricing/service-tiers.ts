import { MoneyError, parseDecimal } from '../money/money.js';
import { PRICE_PARTS, type PricePart, type PriceSet } from './catalog.js';
import { RATE_SCALE } from './cost.js';
import { PricingError } from './pricing-errors.js';

/**
 * What one provider charges in one service tier: its own prices for the models it lists (OpenAI's priority premium
 * differs per model, so no single multiplier states it), else a multiplier of all five standard rates, else nothing
 * (the standard rates).
 */
export interface ServiceTier {
  /** At RATE_SCALE digits (e.g. 500000000000000000n for "0.5"), or null when the tier has none. */
  multiplier: bigint | null;
  /** The multiplier as written in the file, or null. */
  text: string | null;
  source: string;
  /**
   * Canonical model id → the parts this tier prices differently (USD per 1M tokens, flat): they replace the
   * catalog's; parts not listed keep their standard price.
   */
  models: ReadonlyMap<string, PriceSet>;
}

/** provider id → tier name (lower-case) → its prices. */
export type ServiceTierTable = ReadonlyMap<string, ReadonlyMap<string, ServiceTier>>;

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
      let multiplier: bigint | null = null;
      let text: string | null = null;
      if (entry.multiplier !== undefined) {
        text = decimalText(entry.multiplier, `${where}.multiplier`);
        multiplier = decimal(text, `${where}.multiplier`);
      }
      const models = new Map<string, PriceSet>();
      if (entry.models !== undefined) {
        if (!isObject(entry.models)) throw invalid(`${where}.models`, ': expected an object of model ids');
        for (const [model, prices] of Object.entries(entry.models)) {
          const at = `${where}.models.${model}`;
          if (!isObject(prices) || Object.keys(prices).length === 0)
            throw invalid(at, `: expected prices, some of ${PRICE_PARTS.join(', ')}`);
          const set: PriceSet = {};
          for (const [part, value] of Object.entries(prices)) {
            if (!(PRICE_PARTS as readonly string[]).includes(part))
              throw invalid(`${at}.${part}`, `: unknown price; allowed: ${PRICE_PARTS.join(', ')}`);
            set[part as PricePart] = {
              base: decimal(decimalText(value, `${at}.${part}`), `${at}.${part}`),
              tiers: [],
            };
          }
          models.set(model, set);
        }
      }
      byTier.set(tier.toLowerCase(), { multiplier, text, source: entry.source, models });
    }
    table.set(provider, byTier);
  }
  return table;

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

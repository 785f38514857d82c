import { PRICE_PARTS, type PricePart, type PriceSet } from './catalog.js';
import { type Invalid, isObject, modelsOf, parseProviderTable, rateDecimal } from './data-table.js';
import { PricingError } from './pricing-errors.js';

/** A multiplier as the file writes it and at RATE_SCALE digits (e.g. "0.5" and 500000000000000000n). */
interface Multiplier {
  value: bigint;
  text: string;
}

/**
 * How a tier prices one model it lists: its own prices for some parts (flat USD per 1M tokens; they replace the
 * catalog's, parts not listed keep their standard price), or a multiplier of all five standard rates.
 */
type TierModel = { prices: PriceSet; multiplier: null } | { prices: null; multiplier: Multiplier };

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

/** An entry that names another tier of the same provider: OpenAI's `fast` is its renamed `priority`. */
interface SameAs {
  sameAs: string;
  where: string;
  source: string;
}

/**
 * Parses data/service-tiers.json (`file` names it in errors). JSON, checked by hand (data-table.ts): the YAML parser
 * and zod were most of the catalog's start-up. An entry `{same_as: TIER, source}` is another name of a tier the
 * provider lists (its prices, its own source), so a renamed tier is billed the same under either name.
 */
export function parseServiceTiers(text: string, file: string): ServiceTierTable {
  const table = parseProviderTable<ServiceTier | SameAs>(
    text,
    file,
    'PRICE_SERVICE_TIERS_INVALID',
    {
      names: 'tier names',
      keys: ['multiplier', 'models', 'same_as', 'source'],
      entry: '{multiplier, models, source} or {same_as, source}',
      publishes: 'prices',
    },
    (entry, { name, where, source }, invalid) => {
      if (entry.same_as !== undefined) {
        if (typeof entry.same_as !== 'string' || entry.same_as.trim() === '')
          throw invalid(`${where}.same_as`, ': expected the name of another tier of this provider');
        if (entry.multiplier !== undefined || entry.models !== undefined)
          throw invalid(where, ': expected same_as or prices (multiplier, models), not both');
        return [name.toLowerCase(), { sameAs: entry.same_as.trim().toLowerCase(), where, source }];
      }
      if (entry.multiplier === undefined && entry.models === undefined)
        throw invalid(where, ': expected a multiplier, models, or both');
      const multiplier =
        entry.multiplier === undefined
          ? null
          : multiplierOf(entry.multiplier, `${where}.multiplier`, invalid);
      const models = modelsOf(entry, where, invalid, (given, at) => tierModel(given, at, invalid));
      return [name.toLowerCase(), { multiplier, source, models }];
    },
  );
  const resolved = new Map<string, Map<string, ServiceTier>>();
  for (const [provider, tiers] of table) {
    const byName = new Map<string, ServiceTier>();
    for (const [name, tier] of tiers) {
      if (!('sameAs' in tier)) {
        byName.set(name, tier);
        continue;
      }
      const target = tiers.get(tier.sameAs);
      if (target === undefined || 'sameAs' in target)
        throw new PricingError(
          'PRICE_SERVICE_TIERS_INVALID',
          `${file}: ${tier.where}.same_as: no tier "${tier.sameAs}" with prices in ${provider}; name one this provider lists`,
        );
      byName.set(name, { ...target, source: tier.source });
    }
    resolved.set(provider, byName);
  }
  return resolved;
}

function tierModel(given: unknown, at: string, invalid: Invalid): TierModel {
  const allowed = `some of ${PRICE_PARTS.join(', ')}, or a multiplier`;
  if (!isObject(given) || Object.keys(given).length === 0) throw invalid(at, `: expected ${allowed}`);
  if (given.multiplier !== undefined) {
    if (Object.keys(given).length > 1) throw invalid(at, ': expected prices or a multiplier, not both');
    return { prices: null, multiplier: multiplierOf(given.multiplier, `${at}.multiplier`, invalid) };
  }
  const prices: PriceSet = {};
  for (const [part, value] of Object.entries(given)) {
    if (!(PRICE_PARTS as readonly string[]).includes(part))
      throw invalid(`${at}.${part}`, `: unknown price; allowed: ${allowed}`);
    prices[part as PricePart] = {
      base: rateDecimal(decimalText(value, `${at}.${part}`, invalid), `${at}.${part}`, invalid),
      tiers: [],
    };
  }
  return { prices, multiplier: null };
}

function multiplierOf(v: unknown, where: string, invalid: Invalid): Multiplier {
  const text = decimalText(v, where, invalid);
  return { value: rateDecimal(text, where, invalid), text };
}

function decimalText(v: unknown, where: string, invalid: Invalid): string {
  if (typeof v !== 'string' && typeof v !== 'number') throw invalid(where, ': expected a decimal string');
  return String(v);
}

import { MoneyError, parseDecimal } from '../money/money.js';
import { RATE_SCALE } from './cost.js';
import { PricingError } from './pricing-errors.js';

/** One provider's multiplier for one service tier, exact at RATE_SCALE digits. */
export interface ServiceTierMultiplier {
  /** e.g. 500000000000000000n for "0.5". */
  multiplier: bigint;
  text: string;
  source: string;
}

/** provider id → tier name (lower-case) → multiplier. */
export type ServiceTierTable = ReadonlyMap<string, ReadonlyMap<string, ServiceTierMultiplier>>;

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
  const table = new Map<string, Map<string, ServiceTierMultiplier>>();
  for (const [provider, tiers] of Object.entries(raw)) {
    if (!isObject(tiers)) throw invalid(provider, ': expected an object of tier names');
    const byTier = new Map<string, ServiceTierMultiplier>();
    for (const [tier, entry] of Object.entries(tiers)) {
      const where = `${provider}.${tier}`;
      if (!isObject(entry)) throw invalid(where, ': expected {multiplier, source}');
      const extra = Object.keys(entry).find((k) => k !== 'multiplier' && k !== 'source');
      if (extra !== undefined)
        throw invalid(`${where}.${extra}`, ': unknown key; allowed: multiplier, source');
      if (typeof entry.source !== 'string' || !URL.canParse(entry.source))
        throw invalid(`${where}.source`, ': expected the URL of the page that publishes the multiplier');
      if (typeof entry.multiplier !== 'string' && typeof entry.multiplier !== 'number')
        throw invalid(`${where}.multiplier`, ': expected a decimal string');
      const text = String(entry.multiplier);
      let multiplier: bigint;
      try {
        multiplier = parseDecimal(text, RATE_SCALE);
      } catch (cause) {
        if (!(cause instanceof MoneyError)) throw cause;
        throw invalid(`${where}.multiplier`, `: ${cause.message}`);
      }
      if (multiplier < 0n) throw invalid(`${where}.multiplier`, ' must not be negative');
      byTier.set(tier.toLowerCase(), { multiplier, text, source: entry.source });
    }
    table.set(provider, byTier);
  }
  return table;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

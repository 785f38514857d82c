import { z } from 'zod';
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

const entrySchema = z
  .object({ multiplier: z.union([z.string(), z.number()]), source: z.string().url() })
  .strict();
const fileSchema = z.record(z.string(), z.record(z.string(), entrySchema));

/**
 * Parses data/service-tiers.json (`file` names it in errors). JSON rather than YAML: every command that prices
 * reads it, and the YAML parser's import and first parse were ~40 ms of their start-up.
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
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PricingError(
      'PRICE_SERVICE_TIERS_INVALID',
      `${file}: ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  const table = new Map<string, Map<string, ServiceTierMultiplier>>();
  for (const [provider, tiers] of Object.entries(parsed.data)) {
    const byTier = new Map<string, ServiceTierMultiplier>();
    for (const [tier, entry] of Object.entries(tiers)) {
      const text = String(entry.multiplier);
      let multiplier: bigint;
      try {
        multiplier = parseDecimal(text, RATE_SCALE);
      } catch (cause) {
        if (!(cause instanceof MoneyError)) throw cause;
        throw new PricingError(
          'PRICE_SERVICE_TIERS_INVALID',
          `${file}: ${provider}.${tier}.multiplier: ${cause.message}`,
        );
      }
      if (multiplier < 0n)
        throw new PricingError(
          'PRICE_SERVICE_TIERS_INVALID',
          `${file}: ${provider}.${tier}.multiplier must not be negative`,
        );
      byTier.set(tier.toLowerCase(), { multiplier, text, source: entry.source });
    }
    table.set(provider, byTier);
  }
  return table;
}

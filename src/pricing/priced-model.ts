import { divRoundHalfEven } from '../money/money.js';
import { type ConditionalPrices, type PriceSet, selectPrices } from './catalog.js';
import { RATE_SCALE } from './cost.js';
import type { Effective, OverrideDiscount } from './overrides.js';
import { type Card, rateCard } from './rates.js';
import type { Resolution } from './resolve.js';
import { GEO_PREFIX, type ServiceTier, type TierChoice } from './service-tiers.js';
import { type WebSearchTable, webSearchPrice } from './web-search.js';

/** A discount from the overrides file with its provider and model already resolved to catalog ids. */
export interface DiscountTarget {
  discount: OverrideDiscount;
  /** Billing provider id the discount is for, or null for any. */
  provider: string | null;
  /** Canonical model id the discount is for, or null for any. */
  model: string | null;
}

/**
 * One resolved model and its memoised rate cards. A card depends only on (catalog alternative in force, which
 * override/discount ranges contain `ts`, long-context tier, service tier), so those four small integers are the
 * cache key and the catalog and overrides are consulted once per distinct combination.
 */
export class PricedModel {
  private readonly catalogPrices: readonly ConditionalPrices[];
  private readonly discounts: readonly DiscountTarget[];
  private readonly boundaries: number[];
  private readonly thresholds: number[];
  private readonly cards = new Map<number, Card | null>();

  constructor(
    readonly resolution: Resolution,
    private readonly serviceTiers: ReadonlyMap<string, ServiceTier> | undefined,
    discounts: readonly DiscountTarget[],
    private readonly webSearch: WebSearchTable = new Map(),
  ) {
    const entry = resolution.entry;
    this.catalogPrices = entry.catalog?.prices ?? [];
    this.discounts = discounts.filter(
      (t) =>
        (t.provider === null || t.provider === resolution.provider) &&
        (t.model === null || t.model === resolution.model),
    );
    const ranges: Effective[] = [...entry.changes, ...this.discounts.map((t) => t.discount)];
    this.boundaries = uniqueSorted(
      ranges.flatMap((r) => [r.fromUs, r.untilUs]).filter((v): v is number => v !== null),
    );
    const sets = [...this.catalogPrices.map((c) => c.prices), ...entry.changes.map((c) => c.prices)];
    this.thresholds = uniqueSorted(
      sets.flatMap((s) => Object.values(s).flatMap((rate) => rate.tiers.map((t) => t.start))),
    );
  }

  /** The card for a request, or null when the model has no price at `ts` (an override model outside its dates). */
  card(
    ts: number,
    totalInput: number,
    tierCode: number,
    choices: readonly (TierChoice | null)[],
  ): Card | null {
    const alt = this.catalogPrices.length > 1 ? selectPrices(this.catalogPrices, ts) : 0;
    let segment = 0;
    for (const b of this.boundaries) if (ts >= b) segment++;
    let tier = 0;
    for (const start of this.thresholds) if (totalInput > start) tier++;
    const key =
      ((alt * (this.boundaries.length + 1) + segment) * (this.thresholds.length + 1) + tier) * 1024 +
      tierCode;
    let card = this.cards.get(key);
    if (card === undefined) {
      card = this.compute(ts, totalInput, choices[tierCode] ?? null);
      this.cards.set(key, card);
    }
    return card;
  }

  /**
   * The prices in force at `ts`: the catalog alternative, then the service tier's own prices for this model if it
   * has some (they are the provider's list prices for that tier, so they stand where the catalog's would), then
   * override price changes in file order (overrides win over both).
   */
  pricesAt(ts: number, tier: ServiceTier | null = null): PriceSet | null {
    const active = this.resolution.entry.changes.filter((c) => inRange(c, ts));
    if (this.catalogPrices.length === 0 && active.length === 0) return null;
    const base =
      this.catalogPrices.length > 0 ? this.catalogPrices[selectPrices(this.catalogPrices, ts)]!.prices : {};
    const own = tier?.models.get(this.resolution.model)?.prices ?? {};
    return Object.assign({}, base, own, ...active.map((c) => c.prices)) as PriceSet;
  }

  /** The negotiated discount in force at `ts`: a model-level one beats a provider-level one; later entries win ties. */
  discountAt(ts: number): OverrideDiscount | null {
    let best: DiscountTarget | null = null;
    for (const t of this.discounts) {
      if (!inRange(t.discount, ts)) continue;
      if (best === null || t.model !== null || best.model === null) best = t;
    }
    return best?.discount ?? null;
  }

  serviceTier(name: string | null): ServiceTier | null {
    return name === null ? null : (this.serviceTiers?.get(name) ?? null);
  }

  /** The web search fee a call with `tool` (null: the provider's current tool) pays, or null when none is charged. */
  webSearchPrice(tool: string | null): ReturnType<typeof webSearchPrice> {
    return webSearchPrice(this.webSearch, this.resolution.provider, this.resolution.model, tool);
  }

  private compute(ts: number, totalInput: number, choice: TierChoice | null): Card | null {
    const tier = this.serviceTier(choice?.tier ?? null);
    const geo = choice?.geo ?? null;
    const own = tier?.models.get(this.resolution.model);
    const prices = this.pricesAt(ts, tier);
    if (prices === null) return null;
    // A model the tier lists is priced as listed, not also scaled by the tier's own multiplier.
    const tierMultiplier = (own ? own.multiplier : tier?.multiplier)?.value ?? null;
    // A geography may price some models only (OpenAI's data residency: those released on or after 2026-03-05).
    const place = geo === null ? null : this.serviceTier(GEO_PREFIX + geo);
    const geoMultiplier =
      (place?.models.get(this.resolution.model)?.multiplier ?? place?.multiplier)?.value ?? null;
    return rateCard({
      prices,
      totalInput,
      multiplier: stacked(tierMultiplier, geoMultiplier),
      percentOff: this.discountAt(ts)?.percentOff ?? null,
      claude: this.resolution.entry.claude,
      webSearch: this.webSearchPrice(choice?.searchTool ?? null)?.perThousand ?? 0n,
    });
  }
}

/** Two multipliers applied one after the other, as one (both at RATE_SCALE digits; short decimals, so exact). */
function stacked(a: bigint | null, b: bigint | null): bigint | null {
  if (a === null || b === null) return a ?? b;
  return divRoundHalfEven(a * b, 10n ** BigInt(RATE_SCALE));
}

function inRange(e: Effective, ts: number): boolean {
  return (e.fromUs === null || ts >= e.fromUs) && (e.untilUs === null || ts < e.untilUs);
}

function uniqueSorted(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

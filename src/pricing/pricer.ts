import {
  INFERENCE_GEO_TAG,
  type RateCard,
  type UnpricedEvent,
  type UsageEvent,
  WEB_SEARCH_TOOL_TAG,
} from '../ledger/event.js';
import type { Catalog } from './catalog.js';
import { CatalogIndex } from './catalog-index.js';
import { contextInput } from './context-size.js';
import { costMatches, costOf } from './cost.js';
import type { Overrides } from './overrides.js';
import { type DiscountTarget, PricedModel } from './priced-model.js';
import { PricingError } from './pricing-errors.js';
import { CUSTOM_PROVIDER, type Resolution, Resolver } from './resolve.js';
import { GEO_PREFIX, normaliseServiceTier, type TierChoice } from './service-tiers.js';
import { DEFAULT_TOOL, webSearchToolName } from './web-search.js';

/**
 * Prices usage events. One per process (or per reprice run): it memoises name resolution by (provider, model) and
 * rate cards by (model, price period, long-context tier, service tier), so pricing millions of events does the
 * catalog work once per distinct shape.
 */
export interface Pricer {
  /** `genai-prices@0.1.8`, plus `+ov:<8 hex>` when an overrides file is in force. */
  readonly version: string;
  readonly catalog: Catalog;
  readonly overrides: Overrides | null;
  /** Fills in model, provider, cost parts, rates, cost_source and price_version. Never prices an unknown model at $0. */
  price(e: UnpricedEvent): UsageEvent;
  /** What a name resolves to (memoised); `provider` is the event's provider, if any. */
  resolve(model: string, provider?: string | null): Resolution | null;
  /**
   * The effective rates for a request shape, or null when the model has no price at `ts`. `searchTool` is the web
   * search tool the call used, when not the provider's current one (the tag WEB_SEARCH_TOOL_TAG); `geo` where it ran
   * when that costs extra (the tag INFERENCE_GEO_TAG).
   */
  rates(
    r: Resolution,
    ts: number,
    totalInput: number,
    serviceTier: string | null,
    searchTool?: string | null,
    geo?: string | null,
  ): RateCard | null;
  /** The prices, discounts and service tiers behind a resolution (for `prices show`). */
  pricedModel(r: Resolution): PricedModel;
}

/**
 * A pricer over a catalog and optional overrides. Pure: no I/O (loadPricer reads the files).
 *
 * @example
 *   const pricer = createPricer(await loadBundledCatalog(), null);
 *   const priced = pricer.price(unpricedEvent); // priced.cost_usd, priced.rates, priced.price_version
 */
export function createPricer(catalog: Catalog, overrides: Overrides | null): Pricer {
  return new LedgerPricer(catalog, overrides);
}

class LedgerPricer implements Pricer {
  readonly version: string;
  private readonly resolver: Resolver;
  private readonly index: CatalogIndex;
  private readonly discounts: DiscountTarget[];
  private readonly byProvider = new Map<string | null, Map<string, PricedModel | null>>();
  /** Code per (service tier, geography) as events write them, and per priced choice. */
  private readonly tierCodes = new Map<string, number>();
  private readonly choiceCodes = new Map<string, number>();
  private readonly tierChoices: (TierChoice | null)[] = [null];
  /** Every tier some provider has a multiplier for; any other tier is priced at the standard rates. */
  private readonly pricedTiers: ReadonlySet<string>;
  /** Inference geographies some provider prices (`inference_geo:GEO` entries, e.g. Anthropic's `us`). */
  private readonly pricedGeos: ReadonlySet<string>;
  /** Web search tools some provider prices apart from its current one (OpenAI's `web_search_preview`). */
  private readonly pricedSearchTools: ReadonlySet<string>;

  constructor(
    readonly catalog: Catalog,
    readonly overrides: Overrides | null,
  ) {
    this.version = overrides ? `${catalog.version}+ov:${overrides.hash}` : catalog.version;
    this.index = new CatalogIndex(catalog);
    this.resolver = new Resolver(this.index, overrides);
    this.pricedTiers = new Set([...catalog.serviceTiers.values()].flatMap((tiers) => [...tiers.keys()]));
    this.pricedGeos = new Set(
      [...this.pricedTiers].filter((t) => t.startsWith(GEO_PREFIX)).map((t) => t.slice(GEO_PREFIX.length)),
    );
    this.pricedSearchTools = new Set(
      [...catalog.webSearch.values()].flatMap((tools) => [...tools.keys()]).filter((t) => t !== DEFAULT_TOOL),
    );
    this.discounts = (overrides?.discounts ?? []).map((discount) => ({
      discount,
      provider:
        discount.provider === null
          ? null
          : (this.index.provider(discount.provider)?.id ?? discount.provider.toLowerCase()),
      model:
        discount.model === null
          ? null
          : (this.resolver.resolve(discount.provider, discount.model)?.model ?? discount.model),
    }));
    if (overrides !== null) this.checkDiscounts(overrides);
  }

  /**
   * A discount whose model or provider names nothing priced can never apply: a misspelt `claude-sonet-4-5` would
   * leave the list price in force with no word said, and the bill would not match the negotiated rate.
   */
  private checkDiscounts(overrides: Overrides): void {
    const providers = new Set(overrides.models.map((m) => (m.provider ?? CUSTOM_PROVIDER).toLowerCase()));
    const problems: string[] = [];
    for (const { discount } of this.discounts) {
      const { provider, model, at, where } = discount;
      if (
        provider !== null &&
        this.index.provider(provider) === null &&
        !providers.has(provider.toLowerCase())
      )
        problems.push(
          `${at}: ${where}.provider: no provider "${provider}" in the catalog or this file's models, so the discount would never apply; check the spelling`,
        );
      else if (model !== null && this.resolver.resolve(provider, model) === null)
        problems.push(
          `${at}: ${where}.model: no model "${model}" in the catalog or this file's models, so the discount would never apply; check the spelling (\`tokenledger prices show NAME\` shows what a name resolves to)`,
        );
    }
    if (problems.length > 0)
      throw new PricingError(
        'PRICE_OVERRIDES_INVALID',
        `${overrides.file} has ${problems.length} problem${problems.length === 1 ? '' : 's'} (format: docs/pricing.md#overrides-file):\n  ${problems.join('\n  ')}`,
      );
  }

  resolve(model: string, provider: string | null = null): Resolution | null {
    return this.priced(provider, model)?.resolution ?? null;
  }

  rates(
    r: Resolution,
    ts: number,
    totalInput: number,
    serviceTier: string | null,
    searchTool: string | null = null,
    geo: string | null = null,
  ): RateCard | null {
    const code = this.tierCode(serviceTier, geo, searchTool);
    return this.pricedModel(r).card(ts, totalInput, code, this.tierChoices)?.rates ?? null;
  }

  /** The memoised model behind a resolution (discount and service-tier lookups for `prices show`). */
  pricedModel(r: Resolution): PricedModel {
    let m = this.models.get(r);
    if (m === undefined) {
      m = new PricedModel(
        r,
        this.catalog.serviceTiers.get(r.provider),
        this.discounts,
        this.catalog.webSearch,
      );
      this.models.set(r, m);
    }
    return m;
  }

  /** Resolutions are memoised objects too, so a weak map keyed by them holds one model each. */
  private readonly models = new WeakMap<Resolution, PricedModel>();

  price(e: UnpricedEvent): UsageEvent {
    const priced = this.priced(e.provider, e.model);
    const r = priced === null ? null : priced.resolution;
    const model = r === null ? e.model : r.model;
    const provider = e.provider ?? (r === null ? null : r.provider);
    const given = e.given_cost;
    if (!given) {
      return (
        this.compute(e, priced, model, provider) ??
        build(e, model, provider, null, null, null, null, null, 'unpriced', null, null)
      );
    }
    // A cost this very price version computed (an exported ledger coming back) is checked against its rate card and,
    // when it agrees to the pico-dollar, kept with the card: the store then holds a rate reference, not five amounts.
    const card =
      given.cost_source === 'computed' && given.price_version === this.version
        ? this.ratesFor(e, priced)
        : null;
    return build(
      e,
      model,
      provider,
      given.cost_usd,
      given.cost_input,
      given.cost_cache_read,
      given.cost_cache_write,
      given.cost_output,
      given.cost_source,
      given.price_version,
      card !== null && costMatches(given, e, card) ? card : null,
    );
  }

  /** The computed cost, or null when the model or one of the event's token kinds has no price. */
  private compute(
    e: UnpricedEvent,
    priced: PricedModel | null,
    model: string,
    provider: string | null,
  ): UsageEvent | null {
    const rates = this.ratesFor(e, priced);
    if (rates === null) return null;
    const c = costOf(e, rates);
    return build(
      e,
      model,
      provider,
      c.cost_usd,
      c.cost_input,
      c.cost_cache_read,
      c.cost_cache_write,
      c.cost_output,
      'computed',
      this.version,
      rates,
    );
  }

  /**
   * The rate card the event is priced at, or null when the model or one of its token kinds has no price. An event
   * with no usage at all costs exactly $0 at any price, so a model without one gets NO_USAGE_RATES rather than
   * making it unpriced: a call that failed before using anything (a misspelt model the provider answered 404, a
   * 429) would otherwise mark every report's cost as incomplete and ask for a price that changes nothing.
   */
  private ratesFor(e: UnpricedEvent, priced: PricedModel | null): RateCard | null {
    const totalInput =
      e.input_tokens + e.cache_read_tokens + e.cache_write_5m_tokens + e.cache_write_1h_tokens;
    const used = totalInput > 0 || e.output_tokens > 0 || e.web_search_requests > 0 || e.audio_ms > 0;
    if (priced === null) return used ? null : NO_USAGE_RATES;
    const card = priced.card(
      e.ts,
      contextInput(e, totalInput),
      this.tierCode(
        e.service_tier,
        e.tags[INFERENCE_GEO_TAG] ?? null,
        e.web_search_requests > 0 ? (e.tags[WEB_SEARCH_TOOL_TAG] ?? null) : null,
      ),
      this.tierChoices,
    );
    // A part with tokens but no price at all (no input or output price listed) cannot be priced, and 0 would lie.
    if (card === null) return used ? null : NO_USAGE_RATES;
    if ((card.noInput && totalInput > 0) || (card.noOutput && e.output_tokens > 0)) return null;
    // Audio billed by its duration likewise, on a model with no price per hour (0 is no price: docs/pricing.md). A
    // model with only that price (whisper-1) prices a call of audio and no tokens at the fee alone.
    if (e.audio_ms > 0 && card.rates.audio_hour === 0n) return null;
    return card.rates;
  }

  private priced(provider: string | null, model: string): PricedModel | null {
    let byModel = this.byProvider.get(provider);
    if (byModel === undefined) {
      byModel = new Map();
      this.byProvider.set(provider, byModel);
    }
    let priced = byModel.get(model);
    if (priced === undefined) {
      const r = this.resolver.resolve(provider, model);
      priced = r === null ? null : this.pricedModel(r);
      byModel.set(model, priced);
    }
    return priced;
  }

  /**
   * Small integer per service tier that has a multiplier (0 = standard), so rate-card keys stay numeric. A tier no
   * provider prices is the standard price and shares code 0: `service_tier` is free text (a gateway caller's request,
   * an imported record), and a code per distinct string overflowed the 1,024 codes a card key holds, so the 1,024th
   * unknown tier read another card (a 1k-token Sonnet call billed at the long-context rates). The geography and the
   * web search tool (tags, free text too) are folded in the same way: only values some provider prices get a code.
   */
  private tierCode(tier: string | null, geo: string | null = null, searchTool: string | null = null): number {
    if (tier === null && geo === null && searchTool === null) return 0;
    const key =
      geo === null && searchTool === null
        ? tier!
        : `${tier ?? ''}\u0000${geo ?? ''}\u0000${searchTool ?? ''}`;
    let code = this.tierCodes.get(key);
    if (code === undefined) {
      const named = normaliseServiceTier(tier);
      const place = geo?.trim().toLowerCase() ?? null;
      const tool = searchTool === null ? null : webSearchToolName(searchTool);
      const choice: TierChoice = {
        tier: named !== null && this.pricedTiers.has(named) ? named : null,
        geo: place !== null && this.pricedGeos.has(place) ? place : null,
        searchTool: tool !== null && this.pricedSearchTools.has(tool) ? tool : null,
      };
      if (choice.tier === null && choice.geo === null && choice.searchTool === null) code = 0;
      else {
        const id = `${choice.tier ?? ''}\u0000${choice.geo ?? ''}\u0000${choice.searchTool ?? ''}`;
        code = this.choiceCodes.get(id) ?? this.tierChoices.push(choice) - 1;
        this.choiceCodes.set(id, code);
      }
      this.tierCodes.set(key, code);
    }
    return code;
  }
}

/** What an event that used nothing is priced at when its model has no price: every part is 0 × rate = $0. */
const NO_USAGE_RATES: RateCard = Object.freeze({
  input: 0n,
  cache_read: 0n,
  cache_write_5m: 0n,
  cache_write_1h: 0n,
  output: 0n,
  web_search: 0n,
  input_audio: 0n,
  output_audio: 0n,
  input_image: 0n,
  output_image: 0n,
  audio_hour: 0n,
});

/**
 * Whether the event got its $0 only for having used nothing, its model having no price (NO_USAGE_RATES): true only of
 * an event this process priced. A caller whose zero usage is an estimate, not a report, must not take that $0.
 */
export function pricedOnlyAsUnused(e: UsageEvent): boolean {
  return e.rates === NO_USAGE_RATES;
}

/**
 * The call a stored event records, without its price (its provider-reported cost stays): what `price` takes to price
 * it again, as the model that answered or as another.
 */
export function callOf(e: UsageEvent): UnpricedEvent {
  const {
    cost_usd: _u,
    cost_input: _i,
    cost_cache_read: _r,
    cost_cache_write: _w,
    cost_output: _o,
    cost_source: _s,
    price_version: _v,
    rates: _rates,
    ...call
  } = e;
  return { ...call, given_cost: null };
}

/** `e`, fresh from price(), made unpriced: no cost, rates or price version (its cost is unknown). Mutates `e`. */
export function withoutPrice(e: UsageEvent): UsageEvent {
  e.cost_usd = null;
  e.cost_input = null;
  e.cost_cache_read = null;
  e.cost_cache_write = null;
  e.cost_output = null;
  e.cost_source = 'unpriced';
  e.price_version = null;
  e.rates = null;
  return e;
}

/**
 * The priced event, field by field. An object literal with every field is ~100x faster than `{...e, …}` on V8 for
 * events this wide, and it drops `given_cost`, which is not a ledger column. New UsageEvent fields must be added here
 * (the return type makes a missing one a compile error).
 */
function build(
  e: UnpricedEvent,
  model: string,
  provider: string | null,
  cost_usd: bigint | null,
  cost_input: bigint | null,
  cost_cache_read: bigint | null,
  cost_cache_write: bigint | null,
  cost_output: bigint | null,
  cost_source: UsageEvent['cost_source'],
  price_version: string | null,
  rates: RateCard | null,
): UsageEvent {
  return {
    event_id: e.event_id,
    source: e.source,
    source_ref: e.source_ref,
    ingested_at: e.ingested_at,
    ts: e.ts,
    duration_ms: e.duration_ms,
    ttft_ms: e.ttft_ms,
    org: e.org,
    team: e.team,
    user: e.user,
    project: e.project,
    agent: e.agent,
    session_id: e.session_id,
    task_id: e.task_id,
    environment: e.environment,
    api_key_id: e.api_key_id,
    tags: e.tags,
    provider,
    model,
    model_requested: e.model_requested ?? e.model,
    operation: e.operation,
    service_tier: e.service_tier,
    route_id: e.route_id,
    requests: e.requests,
    input_tokens: e.input_tokens,
    cache_read_tokens: e.cache_read_tokens,
    cache_write_5m_tokens: e.cache_write_5m_tokens,
    cache_write_1h_tokens: e.cache_write_1h_tokens,
    output_tokens: e.output_tokens,
    reasoning_tokens: e.reasoning_tokens,
    web_search_requests: e.web_search_requests,
    input_audio_tokens: e.input_audio_tokens,
    output_audio_tokens: e.output_audio_tokens,
    input_image_tokens: e.input_image_tokens,
    output_image_tokens: e.output_image_tokens,
    audio_ms: e.audio_ms,
    cost_usd,
    cost_input,
    cost_cache_read,
    cost_cache_write,
    cost_output,
    cost_source,
    price_version,
    rates,
    provider_cost_usd: e.provider_cost_usd ?? null,
    energy_j: e.energy_j,
    energy_source: e.energy_source,
    status: e.status,
    error_type: e.error_type,
  };
}

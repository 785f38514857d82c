import type { RateCard } from '../ledger/event.js';
import { formatDecimal } from '../money/money.js';
import { PRICE_PARTS, type PriceConstraint, type PricePart, type TieredRate } from './catalog.js';
import { RATE_SCALE } from './cost.js';
import { FALLBACK_OUTPUT_TOKENS, type OutputLimit, outputLimitOf } from './output-limits.js';
import type { Pricer } from './pricer.js';

/**
 * What `tokenledger prices show NAME` prints, as data. Prices are USD per 1M tokens (per hour of audio for the
 * `*_hours` parts) as plain decimal strings.
 */
export interface ModelDescription {
  name: string;
  /** The instant described, epoch µs. */
  at: number;
  model: string;
  provider: string;
  /** `listedBy/id` of the entry whose prices apply. */
  entry: string;
  rule: string;
  alias: string | null;
  /** Prices in force at `at`, by part, with long-context tiers; parts the entry does not list are absent. */
  prices: { part: PricePart; base: string; tiers: { above: number; price: string }[] }[];
  /** Catalog price alternatives and when each applies. */
  alternatives: string[];
  /** Override entries that change this model's prices. */
  overrides: string[];
  /** Catalog price keys the ledger does not bill (audio, searches, …). */
  ignored: readonly string[];
  discount: { percent_off: string; where: string } | null;
  /**
   * The provider's service tiers and how each prices this model: its own prices (parts it changes, flat), else a
   * multiplier of the standard rates, else neither (the standard rates).
   */
  serviceTiers: {
    tier: string;
    prices: { part: PricePart; price: string }[] | null;
    multiplier: string | null;
    source: string;
  }[];
  /**
   * The web search fee per 1,000 searches a call with searches pays, per tool the provider prices (its current tool
   * first), with the page that publishes it; empty when the provider charges none we know of (docs/pricing.md).
   * Service tiers do not change it; a discount does, and is in `rates`.
   */
  webSearch: { tool: string; per_1k: string; source: string }[];
  /**
   * The most output tokens the model writes in one answer, with the page that publishes it: what a budget reserves
   * for a request that sets no limit (null: data/output-limits.json does not list the model; budgets reserve FALLBACK_OUTPUT_TOKENS).
   */
  maxOutput: OutputLimit | null;
  /** Effective rates in force at `at`: standard and per service tier, below and above each long-context threshold. */
  rates: { label: string; rates: Record<keyof RateCard, string> }[];
  priceVersion: string;
}

/** Describes what `name` resolves to at `at` (epoch µs), or null when it is unknown. */
export function describeModel(
  pricer: Pricer,
  name: string,
  at: number,
  provider: string | null = null,
): ModelDescription | null {
  const r = pricer.resolve(name, provider);
  if (r === null) return null;
  const pm = pricer.pricedModel(r);
  const set = pm.pricesAt(at) ?? {};
  const prices = PRICE_PARTS.filter((part) => set[part] !== undefined).map((part) =>
    describeRate(part, set[part]!),
  );
  const thresholds = [...new Set(prices.flatMap((p) => p.tiers.map((t) => t.above)))].sort((a, b) => a - b);
  const sizes: [string, number][] = [
    ['', 0],
    ...thresholds.map((t): [string, number] => [`, input > ${t}`, t + 1]),
  ];
  const tiers = [...(pricer.catalog.serviceTiers.get(r.provider)?.entries() ?? [])];
  const rates: ModelDescription['rates'] = [];
  for (const tier of [null, ...tiers.map(([name]) => name)]) {
    for (const [label, size] of sizes) {
      const card = pricer.rates(r, at, size, tier);
      if (card) rates.push({ label: `${tier ?? 'standard'}${label}`, rates: formatCard(card) });
    }
  }
  const discount = pm.discountAt(at);
  const tools = [...(pricer.catalog.webSearch.get(r.provider)?.keys() ?? [])];
  const webSearch = tools.flatMap((tool) => {
    const price = pm.webSearchPrice(tool);
    return price === null ? [] : [{ tool, per_1k: plain(price.perThousand), source: price.source }];
  });
  return {
    name,
    at,
    model: r.model,
    provider: r.provider,
    entry: r.entry.key,
    rule: r.rule,
    alias: r.alias,
    prices,
    alternatives:
      (r.entry.catalog?.prices ?? []).length > 1
        ? r.entry.catalog!.prices.map((c) => describeConstraint(c.constraint))
        : [],
    overrides: r.entry.changes.map((c) => `${c.where}${range(c.fromUs, c.untilUs)}`),
    // genai-prices lists a per-1k search price for some models; the ledger charges its own (data/web-search.json).
    ignored: (r.entry.catalog?.ignoredKeys ?? []).filter((k) => k !== 'web_searches_kcount'),
    discount: discount && {
      percent_off: discount.percentText,
      where: `${discount.where}${range(discount.fromUs, discount.untilUs)}`,
    },
    serviceTiers: tiers.map(([tier, t]) => {
      const own = t.models.get(r.model);
      const prices = own?.prices;
      return {
        tier,
        prices: prices
          ? PRICE_PARTS.filter((part) => prices[part] !== undefined).map((part) => ({
              part,
              price: plain(prices[part]!.base),
            }))
          : null,
        multiplier: (own ? own.multiplier : t.multiplier)?.text ?? null,
        source: t.source,
      };
    }),
    webSearch,
    maxOutput: outputLimitOf(pricer.catalog.outputLimits, r),
    rates,
    priceVersion: pricer.version,
  };
}

/** The human form of a description, one fact per line. */
export function formatModelDescription(d: ModelDescription): string {
  const lines = [
    `${d.name} → ${d.model} (provider ${d.provider})`,
    `  priced as   ${d.entry}`,
    `  matched by  ${d.rule}`,
  ];
  if (d.alias) lines.push(`  alias       ${d.alias}`);
  lines.push(`  at          ${new Date(d.at / 1000).toISOString()}   price version ${d.priceVersion}`);
  lines.push('  prices (USD per 1M tokens):');
  for (const p of d.prices) {
    const tiers = p.tiers.map((t) => `, ${t.price} when input > ${t.above}`).join('');
    const unit = p.part.endsWith('_hours') ? ' per hour of audio' : '';
    lines.push(`    ${p.part.padEnd(20)} ${p.base}${tiers}${unit}`);
  }
  if (d.alternatives.length > 0) lines.push(`  catalog alternatives: ${d.alternatives.join('; ')}`);
  if (d.overrides.length > 0) lines.push(`  overrides:   ${d.overrides.join('; ')}`);
  if (d.discount) lines.push(`  discount:    ${d.discount.percent_off}% off (${d.discount.where})`);
  for (const t of d.serviceTiers) {
    const how = t.prices
      ? t.prices.map((p) => `${p.part} ${p.price}`).join(', ')
      : t.multiplier
        ? `x${t.multiplier}`
        : 'standard rates (no price for this model)';
    lines.push(`  service tier ${t.tier}: ${how} (${t.source})`);
  }
  if (d.webSearch.length === 0)
    lines.push(`  web search: no fee charged (none confirmed for ${d.provider}); searches are counted`);
  for (const w of d.webSearch)
    lines.push(`  web search fee (${w.tool}): ${w.per_1k} USD per 1,000 searches (${w.source})`);
  lines.push(
    d.maxOutput === null
      ? `  max output: not listed; a budget reserves ${FALLBACK_OUTPUT_TOKENS.toLocaleString('en-US')} tokens for a request that sets no limit`
      : `  max output: ${d.maxOutput.tokens.toLocaleString('en-US')} tokens (${d.maxOutput.source})`,
  );
  if (d.ignored.length > 0) lines.push(`  not billed by the ledger: ${d.ignored.join(', ')}`);
  // Audio billed by its duration: a fee beside the parts, like the web search fee, shown only where it is charged.
  const perHour = d.rates.some((r) => r.rates.audio_hour !== '0');
  if (perHour) {
    const standard = d.rates[0]!.rates.audio_hour;
    lines.push(`  audio billed by duration: ${standard} USD per hour (audio_ms × rate / 3.6·10^12 pico-USD)`);
  }
  // The audio and image columns only for a model with such prices: elsewhere they repeat input and output.
  const audio = d.rates.some(
    (r) => r.rates.input_audio !== r.rates.input || r.rates.output_audio !== r.rates.output,
  );
  const image = d.rates.some(
    (r) => r.rates.input_image !== r.rates.input || r.rates.output_image !== r.rates.output,
  );
  lines.push(
    `  effective rates (input / cache read / cache write 5m / cache write 1h / output${audio ? ' / audio input / audio output' : ''}${image ? ' / image input / image output' : ''}${perHour ? ' / audio per hour' : ''}):`,
  );
  for (const r of d.rates) {
    const c = r.rates;
    lines.push(
      `    ${r.label.padEnd(28)} ${c.input} / ${c.cache_read} / ${c.cache_write_5m} / ${c.cache_write_1h} / ${c.output}${audio ? ` / ${c.input_audio} / ${c.output_audio}` : ''}${image ? ` / ${c.input_image} / ${c.output_image}` : ''}${perHour ? ` / ${c.audio_hour}` : ''}`,
    );
  }
  return lines.join('\n');
}

function describeRate(part: PricePart, rate: TieredRate): ModelDescription['prices'][number] {
  return {
    part,
    base: plain(rate.base),
    tiers: rate.tiers.map((t) => ({ above: t.start, price: plain(t.price) })),
  };
}

function describeConstraint(c: PriceConstraint | null): string {
  if (c === null) return 'default';
  return c.type === 'start_date' ? `from ${c.start_date}` : `daily ${c.start_time}–${c.end_time}`;
}

function range(fromUs: number | null, untilUs: number | null): string {
  if (fromUs === null && untilUs === null) return '';
  const d = (us: number | null) => (us === null ? '…' : new Date(us / 1000).toISOString());
  return ` [${d(fromUs)}, ${d(untilUs)})`;
}

function formatCard(c: RateCard): Record<keyof RateCard, string> {
  return {
    input: plain(c.input),
    cache_read: plain(c.cache_read),
    cache_write_5m: plain(c.cache_write_5m),
    cache_write_1h: plain(c.cache_write_1h),
    output: plain(c.output),
    web_search: plain(c.web_search),
    input_audio: plain(c.input_audio),
    output_audio: plain(c.output_audio),
    input_image: plain(c.input_image),
    output_image: plain(c.output_image),
    audio_hour: plain(c.audio_hour),
  };
}

/** A rate at RATE_SCALE digits without trailing zeros: 3300000000000000000n → "3.3". */
function plain(rate: bigint): string {
  const s = formatDecimal(rate, RATE_SCALE);
  return s.replace(/\.?0+$/, '');
}

import type { RateCard } from '../ledger/event.js';
import { divRoundHalfEven } from '../money/money.js';
import type { PriceSet, TieredRate } from './catalog.js';
import { RATE_SCALE } from './cost.js';

const ONE = 10n ** BigInt(RATE_SCALE);
const HUNDRED = 100n * ONE;

/** A rate card and which parts had no price at all (an event using such a part cannot be priced). */
export interface Card {
  rates: RateCard;
  noInput: boolean;
  noOutput: boolean;
}

export interface CardInputs {
  prices: PriceSet;
  /** input + cache read + cache writes: the count long-context thresholds are compared with. */
  totalInput: number;
  /** Service-tier multiplier at RATE_SCALE digits, or null for the standard price. */
  multiplier: bigint | null;
  /** Negotiated percent off at RATE_SCALE digits, or null. */
  percentOff: bigint | null;
  /** Claude models bill 1-hour cache writes at 2x base input when the catalog has no 1h price. */
  claude: boolean;
  /** The web search fee, USD per 1,000 searches at RATE_SCALE digits (0 where none is charged). */
  webSearch: bigint;
}

/**
 * The price of one part at a request size. genai-prices' rule (dist/index.js `de`): the last tier whose `start` the
 * request's total input tokens strictly exceed sets the rate for the WHOLE request, as providers bill long context.
 */
export function tierRate(rate: TieredRate, totalInput: number): bigint {
  let price = rate.base;
  for (const tier of rate.tiers) if (totalInput > tier.start) price = tier.price;
  return price;
}

/**
 * The effective rates for one request shape. Order: long-context tier, fallbacks for parts the catalog lacks (cache
 * read and cache write 5m → input; cache write 1h → 2x input for Claude, else the 5m rate; audio and image input and
 * output → the text input and output rates), service-tier multiplier, then the negotiated discount. Each multiplication is rounded half-to-even back to RATE_SCALE digits.
 *
 * The web search fee is per search, not per token: the service tier leaves it alone (Anthropic prices searches
 * in a batch "the same as those in regular Messages API requests", and its US-only and fast-mode multipliers are
 * on token prices), and the negotiated discount, a discount on what the provider bills, takes it like every rate.
 * Audio billed by its duration likewise: its rate per hour is not a token price, so the service tier leaves it alone,
 * the discount takes it, and long-context tiers do not apply (no catalog entry tiers an hour price).
 */
export function rateCard(c: CardInputs): Card {
  const p = c.prices;
  const t = c.totalInput;
  const input = p.input_mtok ? tierRate(p.input_mtok, t) : null;
  const output = p.output_mtok ? tierRate(p.output_mtok, t) : null;
  const base = input ?? 0n;
  const cache_read = p.cache_read_mtok ? tierRate(p.cache_read_mtok, t) : base;
  const cache_write_5m = p.cache_write_mtok ? tierRate(p.cache_write_mtok, t) : base;
  const cache_write_1h = p.cache_write_1h_mtok
    ? tierRate(p.cache_write_1h_mtok, t)
    : c.claude
      ? 2n * base
      : cache_write_5m;
  let rates: RateCard = {
    input: base,
    cache_read,
    cache_write_5m,
    cache_write_1h,
    output: output ?? 0n,
    web_search: c.webSearch,
    // A model without audio prices bills audio as any token (or has none to bill): the text rate prices it.
    input_audio: p.input_audio_mtok ? tierRate(p.input_audio_mtok, t) : base,
    output_audio: p.output_audio_mtok ? tierRate(p.output_audio_mtok, t) : (output ?? 0n),
    // Images likewise: gpt-image-1 lists image input apart and bills its image output at `output_mtok`.
    input_image: p.input_image_mtok ? tierRate(p.input_image_mtok, t) : base,
    output_image: p.output_image_mtok ? tierRate(p.output_image_mtok, t) : (output ?? 0n),
    // genai-prices lists both keys for every transcription model, equal; input_audio_hours is the one an override
    // sets. A model with neither bills no audio by duration: 0, and the pricer leaves such audio unpriced.
    audio_hour: (p.input_audio_hours ?? p.audio_hours)?.base ?? 0n,
  };
  if (c.multiplier !== null)
    rates = {
      ...scale(rates, c.multiplier, ONE),
      web_search: rates.web_search,
      audio_hour: rates.audio_hour,
    };
  if (c.percentOff !== null) rates = scale(rates, HUNDRED - c.percentOff, HUNDRED);
  return { rates, noInput: input === null, noOutput: output === null };
}

function scale(r: RateCard, numerator: bigint, denominator: bigint): RateCard {
  const f = (v: bigint) => divRoundHalfEven(v * numerator, denominator);
  return {
    input: f(r.input),
    cache_read: f(r.cache_read),
    cache_write_5m: f(r.cache_write_5m),
    cache_write_1h: f(r.cache_write_1h),
    output: f(r.output),
    web_search: f(r.web_search),
    input_audio: f(r.input_audio),
    output_audio: f(r.output_audio),
    input_image: f(r.input_image),
    output_image: f(r.output_image),
    audio_hour: f(r.audio_hour),
  };
}

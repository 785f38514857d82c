import type { Cost, RateCard, Usage } from '../ledger/event.js';
import { divRoundHalfEven } from '../money/money.js';

/**
 * The one cost formula. Token rates are USD per 1M tokens at 18 fractional digits, the web search rate USD per 1,000
 * searches and the audio rate USD per hour at 18 digits; costs are pico-dollars (12 digits). Each amount is rounded
 * once, half-to-even:
 *
 *   part (pico-USD) = round(tokens × rate / 10^12)      because  tokens × rate × 10^-18 / 10^6 USD = … × 10^-24
 *   cost_input = round(((input − audio_in − image_in) × rate_input + audio_in × rate_input_audio
 *                        + image_in × rate_input_image) / 10^12)
 *   cost_output = round(((output − audio_out − image_out) × rate_output + audio_out × rate_output_audio
 *                         + image_out × rate_output_image) / 10^12)
 *   cost_cache_write = round((write_5m × rate_5m + write_1h × rate_1h) / 10^12)
 *   web search fee  = round(searches × rate × 1000 / 10^12)   (per 1,000 searches: × 1000 makes it per million)
 *   audio fee       = round(audio_ms × rate_audio_hour / 3.6·10^12)   because  ms / 3.6·10^6 h × rate × 10^-18 USD
 *                                                                     = … × 10^-24 USD, and 10^-24 / 10^-12 = 10^-12
 *   cost_usd = cost_input + cost_cache_read + cost_cache_write + cost_output + web search fee + audio fee
 *
 * Audio and image tokens are parts of input and output (ledger/event.ts), so they are priced inside those parts,
 * each part still rounded once. The fees are not parts of their own: they are what cost_usd has beyond its four parts
 * (docs/pricing.md says why). Audio billed by its duration (`audio_ms`) is not audio tokens: a call has one or the
 * other.
 * The DuckDB store evaluates exactly this in SQL (store/duckdb/cost-sql.ts): change one, change both, and the shared
 * store suite compares them.
 */
export const RATE_SCALE = 18;
const PART_DIVISOR = 10n ** 12n;

/**
 * A web search rate (per 1,000 searches) times this is the same rate per million searches, the unit of the token
 * rates: the fee is then rounded exactly as a token part is (and the store's SQL prices it with the same formula).
 */
export const SEARCH_RATE_TO_MILLION = 1000n;

export type CostParts = Pick<
  Cost,
  'cost_usd' | 'cost_input' | 'cost_cache_read' | 'cost_cache_write' | 'cost_output'
> & {
  cost_usd: bigint;
  cost_input: bigint;
  cost_cache_read: bigint;
  cost_cache_write: bigint;
  cost_output: bigint;
};

/** ms × (USD per hour at 18 digits) ÷ this = pico-dollars: 3.6·10^6 ms an hour × 10^18 ÷ 10^12. */
export const AUDIO_FEE_DIVISOR = 3_600_000n * 10n ** 6n;

/** One cost part in pico-dollars from its tokens × rate. */
const roundPart = (n: bigint): bigint => divRoundHalfEven(n, PART_DIVISOR);

export function costOf(u: Usage, r: RateCard): CostParts {
  const cost_input = roundPart(inputProduct(u, r));
  const cost_cache_read = roundPart(BigInt(u.cache_read_tokens) * r.cache_read);
  const cost_cache_write = roundPart(
    BigInt(u.cache_write_5m_tokens) * r.cache_write_5m + BigInt(u.cache_write_1h_tokens) * r.cache_write_1h,
  );
  const cost_output = roundPart(outputProduct(u, r));
  return {
    cost_usd:
      cost_input + cost_cache_read + cost_cache_write + cost_output + webSearchFee(u, r) + audioFee(u, r),
    cost_input,
    cost_cache_read,
    cost_cache_write,
    cost_output,
  };
}

/** tokens × rate of the input part (10^-24 USD): text input at the input rate, audio and images at their own. */
function inputProduct(u: Usage, r: RateCard): bigint {
  return partProduct(
    u.input_tokens,
    r.input,
    u.input_audio_tokens,
    r.input_audio,
    u.input_image_tokens,
    r.input_image,
  );
}

/** tokens × rate of the output part: text output (reasoning included) at the output rate, audio and images apart. */
function outputProduct(u: Usage, r: RateCard): bigint {
  return partProduct(
    u.output_tokens,
    r.output,
    u.output_audio_tokens,
    r.output_audio,
    u.output_image_tokens,
    r.output_image,
  );
}

function partProduct(
  whole: number,
  rate: bigint,
  audio: number,
  audioRate: bigint,
  image: number,
  imageRate: bigint,
): bigint {
  // Nearly every event has neither part: one multiplication, as before parts existed.
  if (audio === 0 && image === 0) return whole === 0 ? 0n : BigInt(whole) * rate;
  return BigInt(whole - audio - image) * rate + BigInt(audio) * audioRate + BigInt(image) * imageRate;
}

/** The web search fee in pico-dollars: what cost_usd holds beyond its four parts. */
export function webSearchFee(u: Pick<Usage, 'web_search_requests'>, r: Pick<RateCard, 'web_search'>): bigint {
  if (u.web_search_requests === 0 || r.web_search === 0n) return 0n;
  return divRoundHalfEven(
    BigInt(u.web_search_requests) * r.web_search * SEARCH_RATE_TO_MILLION,
    PART_DIVISOR,
  );
}

/**
 * The audio fee in pico-dollars: audio billed by its duration, at the card's rate per hour. Like the web search fee,
 * cost_usd beyond its four parts. 9,000 ms of whisper-1 at $0.36 per hour: 9,000 × 0.36·10^18 / 3.6·10^12 =
 * 900,000,000 pico-dollars, $0.0009.
 */
export function audioFee(u: Pick<Usage, 'audio_ms'>, r: Pick<RateCard, 'audio_hour'>): bigint {
  if (u.audio_ms === 0 || r.audio_hour === 0n) return 0n;
  return divRoundHalfEven(BigInt(u.audio_ms) * r.audio_hour, AUDIO_FEE_DIVISOR);
}

const HALF = PART_DIVISOR / 2n;

/** The cost parts as given (any may be null: not given). */
export type GivenParts = { [K in keyof CostParts]: bigint | null };

/**
 * Whether `parts` are exactly what costOf gives for this usage and card, checked without dividing: each part p
 * with n = tokens × rate must satisfy |n − p·10^12| < 10^12/2, or be exactly half with p even (half-to-even), and
 * cost_usd must be their sum plus the web search and audio fees. Twice as fast as costOf and comparing, which
 * matters at 300k events/s.
 */
export function costMatches(parts: GivenParts, u: Usage, r: RateCard): boolean {
  const t = (x: number, rate: bigint) => (x === 0 ? 0n : BigInt(x) * rate);
  return (
    partMatches(parts.cost_input, inputProduct(u, r)) &&
    partMatches(parts.cost_cache_read, t(u.cache_read_tokens, r.cache_read)) &&
    partMatches(
      parts.cost_cache_write,
      t(u.cache_write_5m_tokens, r.cache_write_5m) + t(u.cache_write_1h_tokens, r.cache_write_1h),
    ) &&
    partMatches(parts.cost_output, outputProduct(u, r)) &&
    parts.cost_usd ===
      parts.cost_input! +
        parts.cost_cache_read! +
        parts.cost_cache_write! +
        parts.cost_output! +
        webSearchFee(u, r) +
        audioFee(u, r)
  );
}

function partMatches(part: bigint | null, n: bigint): boolean {
  if (part === null) return false;
  const d = n - part * PART_DIVISOR;
  const abs = d < 0n ? -d : d;
  return abs < HALF || (abs === HALF && part % 2n === 0n);
}

/**
 * The cost formula of pricing/cost.ts, in DuckDB SQL, without a single HUGEINT division.
 *
 * Why not `tokens * rate // 10^12`: DuckDB divides HUGEINTs bit by bit (~300 ns each), which made a raw report over
 * 10M events take ~30 s. Each rate (USD per 1M tokens at 18 digits) is instead stored split in rate_cards as
 *
 *   rate = a·10^12 + b1·10^6 + b0        (0 ≤ b1, b0 < 10^6)
 *
 * so for a part  n = Σ tokensᵢ·rateᵢ = TA·10^12 + X·10^6 + Y  with TA = Σ tᵢ·aᵢ, X = Σ tᵢ·b1ᵢ, Y = Σ tᵢ·b0ᵢ:
 *
 *   Z = X + Y // 10^6          floor(n / 10^12) = TA + Z // 10^6
 *   m = Z % 10^6               n mod 10^12     = m·10^6 + Y % 10^6
 *
 * and half-to-even rounding (money.divRoundHalfEven) rounds up when the remainder is above 5·10^11, or equal to it
 * and the quotient is odd. X and Y are BIGINT products (exact while a part's token count is below 9.2·10^12; DuckDB
 * raises an overflow error beyond, never a wrong number); only TA is HUGEINT, and only multiplied.
 *
 * Two shortcuts for the common case, each exact (store.case.test.ts prices events on both sides of them):
 * - A rate in whole pico-dollars per token (b1 = b0 = 0: any price with at most 6 decimals per 1M tokens, which is
 *   nearly every catalog price) has X = Y = 0: the part is TA, with nothing to round.
 * - TA's products are taken in BIGINT when count and a are both below 2^31 (the product, or two of them, stays below
 *   2^63), and widened once. HUGEINT products were most of what pricing a raw range cost.
 * Together they halve the time of pricing events in a report (~120k events: 50 → 27 ms). They make the SQL longer,
 * though, and DuckDB takes ~2 ms more to plan it: an append's batch (a few hundred events from the gateway, whose
 * statements are mostly planning) prices without them (`shortcuts: false`).
 *
 * Audio and image tokens are parts of input and output (ledger/event.ts): the input part sums (input − audio input −
 * image input) at the input rate and audio and image input each at its own, as cache writes sum their two kinds;
 * output likewise.
 *
 * The web search fee is priced the same way, as one more sum (FEE_PARTS), and added to cost_usd only: it has no
 * column of its own (pricing/cost.ts). Its rate is per 1,000 searches; rate_cards holds its split ×1000 (per million
 * searches, rate-cards.ts), so the one formula with its one divisor, 10^12, prices it too.
 *
 * The audio fee (audio billed by its duration, pricing/cost.ts) is not: its divisor is 3.6·10^12 (milliseconds times
 * USD per hour), which no split of the rate turns into 10^12. It is priced row by row with exact HUGEINT arithmetic,
 * n = audio_ms × rate, n // D rounded half-to-even by n % D (pricedSelectSql's `_af` column), only where
 * audio_ms <> 0: those rows are few (transcriptions), and the division is what the split formula exists to avoid on
 * every other row. Like the web search fee it goes into cost_usd only.
 */

import { RATE_FIELDS } from '../../ledger/event.js';
import { AUDIO_FEE_DIVISOR } from '../../pricing/cost.js';

export const RATE_NAMES = RATE_FIELDS;
export type RateName = (typeof RATE_NAMES)[number];

/** The rates the split formula prices with (per million units): every rate but audio_hour (AUDIO_D, below). */
const SPLIT_RATE_NAMES = RATE_NAMES.filter((n) => n !== 'audio_hour');

/**
 * The tokens each rate applies to, per cost part (cache writes share one part, rounded once; so do text, audio and
 * images): a column, or a column less its parts (`input_tokens - input_audio_tokens - input_image_tokens`).
 */
const COST_PARTS: Record<
  'cost_input' | 'cost_cache_read' | 'cost_cache_write' | 'cost_output',
  [string, RateName][]
> = {
  cost_input: [
    ['input_tokens - input_audio_tokens - input_image_tokens', 'input'],
    ['input_audio_tokens', 'input_audio'],
    ['input_image_tokens', 'input_image'],
  ],
  cost_cache_read: [['cache_read_tokens', 'cache_read']],
  cost_cache_write: [
    ['cache_write_5m_tokens', 'cache_write_5m'],
    ['cache_write_1h_tokens', 'cache_write_1h'],
  ],
  cost_output: [
    ['output_tokens - output_audio_tokens - output_image_tokens', 'output'],
    ['output_audio_tokens', 'output_audio'],
    ['output_image_tokens', 'output_image'],
  ],
};

/** COST_PARTS for rows that count no audio or image tokens: the same sums without their (zero) terms. */
const TEXT_COST_PARTS: typeof COST_PARTS = {
  ...COST_PARTS,
  cost_input: [['input_tokens', 'input']],
  cost_output: [['output_tokens', 'output']],
};

/** COST_PARTS' tokens as SQL on relation `t`, parenthesised: `(t.input_tokens - t.input_audio_tokens)`. */
const tokensOf = (t: string, tokens: string): string =>
  `(${tokens
    .split(' - ')
    .map((c) => `${t}.${c}`)
    .join(' - ')})`;

/** What cost_usd holds beyond its parts: the usage column and rate of each fee (priced as a part is, not kept). */
const FEE_PARTS: [string, RateName][][] = [[['web_search_requests', 'web_search']]];

/** n // AUDIO_FEE_DIVISOR: pico-dollars from audio_ms × (USD per hour at 18 digits). */
const AUDIO_D = AUDIO_FEE_DIVISOR.toString();

const M = '1000000';
const E12 = '1000000000000';
/** 2^31: counts and rates below it multiply in BIGINT. */
const SMALL = '2147483648';

const MONEY = ['cost_usd', ...Object.keys(COST_PARTS)];

/**
 * A SELECT yielding `keep` plus the five cost columns (HUGEINT pico-dollars) for rows of `from`, where `e` is the
 * events-shaped relation and `r` its LEFT JOINed rate card. `given(m)` is the row's given amount for money column m
 * (NULL when not given): given costs win. The formula is computed in layers so each intermediate is evaluated once
 * (written inline, DuckDB re-evaluated X, Y and Z several times: 3x slower).
 */
export function pricedSelectSql(o: {
  keep: string;
  from: string;
  where?: string;
  e: string;
  r: string;
  given: (m: string) => string;
  shortcuts?: boolean;
  /**
   * False only when every row counts 0 audio and image tokens and 0 audio_ms: their terms and the audio fee are left
   * out (a shorter SQL to plan).
   */
  splitParts?: boolean;
}): string {
  // The four parts, then the fees: _c0…_c3 are the part columns, every _c is in cost_usd.
  const parts = [...Object.values(o.splitParts === false ? TEXT_COST_PARTS : COST_PARTS), ...FEE_PARTS];
  const audio = o.splitParts !== false;
  const shortcuts = o.shortcuts ?? true;
  // The audio fee, where audio_ms <> 0: n = audio_ms × the rate per hour (rebuilt from its split, the columns every
  // price here is read from), its quotient by AUDIO_D rounded half-to-even by the remainder. One CASE, in one column:
  // every other row reads a 0 and none of the HUGEINT divisions, which are done (twice, and n three times) only on
  // the few rows with audio.
  const r = o.r;
  const n = `(${o.e}.audio_ms::HUGEINT * (${r}.audio_hour_a::HUGEINT * ${E12} + ${r}.audio_hour_b1 * ${M} + ${r}.audio_hour_b0))`;
  const fee =
    `${n} // ${AUDIO_D} + CASE WHEN ${n} % ${AUDIO_D} * 2 > ${AUDIO_D} OR ` +
    `(${n} % ${AUDIO_D} * 2 = ${AUDIO_D} AND ${n} // ${AUDIO_D} % 2 = 1) THEN 1 ELSE 0 END`;
  const a1 = audio ? [`CASE WHEN ${o.e}.audio_ms = 0 THEN 0::HUGEINT ELSE ${fee} END AS _af`] : [];
  const l1 = [
    o.keep,
    ...MONEY.map((m) => `${o.given(m)} AS _g_${m}`),
    ...a1,
    ...parts.flatMap((pairs, i) => {
      const sum = (f: (t: string, rate: string) => string) =>
        pairs.map(([t, rate]) => f(tokensOf(o.e, t), `${o.r}.${rate}`)).join(' + ');
      const small = pairs.map(
        ([t, rate]) => `${tokensOf(o.e, t)} < ${SMALL} AND ${o.r}.${rate}_a < ${SMALL}`,
      );
      // NULL rates (unpriced) are not whole: they take the full formula, which yields NULL.
      const whole = pairs.map(([, rate]) => `${o.r}.${rate}_b1 = 0 AND ${o.r}.${rate}_b0 = 0`).join(' AND ');
      const rounded = (sql: string) => (shortcuts ? `CASE WHEN ${whole} THEN 0 ELSE ${sql} END` : sql);
      const wide = sum((t, rate) => `${t}::HUGEINT * ${rate}_a`);
      return [
        shortcuts
          ? `CASE WHEN ${small.join(' AND ')} THEN (${sum((t, rate) => `${t} * ${rate}_a`)})::HUGEINT
          ELSE ${wide} END AS _ta${i}`
          : `${wide} AS _ta${i}`,
        ...(shortcuts ? [`coalesce(${whole}, FALSE) AS _w${i}`] : []),
        `${rounded(sum((t, rate) => `${t} * ${rate}_b1`))} AS _x${i}`,
        `${rounded(sum((t, rate) => `${t} * ${rate}_b0`))} AS _y${i}`,
        `${rounded(sum((t, rate) => `(${t} % 2) * (${rate}_a % 2)`))} AS _p${i}`,
      ];
    }),
  ];
  const l2 = parts.map((_, i) => `_x${i} + _y${i} // ${M} AS _z${i}`);
  const l3 = parts.map((_, i) => {
    const full =
      `_ta${i} + (_z${i} // ${M} + CASE WHEN _z${i} % ${M} > 500000 OR (_z${i} % ${M} = 500000 AND ` +
      `(_y${i} % ${M} > 0 OR (_p${i} + _z${i} // ${M}) % 2 = 1)) THEN 1 ELSE 0 END)`;
    return `${shortcuts ? `CASE WHEN _w${i} THEN _ta${i} ELSE ${full} END` : full} AS _c${i}`;
  });
  const temps = [
    ...MONEY.map((m) => `_g_${m}`),
    ...parts.flatMap((_, i) => [
      `_ta${i}`,
      ...(shortcuts ? [`_w${i}`] : []),
      `_x${i}`,
      `_y${i}`,
      `_p${i}`,
      `_z${i}`,
      `_c${i}`,
    ]),
    ...(audio ? ['_af'] : []),
  ];
  const given = '_g_cost_usd IS NOT NULL';
  const l4 = [
    `* EXCLUDE (${temps.join(', ')})`,
    `CASE WHEN ${given} THEN _g_cost_usd ELSE ${[...parts.map((_, i) => `_c${i}`), ...(audio ? ['_af'] : [])].join(' + ')} END AS cost_usd`,
    ...Object.keys(COST_PARTS).map(
      (name, i) => `CASE WHEN ${given} THEN _g_${name} ELSE _c${i} END AS ${name}`,
    ),
  ];
  const from1 = `SELECT ${l1.join(',\n  ')}\nFROM ${o.from} ${o.where ?? ''}`;
  return `SELECT ${l4.join(', ')} FROM (SELECT *, ${l3.join(', ')} FROM (SELECT *, ${l2.join(', ')} FROM (${from1})))`;
}

/**
 * True where every rate of card `r` is a whole number of pico-dollars per token (b1 = b0 = 0; NULL for no card).
 * Such a card's cost part for any number of events is Σ tokens · a with nothing rounded, so it is the part priced
 * from the events' summed tokens: `summedCostSql`. The rate per hour of audio is not among them: no split makes its
 * fee linear, so summed rows must hold only events with audio_ms = 0 (schema.ts rollupFromEventsSql), whose fee is 0
 * at any rate.
 */
export function wholeRatesSql(r: string): string {
  return SPLIT_RATE_NAMES.map((rate) => `${r}.${rate}_b1 = 0 AND ${r}.${rate}_b0 = 0`).join(' AND ');
}

/**
 * The five cost columns (as pricedSelectSql names them) of rows holding summed token columns (`${t}.input_tokens`
 * and so on) priced at whole-rate card `r` (wholeRatesSql): exact only for such cards; NULL where there is no card.
 * cost_usd takes the web search fees too (summed searches × the whole per-search rate); the rows must count no
 * audio_ms (wholeRatesSql).
 */
export function summedCostSql(t: string, r: string): string[] {
  const parts = Object.entries(COST_PARTS).map(
    ([name, pairs]) =>
      `${pairs.map(([tokens, rate]) => `${tokensOf(t, tokens)}::HUGEINT * ${r}.${rate}_a`).join(' + ')} AS ${name}`,
  );
  const total = [...Object.values(COST_PARTS), ...FEE_PARTS]
    .flat()
    .map(([tokens, rate]) => `${tokensOf(t, tokens)}::HUGEINT * ${r}.${rate}_a`)
    .join(' + ');
  return [`${total} AS cost_usd`, ...parts];
}

/** HUGEINT pico-dollars as DECIMAL(38,12) dollars, exactly (a scale change, no division). */
export function picoToDecimalSql(pico: string): string {
  return `(${pico})::DECIMAL(38,0) * 0.000000000001`;
}

import { z } from 'zod';
import { parseTimestamp, TimeError } from '../ledger/time.js';
import { MoneyError, parseDecimal } from '../money/money.js';
import { RATE_SCALE } from './cost.js';

/**
 * The overrides file (tokenledger.prices.yaml or .json), as zod checks it. docs/pricing.md documents every key; keep
 * the two in step. Amounts are decimal strings (numbers are accepted and read through their shortest decimal form).
 */

const DECIMAL = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const decimalInput = z.union([
  z.string().trim().regex(DECIMAL, { message: 'expected a non-negative decimal string such as "3.75"' }),
  z.number().finite().nonnegative({ message: 'expected a non-negative number' }),
]);

const ONE = 10n ** BigInt(RATE_SCALE);

/**
 * What keeps an amount from being held exactly at RATE_SCALE digits, or null. Rounding it instead would change the
 * price without a word ("1e-30" became $0), and an amount past the 38 digits a rate holds threw a bare MONEY_ error
 * that named neither the file nor the line.
 */
function amountProblem(v: string | number, max: bigint | null): string | null {
  const text = typeof v === 'number' ? String(v) : v.trim();
  if (!DECIMAL.test(text)) return null; // not a non-negative decimal: reported as such
  const [, fraction = '', exponent = '0'] = /^\d*\.?(\d*)(?:[eE]([+-]?\d+))?$/.exec(text) ?? [];
  if (fraction.replace(/0+$/, '').length - Number(exponent) > RATE_SCALE)
    return `${text} has more than ${RATE_SCALE} digits after the decimal point; amounts are held to ${RATE_SCALE} places, and rounding would change the price`;
  let value: bigint;
  try {
    value = parseDecimal(text, RATE_SCALE);
  } catch (cause) {
    if (!(cause instanceof MoneyError)) throw cause;
    return `${text} is too large (at most ${38 - RATE_SCALE} digits before the decimal point)`;
  }
  return max !== null && value > max ? 'expected a percentage from 0 to 100' : null;
}

const exactAmount = (max: bigint | null) =>
  decimalInput.superRefine((v, ctx) => {
    const message = amountProblem(v, max);
    if (message !== null) ctx.addIssue({ code: 'custom', message });
  });

const decimal = exactAmount(null);

/**
 * `2025-01-01` (UTC midnight) or a full ISO-8601 time with a zone, e.g. `2025-01-01T09:00:00Z`. A day the month
 * lacks is refused: Date.parse rolls `2025-02-30` over to March 2nd, which would move a price change without a word.
 */
const instant = z
  .string()
  .trim()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T.+(Z|[+-]\d{2}:?\d{2}))?$/.test(s) && isTime(s), {
    message: 'expected a date such as "2025-01-01" or an ISO time with a zone such as "2025-01-01T09:00:00Z"',
  });

function isTime(text: string): boolean {
  try {
    parseTimestamp(text);
    return true;
  } catch (cause) {
    if (cause instanceof TimeError) return false;
    throw cause;
  }
}

const tiered = z
  .object({
    base: decimal,
    tiers: z.array(z.object({ start: z.number().int().nonnegative(), price: decimal }).strict()),
  })
  .strict();

const price = z.union([decimal, tiered], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? 'expected a decimal string such as "3.75", or tiers as {base: "3", tiers: [{start: 200000, price: "6"}]}'
      : undefined,
});

const prices = z
  .object({
    input_mtok: price.optional(),
    cache_read_mtok: price.optional(),
    cache_write_mtok: price.optional(),
    cache_write_1h_mtok: price.optional(),
    output_mtok: price.optional(),
    input_audio_mtok: price.optional(),
    output_audio_mtok: price.optional(),
    input_image_mtok: price.optional(),
    output_image_mtok: price.optional(),
    // USD per hour of audio billed by its duration (whisper-1's 0.36): flat, as no provider tiers it.
    input_audio_hours: decimal.optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, {
    message:
      'give at least one of input_mtok, cache_read_mtok, cache_write_mtok, cache_write_1h_mtok, output_mtok, input_audio_mtok, output_audio_mtok, input_image_mtok, output_image_mtok, input_audio_hours',
  });

const effective = {
  /** Inclusive. */
  from: instant.optional(),
  /** Exclusive. */
  until: instant.optional(),
};

const modelEntry = z
  .object({
    id: z.string().trim().min(1),
    provider: z.string().trim().min(1).optional(),
    names: z.array(z.string().trim().min(1)).optional(),
    ...effective,
    prices,
  })
  .strict();

const discountEntry = z
  .object({
    provider: z.string().trim().min(1).optional(),
    model: z.string().trim().min(1).optional(),
    percent_off: exactAmount(100n * ONE),
    ...effective,
  })
  .strict()
  .refine((d) => d.provider !== undefined || d.model !== undefined, {
    message: 'a discount needs `provider`, `model` or both',
  });

export const overridesSchema = z
  .object({
    models: z.array(modelEntry).optional(),
    aliases: z.record(z.string().trim().min(1), z.string().trim().min(1)).optional(),
    discounts: z.array(discountEntry).optional(),
  })
  .strict();

export type OverridesInput = z.infer<typeof overridesSchema>;
export type DecimalInput = z.infer<typeof decimalInput>;
export type PriceInput = z.infer<typeof price>;

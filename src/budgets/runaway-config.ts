import { z } from 'zod';
import { isPositiveUsd } from '../money/money.js';

/**
 * `runaway:` in tokenledger.config.yaml. Defaults (docs/budgets.md): a session spending more than $20 within 10
 * minutes, or sending 12 near-identical requests within those 10 minutes, is a runaway; it is reported (an alert),
 * and blocked for 30 minutes only when `block: true`.
 *
 * Why these numbers: in the demo organisation (real list prices, 60 people, 30 days) the busiest ordinary session
 * peaks at $9.72 in any 10 minutes, while the runaway loop spends $78 in its costliest 10 minutes; an agent
 * re-sending the same last messages 12 times in 10 minutes is stuck, not working (an edit-test loop changes the test
 * output each time, and digits are normalised away so counters and timestamps do not hide a loop).
 */
export const runawayConfigSchema = z
  .object({
    max_usd: z
      .union([z.string(), z.number()])
      .transform((v) => String(v).trim())
      .refine(isPositiveUsd, { message: 'expected a positive USD amount such as 20 or 7.50' })
      .default('20'),
    window_minutes: z.number().int().min(1).max(1440).default(10),
    loop_repeats: z.number().int().min(2).max(100_000).default(12),
    block: z.boolean().default(false),
    block_minutes: z.number().int().min(1).max(10_080).default(30),
  })
  .strict();

export type RunawayConfig = z.output<typeof runawayConfigSchema>;

export const RUNAWAY_DEFAULTS: RunawayConfig = runawayConfigSchema.parse({});

import { z } from 'zod';
import { ATTRIBUTION_FIELDS } from '../ledger/event.js';
import { isPositiveUsd } from '../money/money.js';

/**
 * A budget: a spending limit on one attribution scope for one period. Shared by the config file, the CLI, the HTTP
 * API, the enforcer and the forecasts; docs/budgets.md documents it.
 *
 * `scope` is an AND of dimension = value pairs over the ledger's query dimensions: attribution fields (org, team,
 * user, project, agent, session_id, task_id, environment, api_key_id), provider, model, and `tag.KEY`. An empty scope
 * is the whole organisation.
 */
export const SCOPE_DIMENSIONS = [...ATTRIBUTION_FIELDS, 'provider', 'model'] as const;
export const SCOPE_KEY =
  /^(org|team|user|project|agent|session_id|task_id|environment|api_key_id|provider|model|tag\.[\w.:-]+)$/;

const ACTIONS = ['alert', 'block', 'downgrade'] as const;
type Action = (typeof ACTIONS)[number];

export type Period =
  | { kind: 'daily' }
  | { kind: 'weekly' }
  | { kind: 'monthly' }
  /** The last `days` × 24 hours, counted in hourly buckets. */
  | { kind: 'rolling'; days: number };

export type Scope = Readonly<Record<string, string>>;

export interface Budget {
  /** `b_` + 12 hex for budgets made by CLI/API; the config key for budgets from tokenledger.config.yaml. */
  id: string;
  name: string | null;
  scope: Scope;
  period: Period;
  /** IANA time zone the calendar periods start in (midnight, Monday, the 1st). */
  tz: string;
  /** Decimal USD string, > 0, e.g. "50" or "1200.50". */
  limit_usd: string;
  /** Percent of the limit that raise an alert, ascending, e.g. [50, 80, 100]. */
  thresholds: number[];
  action: Action;
  /** The cheaper model a `downgrade` budget sends requests to once the limit is reached. */
  downgrade_to: string | null;
  /** Where it was defined: config budgets are read-only to the CLI and API. */
  origin: 'config' | 'cli' | 'api';
  created_at: string;
}

const PERIOD = /^(daily|weekly|monthly|rolling:([1-9]\d{0,2})d)$/;
const PERIODS_ALLOWED = 'daily, weekly, monthly or rolling:Nd (N from 1 to 999)';

export function parsePeriod(text: string): Period | null {
  const m = PERIOD.exec(text.trim());
  if (m === null) return null;
  if (m[2] !== undefined) return { kind: 'rolling', days: Number(m[2]) };
  return { kind: m[1] as 'daily' | 'weekly' | 'monthly' };
}

export function formatPeriod(p: Period): string {
  return p.kind === 'rolling' ? `rolling:${p.days}d` : p.kind;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const POSITIVE_USD = 'expected a positive USD amount such as 50 or 1200.50';

/** What a budget definition must satisfy, wherever it comes from (config, CLI, API). */
export const budgetInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200).nullable().optional(),
    // Keys are checked here rather than by the record's key schema, whose message zod does not pass on; and on the
    // input, before the record copies it: the copy drops a `__proto__` key (assigning it sets no key), which left
    // {"__proto__": "x"} an empty scope, a budget on all spend.
    scope: z
      .unknown()
      .superRefine((scope, ctx) => {
        if (typeof scope !== 'object' || scope === null) return;
        for (const k of Object.keys(scope))
          if (!SCOPE_KEY.test(k))
            ctx.addIssue({
              code: 'custom',
              path: [k],
              message: `expected a scope dimension: ${SCOPE_DIMENSIONS.join(', ')} or tag.KEY`,
            });
      })
      .pipe(z.record(z.string(), z.string().min(1))),
    period: z
      .string({ error: (i) => (i.input === undefined ? `required: ${PERIODS_ALLOWED}` : undefined) })
      .refine((s) => parsePeriod(s) !== null, {
        message: `expected ${PERIODS_ALLOWED}`,
      }),
    tz: z
      .string()
      .refine(isTimeZone, { message: 'expected an IANA time zone such as UTC or Europe/Berlin' })
      .default('UTC'),
    limit_usd: z
      .union([z.string(), z.number()], {
        // A value of another type (true, a list) is told what fits; a missing one is "required".
        error: (i) => (i.input === undefined ? undefined : POSITIVE_USD),
      })
      .transform((v) => String(v).trim())
      .refine(isPositiveUsd, { message: POSITIVE_USD }),
    thresholds: z
      .array(z.number().int().min(1).max(1000))
      .min(1)
      .transform((t) => [...new Set(t)].sort((a, b) => a - b))
      .default([50, 80, 100]),
    action: z.enum(ACTIONS, { message: 'expected alert, block or downgrade' }).default('alert'),
    downgrade_to: z.string().trim().min(1).nullable().optional(),
  })
  .strict()
  .refine((b) => b.action !== 'downgrade' || (b.downgrade_to ?? null) !== null, {
    message: 'a downgrade budget needs downgrade_to (the cheaper model to send requests to)',
    path: ['downgrade_to'],
  })
  // A model to downgrade to on an alert or block budget would be kept and never used: the caller meant one of two
  // budgets, and only they know which.
  .refine((b) => b.action === 'downgrade' || (b.downgrade_to ?? null) === null, {
    message:
      'only a downgrade budget sends requests to downgrade_to: set action to downgrade, or leave it out',
    path: ['downgrade_to'],
  });

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SCOPE_DIMENSIONS, SCOPE_KEY, type Scope } from './budget.js';
import type { Claim, Counters, ReserveResult } from './counters/counters.js';
import { type CallScope, scopeCovers } from './match.js';
import { RateLimitedError } from './rate-limited.js';

/**
 * Requests per minute and tokens per minute, in fixed one-minute windows (UTC minutes) kept in Counters, so several
 * gateway instances sharing Redis share the limits.
 *
 * A rule's `scope` selects the calls it covers (an AND of dimension = value, as in budgets; empty = every call), and
 * all those calls share ONE counter. `per: DIM` splits the rule into one counter per distinct value of DIM, e.g.
 * `{per: api_key_id, rpm: 60}` gives every virtual key its own 60 requests per minute; calls without a value for DIM
 * are not covered by that rule. Every covering rule must have room (all or nothing).
 *
 * Tokens are total tokens (input + output): a call reserves its estimate (input counted, plus max_tokens) and
 * `settle` corrects it to the real count in the window it was reserved in.
 *
 * @example
 * rate_limits:
 *   - { scope: { team: payments }, rpm: 600, tpm: 200000 }
 *   - { per: api_key_id, rpm: 60 }
 */
const scopeSchema = z.record(z.string(), z.string().min(1)).superRefine((scope, ctx) => {
  for (const [k, v] of Object.entries(scope)) {
    if (!SCOPE_KEY.test(k))
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message: `expected a scope dimension: ${SCOPE_DIMENSIONS.join(', ')} or tag.KEY`,
      });
    else if (v === '*')
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message: `"*" is not a wildcard: write per: ${k} for one limit per distinct ${k}, or leave ${k} out of the scope`,
      });
  }
});

const rateLimitRuleSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    scope: scopeSchema.default({}),
    per: z
      .string()
      .regex(SCOPE_KEY, { message: `expected a scope dimension: ${SCOPE_DIMENSIONS.join(', ')} or tag.KEY` })
      .optional(),
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
  })
  .strict()
  .refine((r) => r.rpm !== undefined || r.tpm !== undefined, {
    message: 'a rate limit needs rpm (requests per minute), tpm (tokens per minute) or both',
  });

/** The `rate_limits:` config section. */
export const rateLimitsSchema = z.array(rateLimitRuleSchema).default([]);
export type RateLimitRuleInput = z.input<typeof rateLimitRuleSchema>;

export interface RateLimitRule {
  /** `rl_` + 10 hex of the scope and `per`, so every instance (and a restart) names the same counters. */
  id: string;
  name: string | null;
  scope: Scope;
  per: string | null;
  rpm: number | null;
  tpm: number | null;
}

type Unit = 'requests' | 'tokens';

/** The rule and unit a claim stands for (shared by every call of the minute: read only). */
interface RatePart {
  readonly rule: RateLimitRule;
  readonly unit: Unit;
  readonly perValue: string | null;
  readonly limit: number;
  /** `limit` as the header shows it. */
  readonly limitText: string;
}

/** What one call claims: the Counters claims plus, for each, the rule and unit it stands for. */
export interface RatePlan {
  claims: Claim[];
  parts: RatePart[];
  estimatedTokens: number;
  /** Epoch ms the window ends. */
  resetsAt: number;
  now: number;
}

export type RateVerdict =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; headers: Record<string, string>; error: RateLimitedError };

const WINDOW_MS = 60_000;

/** Validated config → rules. Pure. */
export function compileRateLimits(input: readonly RateLimitRuleInput[]): RateLimitRule[] {
  return input.map((raw) => {
    const r = rateLimitRuleSchema.parse(raw);
    const scope = Object.fromEntries(Object.entries(r.scope).sort(([a], [b]) => a.localeCompare(b)));
    const id = `rl_${createHash('sha256')
      .update(JSON.stringify([scope, r.per ?? null]))
      .digest('hex')
      .slice(0, 10)}`;
    return { id, name: r.name ?? null, scope, per: r.per ?? null, rpm: r.rpm ?? null, tpm: r.tpm ?? null };
  });
}

/** The claims a call makes on the rules covering it (empty when none does). Pure (its key cache only saves work). */
export function rateClaims(
  rules: readonly RateLimitRule[],
  call: CallScope,
  estimatedTokens: number,
  now: number,
): RatePlan {
  const minute = Math.floor(now / WINDOW_MS);
  const resetsAt = (minute + 1) * WINDOW_MS;
  const ttlSeconds = Math.ceil((resetsAt - now) / 1000) + 60;
  const tokens = BigInt(Math.max(0, Math.ceil(estimatedTokens)));
  const plan: RatePlan = { claims: [], parts: [], estimatedTokens: Number(tokens), resetsAt, now };
  for (const rule of rules) {
    if (!scopeCovers(rule.scope, call)) continue;
    const perValue = rule.per === null ? null : dimensionValue(rule.per, call);
    if (rule.per !== null && perValue === null) continue;
    const k = ruleKeys(rule, perValue, minute);
    if (k.rpm !== null) {
      plan.claims.push({ keys: k.requests, amount: 1n, limit: k.rpm, ttlSeconds });
      plan.parts.push(k.requestsPart);
    }
    if (k.tpm !== null) {
      plan.claims.push({ keys: k.tokens, amount: tokens, limit: k.tpm, ttlSeconds });
      plan.parts.push(k.tokensPart);
    }
  }
  return plan;
}

/** One rule's counters for one value of `per` in one minute: built once a minute, not once a call. */
interface RuleKeys {
  requests: readonly string[];
  tokens: readonly string[];
  rpm: bigint | null;
  tpm: bigint | null;
  requestsPart: RatePart;
  tokensPart: RatePart;
}

/** Per rule: the minute the cached keys are for, and the keys of each value of `per` seen in it. */
const KEYS = new WeakMap<RateLimitRule, { minute: number; byValue: Map<string | null, RuleKeys> }>();

function ruleKeys(rule: RateLimitRule, perValue: string | null, minute: number): RuleKeys {
  let m = KEYS.get(rule);
  if (m === undefined || m.minute !== minute) {
    // A new minute drops the last one's values, so the cache holds at most one minute's distinct callers.
    m = { minute, byValue: new Map() };
    KEYS.set(rule, m);
  }
  let k = m.byValue.get(perValue);
  if (k === undefined) {
    const base = `tl:rl:${rule.id}:${perValue === null ? '-' : encodeURIComponent(perValue)}`;
    k = {
      requests: [`${base}:r:${minute}`],
      tokens: [`${base}:t:${minute}`],
      rpm: rule.rpm === null ? null : BigInt(rule.rpm),
      tpm: rule.tpm === null ? null : BigInt(rule.tpm),
      requestsPart: part(rule, 'requests', perValue, rule.rpm ?? 0),
      tokensPart: part(rule, 'tokens', perValue, rule.tpm ?? 0),
    };
    m.byValue.set(perValue, k);
  }
  return k;
}

function part(rule: RateLimitRule, unit: Unit, perValue: string | null, limit: number): RatePart {
  return { rule, unit, perValue, limit, limitText: String(limit) };
}

/**
 * Reads a reserve result whose claims `offset … offset + plan.claims.length - 1` are the plan's (the enforcer may
 * reserve budget and rate claims in one call). Returns null when another claim failed: nothing was added then. Pure.
 */
export function rateVerdict(plan: RatePlan, result: ReserveResult, offset = 0): RateVerdict | null {
  if (result.ok) {
    const totals = result.totals;
    return { ok: true, headers: totals === undefined ? {} : headers(plan, totals, offset) };
  }
  const i = result.index - offset;
  if (i < 0 || i >= plan.claims.length) return null;
  const part = plan.parts[i]!;
  const used = Number(result.current);
  const retryAfterSeconds = Math.max(1, Math.ceil((plan.resetsAt - plan.now) / 1000));
  const [l, r, t] = HEADER_NAMES[part.unit];
  const h = {
    [l]: String(part.limit),
    [r]: String(Math.max(0, part.limit - used)),
    [t]: `${retryAfterSeconds}s`,
  };
  const error = new RateLimitedError(
    {
      id: part.rule.id,
      name: part.rule.name,
      scope: part.rule.scope,
      per: part.rule.per,
      perValue: part.perValue,
    },
    part.unit,
    part.limit,
    used,
    retryAfterSeconds,
    h,
  );
  return { ok: false, headers: h, error };
}

/** The corrections once the real token count is known (also on error: pass the tokens actually used, often 0). */
export function rateSettleClaims(plan: RatePlan, actualTokens: number): Omit<Claim, 'limit'>[] {
  const delta = BigInt(Math.max(0, Math.ceil(actualTokens))) - BigInt(plan.estimatedTokens);
  if (delta === 0n) return [];
  const out: Omit<Claim, 'limit'>[] = [];
  for (let i = 0; i < plan.parts.length; i++)
    if (plan.parts[i]!.unit === 'tokens') {
      const c = plan.claims[i]!;
      out.push({ keys: c.keys, amount: delta, ttlSeconds: c.ttlSeconds });
    }
  return out;
}

/**
 * What a call adds once its reservation is lost (counters that restarted empty hold neither its request nor its
 * estimate): the request and the real token count.
 */
export function rateLostClaims(plan: RatePlan, actualTokens: number): Omit<Claim, 'limit'>[] {
  const tokens = BigInt(Math.max(0, Math.ceil(actualTokens)));
  const out: Omit<Claim, 'limit'>[] = [];
  for (let i = 0; i < plan.parts.length; i++) {
    const c = plan.claims[i]!;
    const amount = plan.parts[i]!.unit === 'tokens' ? tokens : 1n;
    if (amount !== 0n) out.push({ keys: c.keys, amount, ttlSeconds: c.ttlSeconds });
  }
  return out;
}

const HEADER_NAMES = {
  requests: ['x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'],
  tokens: ['x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'],
} as const;

/** `1s` … `61s`: a minute window's reset-header values (built once). */
const RESET_TEXT = Array.from({ length: 62 }, (_, i) => `${i}s`);

/**
 * x-ratelimit-* (OpenAI's names) for the tightest covering rule of each unit. Runs per request: one object literal
 * per shape (V8 keeps it fast), header names and values built once where they can be.
 */
function headers(plan: RatePlan, totals: readonly bigint[], offset: number): Record<string, string> {
  const secs = Math.max(1, Math.ceil((plan.resetsAt - plan.now) / 1000));
  const reset = RESET_TEXT[secs] ?? `${secs}s`;
  let req: RatePart | null = null;
  let reqLeft = Number.POSITIVE_INFINITY;
  let tok: RatePart | null = null;
  let tokLeft = Number.POSITIVE_INFINITY;
  for (let i = 0; i < plan.parts.length; i++) {
    const p = plan.parts[i]!;
    const left = Math.max(0, p.limit - Number(totals[offset + i] ?? 0n));
    if (p.unit === 'requests') {
      if (left < reqLeft) {
        reqLeft = left;
        req = p;
      }
    } else if (left < tokLeft) {
      tokLeft = left;
      tok = p;
    }
  }
  if (req !== null && tok !== null)
    return {
      'x-ratelimit-limit-requests': req.limitText,
      'x-ratelimit-remaining-requests': String(reqLeft),
      'x-ratelimit-reset-requests': reset,
      'x-ratelimit-limit-tokens': tok.limitText,
      'x-ratelimit-remaining-tokens': String(tokLeft),
      'x-ratelimit-reset-tokens': reset,
    };
  if (req !== null)
    return {
      'x-ratelimit-limit-requests': req.limitText,
      'x-ratelimit-remaining-requests': String(reqLeft),
      'x-ratelimit-reset-requests': reset,
    };
  if (tok !== null)
    return {
      'x-ratelimit-limit-tokens': tok.limitText,
      'x-ratelimit-remaining-tokens': String(tokLeft),
      'x-ratelimit-reset-tokens': reset,
    };
  return {};
}

function dimensionValue(dim: string, call: CallScope): string | null {
  if (dim === 'provider') return call.provider;
  if (dim === 'model') return call.model;
  if (dim.startsWith('tag.')) return call.attribution.tags[dim.slice(4)] ?? null;
  return (call.attribution as unknown as Record<string, string | null>)[dim] ?? null;
}

/** A call admitted by the rate limiter: send `headers` with the response, then `settle` it. */
export interface RateTicket {
  plan: RatePlan;
  headers: Record<string, string>;
}

/**
 * Rate limits over Counters, for the gateway. `check` throws RateLimitedError (HTTP 429) when a covering rule has no
 * room; otherwise the call counts one request and its estimated tokens.
 */
export class RateLimiter {
  constructor(
    private readonly rules: () => readonly RateLimitRule[],
    private readonly counters: Counters,
    private readonly now: () => number = Date.now,
  ) {}

  async check(call: CallScope, estimatedTokens: number): Promise<RateTicket> {
    const plan = rateClaims(this.rules(), call, estimatedTokens, this.now());
    if (plan.claims.length === 0) return { plan, headers: {} };
    const verdict = rateVerdict(plan, await this.counters.reserve(plan.claims))!;
    if (!verdict.ok) throw verdict.error;
    return { plan, headers: verdict.headers };
  }

  /** Corrects the token estimate to `actualTokens` (input + output; 0 when the call failed before using any). */
  async settle(ticket: RateTicket, actualTokens: number): Promise<void> {
    const claims = rateSettleClaims(ticket.plan, actualTokens);
    if (claims.length > 0) await this.counters.add(claims);
  }
}

export function createRateLimiter(
  rules: readonly RateLimitRule[] | (() => readonly RateLimitRule[]),
  counters: Counters,
  now?: () => number,
): RateLimiter {
  return new RateLimiter(typeof rules === 'function' ? rules : () => rules, counters, now);
}

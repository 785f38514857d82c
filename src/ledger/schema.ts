/**
 * The canonical record: a usage event as users write it in JSONL or CSV (`tokenledger import jsonl|csv`) and as
 * `tokenledger export` writes it. Field names are exactly the ledger's (docs/ledger.md). Unknown fields are
 * rejected rather than ignored: a misspelt `inputTokens` silently dropped would be spend silently lost.
 */
import { z } from 'zod';
import { parseUsd } from '../money/money.js';
import { problemOf } from '../zod-problem.js';
import { COST_SOURCES, ENERGY_SOURCES, STATUSES } from './event.js';
import { setOwn } from './own-key.js';
import { parseTimestamp } from './time.js';

// Plain numbers only: CSV cells are turned into numbers before validation, and a union with a string transform here
// made validation twice as slow. One message a bad count: past 2^53 zod's int() fails too, so the size check stops
// there (abort); a negative count is told so, and a negative fraction that it is not whole too.
const tokenCount = z
  .number({ error: (issue) => `expected a number of tokens, got ${JSON.stringify(issue.input)}` })
  .nonnegative('cannot be negative')
  .max(Number.MAX_SAFE_INTEGER, { message: 'too large to be exact', abort: true })
  .int('expected a whole number');

const optionalCount = tokenCount.nullish();

/**
 * The total a part (reasoning, audio) must stay within. zod runs the record's refinements even when a count failed
 * its own checks; a negative total has its own message already, and comparing a part with it would add a second.
 */
const within = (total: number | null | undefined): number => Math.max(0, total ?? 0);

const text = z.string().nullish();

// Fields that take a string or a number are checked in one transform rather than a zod union: unions made
// validation five times slower, and import speed matters (bench/RESULTS.md).
const money = z
  .unknown()
  .transform((v, ctx) => {
    if (v === null || v === undefined || v === '') return null;
    if (typeof v === 'string' || typeof v === 'number') {
      try {
        return parseUsd(v);
      } catch {
        // reported below
      }
    }
    ctx.addIssue({ code: 'custom', message: `expected a decimal amount in USD, got ${JSON.stringify(v)}` });
    return z.NEVER;
  })
  .optional();

const timestamp = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string' || typeof v === 'number') {
    try {
      return parseTimestamp(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }
  ctx.addIssue({
    code: 'custom',
    message: `expected an ISO-8601 string or epoch milliseconds, got ${JSON.stringify(v ?? null)}`,
  });
  return z.NEVER;
});

/** A measure (duration, energy): a number or a numeric string, 0 or more. */
const number = z
  .unknown()
  .transform((v, ctx) => {
    if (v === null || v === undefined) return v;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
    if (Number.isFinite(n) && n >= 0) return n;
    ctx.addIssue({ code: 'custom', message: `expected a number, 0 or more, got ${JSON.stringify(v)}` });
    return z.NEVER;
  })
  .optional();

export const canonicalRecordSchema = z
  .strictObject({
    event_id: text,
    source: text,
    source_ref: text,
    ingested_at: z.union([z.string(), z.number()]).nullish(),
    ts: timestamp,
    duration_ms: number,
    ttft_ms: number,
    org: text,
    team: text,
    user: text,
    project: text,
    agent: text,
    session_id: text,
    task_id: text,
    environment: text,
    api_key_id: text,
    // Not z.record: it copies the keys with `out[k] = v`, which drops a `__proto__` tag (own-key.ts).
    tags: z
      .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
        message: 'expected an object of tag names to values',
      })
      .nullish()
      .transform((tags, ctx) => {
        if (!tags) return tags;
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(tags)) {
          if (typeof v === 'string') setOwn(out, k, v);
          else if (typeof v === 'number' || typeof v === 'boolean') setOwn(out, k, String(v));
          else
            ctx.addIssue({
              code: 'custom',
              path: [k],
              message: 'a tag value must be a string, number or boolean',
            });
        }
        return out;
      }),
    provider: text,
    model: z.string().min(1, 'model is required'),
    model_requested: text,
    operation: text,
    service_tier: text,
    route_id: text,
    requests: optionalCount,
    input_tokens: optionalCount,
    cache_read_tokens: optionalCount,
    cache_write_5m_tokens: optionalCount,
    cache_write_1h_tokens: optionalCount,
    output_tokens: optionalCount,
    reasoning_tokens: optionalCount,
    web_search_requests: optionalCount,
    input_audio_tokens: optionalCount,
    output_audio_tokens: optionalCount,
    input_image_tokens: optionalCount,
    output_image_tokens: optionalCount,
    audio_ms: optionalCount,
    cost_usd: money,
    cost_input: money,
    cost_cache_read: money,
    cost_cache_write: money,
    cost_output: money,
    cost_source: z.enum(COST_SOURCES).nullish(),
    price_version: text,
    provider_cost_usd: money,
    energy_j: number,
    energy_source: z.enum(ENERGY_SOURCES).nullish(),
    status: z.enum(STATUSES).nullish(),
    error_type: text,
  })
  .refine((r) => (r.reasoning_tokens ?? 0) <= within(r.output_tokens), {
    message: 'reasoning_tokens is part of output_tokens, so it cannot exceed it',
    path: ['reasoning_tokens'],
  })
  .refine((r) => (r.input_audio_tokens ?? 0) <= within(r.input_tokens), {
    message: 'input_audio_tokens is part of input_tokens, so it cannot exceed it',
    path: ['input_audio_tokens'],
  })
  .refine((r) => (r.output_audio_tokens ?? 0) <= within(r.output_tokens), {
    message: 'output_audio_tokens is part of output_tokens, so it cannot exceed it',
    path: ['output_audio_tokens'],
  })
  // Image parts sit beside the audio ones in the same whole: the two together cannot exceed it.
  .refine(
    (r) =>
      !r.input_image_tokens || r.input_image_tokens + (r.input_audio_tokens ?? 0) <= within(r.input_tokens),
    {
      message:
        'input_image_tokens is part of input_tokens beside input_audio_tokens, so the two cannot exceed it',
      path: ['input_image_tokens'],
    },
  )
  .refine(
    (r) =>
      !r.output_image_tokens ||
      r.output_image_tokens + (r.output_audio_tokens ?? 0) <= within(r.output_tokens),
    {
      message:
        'output_image_tokens is part of output_tokens beside output_audio_tokens, so the two cannot exceed it',
      path: ['output_image_tokens'],
    },
  );

export type CanonicalRecord = z.output<typeof canonicalRecordSchema>;

/**
 * One line of what zod found, with the field path: "output_tokens: expected a whole number". Parse with
 * `{ reportInput: true }` so a missing field reads as required (zod-problem.ts).
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${problemOf(canonicalRecordSchema, i)}`)
    .join('; ');
}

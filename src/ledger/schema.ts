/**
 * The canonical record: a usage event as users write it in JSONL or CSV (`tokenledger import jsonl|csv`) and as
 * `tokenledger export` writes it. Field names are exactly the ledger's (docs/ledger.md). Unknown fields are
 * rejected rather than ignored: a misspelt `inputTokens` silently dropped would be spend silently lost.
 */
import { z } from 'zod';
import { parseUsd } from '../money/money.js';
import { COST_SOURCES, ENERGY_SOURCES, STATUSES } from './event.js';
import { parseTimestamp } from './time.js';

const tokenCount = z
  .union([z.number(), z.string().regex(/^\d+$/, 'expected a whole number').transform(Number)])
  .pipe(
    z
      .number()
      .int('expected a whole number')
      .nonnegative()
      .max(Number.MAX_SAFE_INTEGER, 'too large to be exact'),
  );

const optionalCount = tokenCount.nullish();

const text = z.string().nullish();

const money = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v, ctx) => {
    if (v === null || v === undefined || v === '') return null;
    try {
      return parseUsd(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a decimal amount in USD, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
  });

const timestamp = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseTimestamp(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const number = z
  .union([z.number(), z.string().transform(Number)])
  .pipe(z.number().nonnegative())
  .nullish();

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
    tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).nullish(),
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
  .refine((r) => (r.reasoning_tokens ?? 0) <= (r.output_tokens ?? 0), {
    message: 'reasoning_tokens is part of output_tokens, so it cannot exceed it',
    path: ['reasoning_tokens'],
  });

export type CanonicalRecord = z.output<typeof canonicalRecordSchema>;

/** One line of what zod found, with the field path: "output_tokens: expected a whole number". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

import { isUtf8 } from 'node:buffer';
import { BudgetExceededError } from '../budgets/budget-exceeded.js';
import type { Enforcer, Reservation } from '../budgets/enforcer.js';
import { RateLimitedError } from '../budgets/rate-limited.js';
import type { Attribution } from '../ledger/event.js';
import type { CarriedContext } from './carried-context.js';
import type { VirtualKeyRecord } from './keys/virtual-key.js';
import type { Operation, Provider } from './providers/provider.js';
import type { Candidate } from './select-upstream.js';

/** The operations whose requests may go on from a stored response or a conversation (carried-context.ts). */
export const CARRIES_CONTEXT: ReadonlySet<Operation> = new Set(['responses', 'compact']);

/** Admits one attempt of a call to a candidate: its reservation, or a refusal thrown (budgets, rate limits). */
export type Admit = (c: Candidate) => Reservation | Promise<Reservation>;

/** One call as budget admission sees it: after attribution (budgets are per scope), before anything goes upstream. */
export interface AdmissionRequest {
  provider: Provider;
  operation: Operation;
  json: Record<string, unknown>;
  /** The request body as it came. */
  raw: Buffer;
  attribution: Attribution;
  key: VirtualKeyRecord | null;
  /** Epoch µs at arrival. */
  ts: number;
  /** The answer's event id: admission gives it to a reservation that a rebuild of the counters may have to look for. */
  eventId: string;
  carried: CarriedContext;
}

export function admission(enforcer: Enforcer, r: AdmissionRequest): Admit {
  const { provider, json, raw } = r;
  return (c) =>
    // admitNow answers at once with in-process counters: no await (microtask hop) unless it must wait.
    enforcer.admitNow({
      attribution: r.attribution,
      provider: c.upstream.provider,
      // The model as sent (after an alias or an `UPSTREAM/model` prefix), as the ledger books it and budgets are
      // rebuilt from: an alias's own name would match no `model` budget, reserve nothing and settle nowhere.
      model: c.model,
      json,
      inputText: () => provider.inputText(json),
      // Asked for only when a budget or token limit applies; a body that names no image or file part has none:
      // Anthropic's `"image"` and Chat Completions' `"image_url"` start with `"image`, Responses' is `"input_image"`;
      // Anthropic's PDFs are `"document"` blocks, OpenAI's files `"file"` parts and `"input_file"` items.
      imageTokens: () =>
        provider.inputImageTokens !== undefined &&
        (raw.includes('"image') ||
          raw.includes('"input_image"') ||
          raw.includes('"document"') ||
          raw.includes('"file"') ||
          raw.includes('"input_file"'))
          ? provider.inputImageTokens(json, c.model)
          : 0,
      tokenIds: () => provider.inputTokenIds?.(json) ?? 0,
      carriedTokens: CARRIES_CONTEXT.has(r.operation) ? () => r.carried.bound(json) : undefined,
      bodyBytes: isUtf8(raw) ? raw.length : null,
      mayWriteCache: raw.includes('cache_control'),
      ts: r.ts,
      inferenceGeo: c.upstream.inference_geo,
      eventId: r.eventId,
      key: r.key === null ? null : { id: r.key.id, budget_usd: r.key.budget_usd },
    });
}

/** Budgets and rate limits see a call by its provider and model: the same for both, the same reservation. */
export function sameScope(a: Candidate, b: Candidate): boolean {
  return a.model === b.model && a.upstream.provider === b.upstream.provider;
}

/** A refusal of one model's budget or rate limit: a fallback to another, held to its own, may still go. */
export function refusedForItsModel(e: unknown): boolean {
  return e instanceof BudgetExceededError || e instanceof RateLimitedError;
}

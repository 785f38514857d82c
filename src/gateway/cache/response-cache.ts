import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { CACHED_REF_PREFIX, GATEWAY_CACHE_TAG, type UsageEvent } from '../../ledger/event.js';
import type { VirtualKeyRecord } from '../keys/virtual-key.js';
import type { Operation } from '../providers/provider.js';

/**
 * The operations whose answers are served again. A Responses call is not: its answer names a response the provider
 * keeps, which later calls continue. Images are drawn anew by design, and audio arrives as a form.
 */
const CACHED_OPERATIONS: ReadonlySet<Operation> = new Set(['chat', 'completions', 'embeddings', 'messages']);

/** The request header that keeps one call away from the cache, both ways: `x-tokenledger-cache: off`. */
const BYPASS_HEADER = 'x-tokenledger-cache';

/** Request headers that change the answer beside the body: the API version and its betas, the account billed. */
const ANSWER_HEADERS = [
  'anthropic-version',
  'anthropic-beta',
  'openai-organization',
  'openai-project',
] as const;

function bypassed(v: string | string[] | undefined): boolean {
  return typeof v === 'string' && v.trim().toLowerCase() === 'off';
}

/** A hit's source_ref: where its answer came from, the event of the call first answered with it. */
export const cachedSourceRef = (eventId: string): string => `${CACHED_REF_PREFIX}${eventId}`;

/** An answer as the client that asked first was sent it. */
export interface CachedAnswer {
  /** The body: a JSON answer, or a whole SSE stream as its events were forwarded. */
  body: Buffer;
  contentType: string;
  /** The model the provider said answered. */
  model: string;
  /** The event of the call that was answered: the audit trail of every hit. */
  eventId: string;
  /** What that call cost, in pico-dollars: what each hit saves. Null when it was unpriced. */
  cost: bigint | null;
}

/** Where the answers are kept: this process's memory (memory-answers.ts) or a Redis every instance shares. */
export interface AnswerStore {
  /**
   * The answer kept under `key`; undefined for none, and for a store that could not say (Redis unreachable or slow:
   * the call goes upstream, as a miss, rather than wait or fail).
   */
  get(key: string): CachedAnswer | undefined | Promise<CachedAnswer | undefined>;
  /** Keeps `answer` under `key` for the cache's TTL; what cannot be kept is not (a cache may lose anything). */
  set(key: string, answer: CachedAnswer): void;
  /** Whether an answer of this many bytes could be kept: a longer stream is not gathered. */
  fits(bytes: number): boolean;
  close(): Promise<void>;
}

/**
 * Answers served again to the same request. A key is a SHA-256 of who asks, where and what: the caller's virtual key
 * (or its own provider key, so that a caller without a valid key never gets an answer another paid for), the
 * upstream, the route, the headers that change the answer, and the body as sent upstream (after aliases, fallbacks
 * and the usage option metering adds).
 */
export class ResponseCache {
  /** Requests sent upstream from this process and not yet answered, by key: each settles when its attempt ends. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly answers: AnswerStore) {}

  /**
   * The scope of one request's lookups, or null when its answer is not cached: an operation that is not, a form,
   * or a caller that said `x-tokenledger-cache: off`.
   */
  scope(
    operation: Operation,
    form: boolean,
    headers: IncomingHttpHeaders,
    key: VirtualKeyRecord | null,
    callerKey: string | null,
  ): string | null {
    if (!CACHED_OPERATIONS.has(operation) || form || bypassed(headers[BYPASS_HEADER])) return null;
    const parts = [key !== null ? `key ${key.id}` : `caller ${callerKey ?? ''}`];
    for (const name of ANSWER_HEADERS) parts.push(String(headers[name] ?? ''));
    return parts.join('\n');
  }

  /**
   * The place in the cache of one attempt's request. `injectedUsage`: metering added the usage option the client did
   * not ask for, and hides its chunk again, so the client is sent another stream than one that asked for it, though
   * the two bodies sent upstream may be the same bytes. `coalesce`: an identical request already in flight here is
   * waited for rather than sent upstream again (CacheSlot.answer).
   */
  slot(
    scope: string,
    upstream: string,
    path: string,
    body: Buffer,
    injectedUsage: boolean,
    coalesce = false,
  ): CacheSlot {
    const key = createHash('sha256')
      .update(`${scope}\n${upstream}\n${path}\n${injectedUsage}\n${body.length}\n`)
      .update(body)
      .digest('base64');
    return new CacheSlot(this.answers, key, coalesce ? this.inFlight : null);
  }

  close(): Promise<void> {
    return this.answers.close();
  }
}

export class CacheSlot {
  /** Set while this slot's request is the one in flight for its key: called when its attempt ends. */
  private landed: (() => void) | null = null;

  constructor(
    private readonly answers: AnswerStore,
    private readonly key: string,
    private readonly inFlight: Map<string, Promise<void>> | null,
  ) {}

  /**
   * The answer kept for this request. Where it coalesces and none is kept, the same request sent upstream by another
   * call of this process and not yet answered is waited for, and its answer, once kept, is this one's: a burst of
   * identical calls (a popular question asked at once, an evaluation started on many workers) pays for one. Its
   * answer not kept (an error, a cut stream), undefined: this call goes upstream itself. With none in flight, this
   * call is the one the next identical calls wait for, until `settle`.
   */
  async answer(): Promise<CachedAnswer | undefined> {
    const kept = await this.answers.get(this.key);
    if (kept !== undefined || this.inFlight === null) return kept;
    const first = this.inFlight.get(this.key);
    if (first !== undefined) {
      await first;
      return this.answers.get(this.key);
    }
    const inFlight = this.inFlight;
    inFlight.set(
      this.key,
      new Promise<void>((resolve) => {
        this.landed = () => {
          inFlight.delete(this.key);
          resolve();
        };
      }),
    );
    return undefined;
  }

  /** This slot's attempt is over, its answer kept or not: the calls waiting on it look again. Idempotent. */
  settle(): void {
    const landed = this.landed;
    this.landed = null;
    landed?.();
  }

  /** Keeps the answer to `event`'s call, when the call is one worth serving again: whole, answered, its usage known. */
  keep(body: Buffer, headers: IncomingHttpHeaders, event: UsageEvent): void {
    const contentType = headers['content-type'];
    // An encoding the gateway could not decode was passed on as it came: it would be served as what it is not.
    if (event.status !== 'ok' || event.error_type !== null || contentType === undefined) return;
    if (headers['content-encoding'] !== undefined) return;
    this.answers.set(this.key, {
      body,
      contentType,
      model: event.model,
      eventId: event.event_id,
      cost: event.cost_usd,
    });
  }

  /** Whether a body this long would be kept: a stream longer than that is not gathered. */
  fits(bytes: number): boolean {
    return this.answers.fits(bytes);
  }
}

/** The attribution's tags with the call's cache outcome (a new object: the caller's attribution is shared). */
export function cacheTags(tags: Readonly<Record<string, string>>, hit: boolean): Record<string, string> {
  return { ...tags, [GATEWAY_CACHE_TAG]: hit ? 'hit' : 'miss' };
}

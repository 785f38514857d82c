import type { Reservation } from '../budgets/enforcer.js';
import type { Status } from '../ledger/event.js';
import { eventId } from '../ledger/event-id.js';
import type { CallContext, Outcome } from './call.js';
import type { Upstream } from './config.js';
import { openAiFacts } from './providers/openai/usage.js';
import { answerText, obj, str } from './providers/provider.js';

/**
 * Responses API background mode (`background: true`, https://platform.openai.com/docs/guides/background): the POST
 * answers at once with the response `queued`, the model runs upstream, and the client polls `GET
 * /v1/responses/{id}` (or streams it, or cancels it) until the response leaves `queued`/`in_progress`. Its usage
 * exists only then, so the call is recorded when the gateway first sees it finished, wherever that is: in the POST's
 * own answer or stream, or in a later retrieve or cancel.
 *
 * Recorded once: the event id is derived from the response id and its `ts` from the response's `created_at`, so
 * however many polls see it finished, and on whichever instance or after a restart, the store keeps one event
 * (it deduplicates on event id and ts); within a process the registry also keeps metrics and budgets from
 * counting it twice.
 */

/** A background response's states that are final (https://platform.openai.com/docs/api-reference/responses/object). */
const FINAL = new Set(['completed', 'incomplete', 'failed', 'cancelled']);

export interface BackgroundResponse {
  id: string;
  status: string;
  final: boolean;
  /** Epoch seconds. */
  created_at: number | null;
  completed_at: number | null;
  body: Record<string, unknown>;
}

/** The response object in `v` (a response, or a stream event wrapping one) when it was created in background. */
export function backgroundResponse(v: unknown): BackgroundResponse | null {
  const o = obj(v);
  const r = obj(o?.response) ?? o;
  if (r === null || r.object !== 'response' || r.background !== true) return null;
  const id = str(r.id);
  const status = str(r.status);
  if (id === null || status === null) return null;
  return {
    id,
    status,
    final: FINAL.has(status),
    created_at: seconds(r.created_at),
    completed_at: seconds(r.completed_at),
    body: r,
  };
}

/** The ledger's event id of a background response: the same wherever and however often it is seen finished. */
export function backgroundEventId(responseId: string): string {
  return eventId('gateway', responseId);
}

/** Gives the call the response's identity: its event id, and its creation time as `ts`. */
export function identify(call: CallContext, r: Pick<BackgroundResponse, 'id' | 'created_at'>): void {
  call.eventId = backgroundEventId(r.id);
  if (r.created_at !== null) call.ts = r.created_at * 1_000_000;
}

/**
 * How a finished background response is recorded: completed and incomplete are `ok`, failed an `error` with its
 * code, cancelled `aborted`; the usage is the response's own (a response cancelled before it ran reports none and
 * cost nothing). Only a completed answer without usage (some OpenAI-compatible servers) is estimated.
 */
export function finishedOutcome(r: BackgroundResponse): Outcome {
  const facts = openAiFacts(r.body);
  const status: Status = r.status === 'failed' ? 'error' : r.status === 'cancelled' ? 'aborted' : 'ok';
  const error =
    r.status === 'failed'
      ? (str(obj(r.body.error)?.code) ?? 'response_failed')
      : r.status === 'cancelled'
        ? 'response_cancelled'
        : null;
  const missing = facts.usage === null && status === 'ok';
  return {
    facts,
    status,
    error: missing ? 'usage_missing' : error,
    estimate: missing ? { outputText: answerText(r.body) } : undefined,
    completion: () => answerText(r.body),
    duration_ms:
      r.created_at !== null && r.completed_at !== null ? (r.completed_at - r.created_at) * 1000 : undefined,
  };
}

interface Held {
  call: CallContext;
  /** Date.now() when held. */
  since: number;
}

/**
 * The background responses this process has seen: the calls waiting for their response to finish (with their
 * attribution and budget reservation), and the ones already recorded, with the upstream each lives on (a retrieve
 * must go where the response was created). Bounded: past `limit` entries, or `ttl_ms` after it was held, a waiting
 * call gives its reservation back and is forgotten; a later poll still records the response, attributed to the
 * poller.
 */
export class BackgroundResponses {
  private readonly held = new Map<string, Held>();
  /** Response id → its upstream, for the recorded ones (insertion order: the oldest go first). */
  private readonly recorded = new Map<string, Upstream>();
  /** Set while a call waits: fires when the oldest one's `ttl_ms` is up. */
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly release: (r: Reservation) => void,
    private readonly limit = 10_000,
    private readonly ttl_ms = 24 * 3600_000,
  ) {}

  /** The call is recorded when its response is seen finished; until then its reservation stays taken. */
  hold(responseId: string, call: CallContext, now = Date.now()): void {
    this.held.set(responseId, { call, since: now });
    this.expire(now);
    this.wake(now);
  }

  /** Forgets the oldest waiting calls while there are too many or they have waited `ttl_ms`, giving back their reservations. */
  private expire(now: number): void {
    for (const [id, h] of this.held) {
      if (this.held.size <= this.limit && now - h.since < this.ttl_ms) break;
      this.held.delete(id);
      if (h.call.reservation !== null && !h.call.reservation.done) this.release(h.call.reservation);
    }
  }

  /**
   * Expires the oldest waiting call when its time is up: a reservation held until some later background call came
   * would, with none coming, keep its budget short until a restart. Unref'd, so a waiting call keeps no process alive.
   */
  private wake(now: number): void {
    if (this.timer !== null) return;
    const oldest = this.held.values().next().value;
    if (oldest === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        const t = Date.now();
        this.expire(t);
        this.wake(t);
      },
      Math.max(0, oldest.since + this.ttl_ms - now),
    );
    this.timer.unref();
  }

  /** The waiting call for this response, taken out: null when there is none (another instance, a restart). */
  take(responseId: string): CallContext | null {
    const h = this.held.get(responseId);
    if (h === undefined) return null;
    this.held.delete(responseId);
    return h.call;
  }

  /** Marks the response recorded; false when it already was (by this process). */
  markRecorded(responseId: string, upstream: Upstream): boolean {
    if (this.recorded.has(responseId)) return false;
    this.recorded.set(responseId, upstream);
    if (this.recorded.size > this.limit) this.recorded.delete(this.recorded.keys().next().value!);
    return true;
  }

  /** Undoes markRecorded: the event did not reach the log. */
  forget(responseId: string): void {
    this.recorded.delete(responseId);
  }

  /**
   * The call that saw its response finished could not record it (the write-ahead log refused): it waits, reservation
   * and all, for the next call that sees the response finished, as if it had not been seen.
   */
  unrecorded(responseId: string, call: CallContext): void {
    this.forget(responseId);
    this.hold(responseId, call);
    call.heldForLater = true;
  }

  /** The upstream a response was created on, when this process saw it created. */
  upstreamOf(responseId: string): Upstream | null {
    return this.held.get(responseId)?.call.upstream ?? this.recorded.get(responseId) ?? null;
  }
}

function seconds(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.trunc(v) : null;
}

import { TokenledgerError } from '../../errors.js';
import type { UnpricedEvent } from '../../ledger/event.js';
import { DAY_US } from './calendar.js';
import { makeCall } from './calls.js';
import { buildPlan } from './company.js';
import { demoEventIds } from './demo-event-id.js';
import { SessionHeap } from './heap.js';
import { DEMO_ORG } from './org.js';
import { planDay } from './plan.js';
import { branchOf, type Session } from './session.js';

export const DEMO_SOURCE = 'demo';

/** The CLI's defaults for `tokenledger demo`: about a million events. */
export const DEMO_DEFAULTS = { seed: 42, people: 300, days: 30 } as const;

export interface DemoOptions {
  seed: number;
  people: number;
  days: number;
  /** Epoch µs, exclusive: the range is [end - days × 24h, end). The CLI passes now: no demo call is in the future. */
  end: number;
  /** Epoch µs stamped on every event as `ingested_at`. */
  ingestedAt: number;
}

/**
 * The demo organisation's LLM usage: a deterministic function of the options, streamed in non-decreasing `ts`
 * order with memory independent of the range (only the sessions in flight are held). Each UTC date is planned
 * from the seed and the date alone, so overlapping ranges agree on the events they share; the runaway incident
 * (demoIncident) sits near the end of the range.
 *
 * @example
 * for (const e of generateDemo({ ...DEMO_DEFAULTS, end: startOfTomorrowUs, ingestedAt: nowUs })) sink.event(e);
 */
export function generateDemo(opts: DemoOptions): Generator<UnpricedEvent> {
  // Checked here rather than in the generator's body, which would only run at the first next().
  checkDemoOptions(opts);
  return events(opts);
}

function* events(opts: DemoOptions): Generator<UnpricedEvent> {
  const { end, ingestedAt } = opts;
  const start = end - opts.days * DAY_US;
  const lastDay = Math.floor((end - 1) / DAY_US);
  const plan = buildPlan(opts);
  const idOf = demoEventIds(DEMO_SOURCE, String(plan.seed));
  const heap = new SessionHeap();
  let day = Math.floor(start / DAY_US);
  for (;;) {
    // Sessions of a day all start at or after its midnight: plan it just before the merge reaches it.
    while (day <= lastDay && (heap.size === 0 || heap.peek()!.next >= day * DAY_US)) {
      for (const s of planDay(plan, day)) heap.push(s);
      day++;
    }
    const s = heap.peek();
    if (s === undefined || s.next >= end) return;
    const ts = s.next;
    const pauseMs = makeCall(s, ts);
    if (ts >= start) {
      yield {
        event_id: idOf(`${s.key}.${s.call}`),
        source: DEMO_SOURCE,
        source_ref: null,
        ingested_at: ingestedAt,
        ts,
        duration_ms: s.durationMs,
        ttft_ms: s.ttftMs,
        org: DEMO_ORG,
        team: s.team,
        user: s.user,
        project: s.project,
        agent: s.agent,
        session_id: s.sessionId,
        task_id: s.taskId,
        environment: s.environment,
        api_key_id: s.apiKeyId,
        tags: tagsOf(s),
        provider: s.m.provider,
        model: s.m.name,
        model_requested: s.m.name,
        operation: s.m.operation,
        service_tier: s.serviceTier,
        route_id: s.routeId,
        requests: 1,
        input_tokens: s.input,
        cache_read_tokens: s.cacheRead,
        cache_write_5m_tokens: s.cacheWrite5m,
        cache_write_1h_tokens: s.cacheWrite1h,
        output_tokens: s.output,
        reasoning_tokens: s.reasoning,
        web_search_requests: 0,
        input_audio_tokens: 0,
        output_audio_tokens: 0,
        input_image_tokens: 0,
        output_image_tokens: 0,
        audio_ms: 0,
        energy_j: null,
        energy_source: null,
        status: s.status,
        error_type: s.errorType,
      };
    }
    const ended = ts + ((s.durationMs ?? 0) + pauseMs) * 1000;
    s.lastEnd = ts + (s.durationMs ?? 0) * 1000;
    s.call++;
    s.callsLeft--;
    s.next = ended;
    if (s.callsLeft <= 0 || ended >= s.until) heap.pop();
    else heap.siftDown();
  }
}

/** Most people the demo plans for: a day's sessions are numbered below 2^17 (plan.ts), ~12 per person. */
export const DEMO_MAX_PEOPLE = 10_000;
/** The most days a demo spans (ten years). */
export const DEMO_MAX_DAYS = 3660;

/** Throws SRC_DEMO_BAD_OPTION for an option out of range (generateDemo checks too; a caller may check first). */
export function checkDemoOptions(o: DemoOptions): void {
  const bad = (field: string, expected: string, got: unknown) => {
    const example =
      field in DEMO_DEFAULTS
        ? ` (e.g. --${field} ${DEMO_DEFAULTS[field as keyof typeof DEMO_DEFAULTS]})`
        : '';
    return new TokenledgerError(
      'SRC_DEMO_BAD_OPTION',
      `demo option ${field} must be ${expected}, got ${String(got)}: pass a valid value${example}`,
    );
  };
  if (!Number.isSafeInteger(o.seed)) throw bad('seed', 'an integer', o.seed);
  if (!Number.isSafeInteger(o.people) || o.people < 0 || o.people > DEMO_MAX_PEOPLE) {
    throw bad('people', `an integer from 0 to ${DEMO_MAX_PEOPLE}`, o.people);
  }
  if (!Number.isSafeInteger(o.days) || o.days < 1 || o.days > DEMO_MAX_DAYS)
    throw bad('days', `an integer from 1 to ${DEMO_MAX_DAYS}`, o.days);
  if (!Number.isSafeInteger(o.end)) throw bad('end', 'epoch microseconds (an integer)', o.end);
  if (!Number.isSafeInteger(o.ingestedAt))
    throw bad('ingestedAt', 'epoch microseconds (an integer)', o.ingestedAt);
}

/** An app's calls carry its version; a coding agent's, on a ticket, the branch it works on. */
function tagsOf(s: Session): Record<string, string> {
  if (s.appVersion !== null) return { app_version: s.appVersion };
  const branch = branchOf(s);
  return branch === null ? {} : { git_branch: branch };
}

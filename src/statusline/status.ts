import { HOUR_US } from '../blocks/blocks.js';
import { agentWindows, type LedgerBlock } from '../blocks/ledger-blocks.js';
import { localDay } from '../budgets/forecast-days.js';
import type { UsageEvent } from '../ledger/event.js';
import type { Filter, QueryResult } from '../store/query.js';
import type { Store } from '../store/store.js';

/** Spend as the line shows it. `cost_usd` leaves the unpriced calls out: never read it as their being free. */
export interface Spend {
  calls: number;
  unpriced_calls: number;
  cost_usd: bigint;
}

export interface Status {
  /** The session's spend over all time; null when no session was named. */
  session: Spend | null;
  /** The person's spend since midnight on the zone's clocks, every agent and source. */
  today: Spend;
  /** Claude Code's open five-hour window (blocks/blocks.ts) with its pace, or null when none is open. */
  window: LedgerBlock | null;
  /**
   * The conversation's latest call, not a subagent's: its model and the tokens its prompt filled (input, cache reads
   * and writes).
   */
  last: { model: string | null; prompt_tokens: number } | null;
}

/**
 * How far back the windows are rebuilt from: a window opens at most five hours before now, and a gap of five hours
 * between calls starts the chain afresh; only a day of calls without such a gap could place the open one otherwise.
 */
const WINDOW_HISTORY_US = 24 * HOUR_US;

/**
 * The earliest time of a call the line may count, beyond its session's: today's since midnight on the zone's clocks
 * (up to 25 hours back on a day the clocks go back), the window's history since a day before now. Microseconds.
 */
export function earliestShown(now: number, zone: string): number {
  return Math.min(localDay(now / 1000, zone).start * 1000, now - WINDOW_HISTORY_US);
}

/**
 * A Claude Code session's status line figures from the ledger, with `pending`: the session's calls not stored yet
 * (pending.ts), counted as if they were. The person is the session's (as its calls are attributed), else
 * `fallbackUser`: the OS user `tokenledger` attributes this machine's agent logs to.
 */
export async function sessionStatus(
  store: Store,
  o: {
    sessionId: string | null;
    pending: readonly UsageEvent[];
    fallbackUser: string | null;
    now: number;
    zone: string;
  },
): Promise<Status> {
  const { sessionId, pending, now } = o;
  const ofSession = sessionId === null ? [] : [{ dimension: 'session_id' as const, values: [sessionId] }];
  const sessionRows =
    sessionId === null ? null : await store.query({ dimensions: ['user'], filters: ofSession });
  // A session's calls that name nobody (null) are that nobody's: only a session not in the ledger yet falls back.
  const found = sessionRows?.rows[0];
  const user = found !== undefined ? (found.dims.user ?? null) : (pending[0]?.user ?? o.fallbackUser);
  const ofUser: Filter[] = [{ dimension: 'user', values: [user] }];

  const midnight = localDay(now / 1000, o.zone).start * 1000;
  // The context is the conversation's: a subagent's calls (tagged with its log: docs/sources/claude-code.md) fill a
  // context of their own.
  const conversation = pending.filter((e) => e.tags.subagent === undefined);
  const claudeCode: Filter[] = [...ofUser, { dimension: 'agent', values: ['claude-code'] }];
  // Read side by side: each query is mostly DuckDB planning the pricing SQL (~30 ms), on a pool of connections.
  const [today, windows, latest] = await Promise.all([
    store.query({ dimensions: [], filters: ofUser, since: midnight, until: now + 1 }),
    agentWindows(
      store,
      claudeCode,
      { since: now - WINDOW_HISTORY_US, until: now + 1 },
      now,
      pending.filter((e) => e.agent === 'claude-code'),
    ),
    sessionId === null
      ? undefined
      : (conversation.at(-1) ??
        store
          .events({ filters: [...ofSession, { dimension: 'tag.subagent', values: [null] }], limit: 1 })
          .then((events) => events[0])),
  ]);
  const window = windows.blocks.find((b) => b.active && b.agent === 'claude-code') ?? null;
  return {
    session: sessionRows === null ? null : plus(spendOf(sessionRows), pending),
    today: plus(
      spendOf(today),
      pending.filter((e) => e.ts >= midnight),
    ),
    window,
    last:
      latest === undefined
        ? null
        : {
            model: latest.model,
            prompt_tokens:
              latest.input_tokens +
              latest.cache_read_tokens +
              latest.cache_write_5m_tokens +
              latest.cache_write_1h_tokens,
          },
  };
}

function spendOf(r: QueryResult): Spend {
  return { calls: r.totals.events, unpriced_calls: r.unpriced.events, cost_usd: r.totals.cost_usd };
}

function plus(s: Spend, calls: readonly UsageEvent[]): Spend {
  return calls.reduce(
    (sum, e) => ({
      calls: sum.calls + 1,
      unpriced_calls: sum.unpriced_calls + (e.cost_usd === null ? 1 : 0),
      cost_usd: sum.cost_usd + (e.cost_usd ?? 0n),
    }),
    s,
  );
}

import { parseUsd } from '../money/money.js';
import { RUNAWAY_DEFAULTS, type RunawayConfig } from './runaway-config.js';

/** One recorded call, as the gateway knows it after the response. */
export interface WatchedCall {
  session_id: string | null;
  agent: string | null;
  /** What the call cost, pico-dollars. */
  cost: bigint;
  /** requestFingerprint() of the request body; null skips loop detection for this call. */
  fingerprint: string | null;
  /** Epoch ms of the call. */
  ts: number;
}

interface RunawayFacts {
  runaway: true;
  session_id: string;
  agent: string | null;
  window_minutes: number;
  /** Epoch ms the session is blocked until; null when `block` is off. */
  blocked_until: number | null;
}

type RunawayVerdict =
  | { runaway: false }
  /** The session spent `spend` (> `max`) pico-dollars within `window_minutes`. */
  | (RunawayFacts & { reason: 'spend'; spend: bigint; max: bigint })
  /** The session sent `repeats` near-identical requests within `window_minutes`. */
  | (RunawayFacts & { reason: 'loop'; repeats: number; fingerprint: string });

interface Block {
  session_id: string;
  until: number;
  reason: 'spend' | 'loop';
}

/**
 * Watches calls as the gateway records them, per session, in memory. The gateway asks `isBlocked` before forwarding
 * (429 while blocked) and calls `record` after each call; a runaway verdict is for an alert, and blocks the session
 * for `block_minutes` when `block` is on. Calls without a session_id are not watched: one agent name is shared by a
 * whole company, so blocking by agent would stop everyone.
 */
export interface RunawayWatch {
  record(call: WatchedCall): RunawayVerdict;
  isBlocked(sessionId: string | null, nowMs: number): Block | null;
  /** Lifts a block early (an operator's decision); true if there was one. */
  unblock(sessionId: string): boolean;
  /** Sessions held in memory (for /metrics and tests). */
  readonly size: number;
}

/**
 * A session's calls within the window, oldest first from `head` (a queue in parallel arrays: no object per call, and
 * no `shift()`, which copies a long array), its spend there, and for each fingerprint among them how many carry it
 * (each call points at its fingerprint's count, so a fingerprint's text is held once however often it repeats). A
 * server at 1,000 calls a second in sessions holds 600,000 calls in a 10-minute window: bench/gateway/watch-memory.ts.
 */
interface SessionState {
  times: number[];
  costs: bigint[];
  fingerprints: (Repeats | null)[];
  head: number;
  spend: bigint;
  repeats: Map<string, Repeats>;
  last: number;
}

/** The calls in the window that carry fingerprint `fp`. */
interface Repeats {
  fp: string;
  n: number;
}

export interface RunawayWatchOptions {
  /** Most sessions held; the least recently seen is dropped beyond it. Default 100 000 (a few tens of MB at worst). */
  maxSessions?: number;
}

/**
 * @example
 * const watch = createRunawayWatch({ ...RUNAWAY_DEFAULTS, block: true });
 * if (watch.isBlocked(sid, Date.now())) return tooManyRequests();
 * const v = watch.record({ session_id: sid, agent, cost, fingerprint: requestFingerprint(body), ts: Date.now() });
 * if (v.runaway) alerts.raise(…);
 */
export function createRunawayWatch(
  config: RunawayConfig = RUNAWAY_DEFAULTS,
  o: RunawayWatchOptions = {},
): RunawayWatch {
  const max = parseUsd(config.max_usd);
  const windowMs = config.window_minutes * 60_000;
  const maxSessions = o.maxSessions ?? 100_000;
  const sessions = new Map<string, SessionState>();
  const blocks = new Map<string, Block>();

  const evict = (s: SessionState, now: number) => {
    const cut = now - windowMs;
    while (s.head < s.times.length && s.times[s.head]! <= cut) {
      s.spend -= s.costs[s.head]!;
      const r = s.fingerprints[s.head]!;
      if (r !== null && --r.n === 0) s.repeats.delete(r.fp);
      s.head++;
    }
    // The evicted front is dropped once it is half the arrays: each call is copied at most once on average.
    if (s.head > 64 && s.head * 2 >= s.times.length) {
      s.times = s.times.slice(s.head);
      s.costs = s.costs.slice(s.head);
      s.fingerprints = s.fingerprints.slice(s.head);
      s.head = 0;
    }
  };

  const touch = (id: string): SessionState => {
    let s = sessions.get(id);
    if (s === undefined)
      s = { times: [], costs: [], fingerprints: [], head: 0, spend: 0n, repeats: new Map(), last: 0 };
    // Re-inserting keeps the Map in least-recently-seen order, so the first key is the one to drop.
    sessions.delete(id);
    sessions.set(id, s);
    if (sessions.size > maxSessions) sessions.delete(sessions.keys().next().value!);
    return s;
  };

  const verdictFacts = (c: WatchedCall, id: string, reason: 'spend' | 'loop'): RunawayFacts => {
    let blocked_until: number | null = null;
    if (config.block) {
      blocked_until = c.ts + config.block_minutes * 60_000;
      const prev = blocks.get(id);
      if (prev === undefined || prev.until < blocked_until)
        blocks.set(id, { session_id: id, until: blocked_until, reason });
    }
    return {
      runaway: true,
      session_id: id,
      agent: c.agent,
      window_minutes: config.window_minutes,
      blocked_until,
    };
  };

  return {
    record(c) {
      const id = c.session_id;
      if (id === null || id === '') return { runaway: false };
      const s = touch(id);
      // Calls may be recorded slightly out of order (they finish out of order): the window runs to the newest seen.
      s.last = Math.max(s.last, c.ts);
      let r: Repeats | null = null;
      if (c.fingerprint !== null) {
        r = s.repeats.get(c.fingerprint) ?? { fp: c.fingerprint, n: 0 };
        if (r.n === 0) s.repeats.set(c.fingerprint, r);
        r.n++;
      }
      s.times.push(c.ts);
      s.costs.push(c.cost);
      s.fingerprints.push(r);
      s.spend += c.cost;
      evict(s, s.last);
      if (s.spend > max) return { ...verdictFacts(c, id, 'spend'), reason: 'spend', spend: s.spend, max };
      const repeats = r === null ? 0 : r.n;
      if (repeats >= config.loop_repeats) {
        return { ...verdictFacts(c, id, 'loop'), reason: 'loop', repeats, fingerprint: c.fingerprint! };
      }
      return { runaway: false };
    },
    isBlocked(sessionId, nowMs) {
      if (sessionId === null) return null;
      const b = blocks.get(sessionId);
      if (b === undefined) return null;
      if (b.until <= nowMs) {
        blocks.delete(sessionId);
        return null;
      }
      return b;
    },
    unblock(sessionId) {
      return blocks.delete(sessionId);
    },
    get size() {
      return sessions.size;
    },
  };
}

import { describe, expect, it } from 'vitest';
import { parseUsd } from '../money/money.js';
import { RUNAWAY_DEFAULTS, type RunawayConfig } from './runaway-config.js';
import { createRunawayWatch, type WatchedCall } from './runaway-watch.js';

const usd = parseUsd;
const MIN = 60_000;
const T0 = Date.UTC(2025, 10, 18, 14);
const cfg = (o: Partial<RunawayConfig> = {}): RunawayConfig => ({ ...RUNAWAY_DEFAULTS, ...o });
const call = (min: number, cost: string, o: Partial<WatchedCall> = {}): WatchedCall => ({
  session_id: 's1',
  agent: 'claude-code',
  cost: usd(cost),
  fingerprint: null,
  ts: T0 + min * MIN,
  ...o,
});

describe('RunawayWatch: spend', () => {
  it('flags a session that spends more than max_usd within window_minutes', () => {
    const w = createRunawayWatch(cfg({ max_usd: '20', window_minutes: 10 }));
    expect(w.record(call(0, '8'))).toEqual({ runaway: false });
    expect(w.record(call(4, '8'))).toEqual({ runaway: false });
    // 8 + 8 + 5 = 21 > 20 within 9 minutes.
    expect(w.record(call(9, '5'))).toEqual({
      runaway: true,
      reason: 'spend',
      session_id: 's1',
      agent: 'claude-code',
      spend: usd('21'),
      max: usd('20'),
      window_minutes: 10,
      blocked_until: null,
    });
    // At 14.5 min the calls at 0 and 4 have left the window: 5 + 1.
    expect(w.record(call(14.5, '1'))).toEqual({ runaway: false });
    expect(w.isBlocked('s1', T0 + 15 * MIN)).toBeNull();
  });

  it('counts exactly max_usd as not more than it, and keeps sessions apart', () => {
    const w = createRunawayWatch(cfg({ max_usd: '20' }));
    w.record(call(0, '10'));
    expect(w.record(call(1, '10', { session_id: 's2' })).runaway).toBe(false);
    expect(w.record(call(2, '10')).runaway).toBe(false);
    expect(w.record(call(3, '0.000000000001')).runaway).toBe(true);
  });

  it('blocks the session for block_minutes when block is on, then lets it go', () => {
    const w = createRunawayWatch(cfg({ max_usd: '1', block: true, block_minutes: 30 }));
    const v = w.record(call(0, '2'));
    expect(v).toMatchObject({ runaway: true, blocked_until: T0 + 30 * MIN });
    expect(w.isBlocked('s1', T0 + 29 * MIN)).toEqual({
      session_id: 's1',
      until: T0 + 30 * MIN,
      reason: 'spend',
    });
    expect(w.isBlocked('s2', T0 + 29 * MIN)).toBeNull();
    expect(w.isBlocked('s1', T0 + 30 * MIN)).toBeNull();
  });

  it('lifts a block on request', () => {
    const w = createRunawayWatch(cfg({ max_usd: '1', block: true }));
    w.record(call(0, '2'));
    expect(w.unblock('s1')).toBe(true);
    expect(w.isBlocked('s1', T0)).toBeNull();
    expect(w.unblock('s1')).toBe(false);
  });

  it('does not watch calls without a session', () => {
    const w = createRunawayWatch(cfg({ max_usd: '1' }));
    expect(w.record(call(0, '100', { session_id: null })).runaway).toBe(false);
    expect(w.size).toBe(0);
  });

  it('holds at most maxSessions, dropping the least recently seen', () => {
    const w = createRunawayWatch(cfg({ max_usd: '15' }), { maxSessions: 2 });
    w.record(call(0, '10', { session_id: 'a' }));
    w.record(call(0, '1', { session_id: 'b' }));
    w.record(call(1, '1', { session_id: 'a' }));
    w.record(call(1, '1', { session_id: 'c' }));
    expect(w.size).toBe(2);
    // b was dropped, a kept its $11: another $5 takes it past $15.
    expect(w.record(call(2, '5', { session_id: 'a' })).runaway).toBe(true);
  });
});

describe('RunawayWatch: loops', () => {
  it('flags loop_repeats identical fingerprints within the window', () => {
    const w = createRunawayWatch(cfg({ loop_repeats: 3, window_minutes: 10 }));
    expect(w.record(call(0, '0.1', { fingerprint: 'f' })).runaway).toBe(false);
    expect(w.record(call(1, '0.1', { fingerprint: 'g' })).runaway).toBe(false);
    expect(w.record(call(2, '0.1', { fingerprint: 'f' })).runaway).toBe(false);
    expect(w.record(call(3, '0.1', { fingerprint: 'f' }))).toMatchObject({
      runaway: true,
      reason: 'loop',
      repeats: 3,
      fingerprint: 'f',
    });
  });

  it('forgets repeats older than the window', () => {
    const w = createRunawayWatch(cfg({ loop_repeats: 3, window_minutes: 10 }));
    w.record(call(0, '0.1', { fingerprint: 'f' }));
    w.record(call(5, '0.1', { fingerprint: 'f' }));
    expect(w.record(call(10, '0.1', { fingerprint: 'f' })).runaway).toBe(false);
    expect(w.record(call(11, '0.1', { fingerprint: 'f' })).runaway).toBe(true);
  });

  it('keeps exact spend and repeat counts over a long session, as a brute-force count over the window gives', () => {
    // 3,000 calls 20 s apart (the watch drops its evicted calls in steps): every verdict is checked against the
    // spend and repeats of exactly the calls in the window, counted from scratch.
    const w = createRunawayWatch(cfg({ max_usd: '3.5', loop_repeats: 7, window_minutes: 10 }));
    const seen: WatchedCall[] = [];
    let spends = 0;
    let loops = 0;
    let calm = 0;
    for (let i = 0; i < 3000; i++) {
      // A costly stretch, a looping stretch, calm around them.
      const cost = i >= 1000 && i < 1300 ? `0.5${i % 10}` : `0.0${(i * 37) % 10}${i % 7}`;
      const fingerprint = i >= 2000 && i < 2600 && i % 4 === 0 ? 'loop' : `f${i % 97}`;
      const c = call(i / 3, cost, { fingerprint });
      seen.push(c);
      const inWindow = seen.filter((x) => x.ts > c.ts - 10 * MIN);
      const spend = inWindow.reduce((n, x) => n + x.cost, 0n);
      const repeats = inWindow.filter((x) => x.fingerprint === c.fingerprint).length;
      const v = w.record(c);
      if (spend > usd('3.5')) {
        expect(v).toMatchObject({ runaway: true, reason: 'spend', spend });
        spends++;
      } else if (repeats >= 7) {
        expect(v).toMatchObject({ runaway: true, reason: 'loop', repeats });
        loops++;
      } else {
        expect(v).toEqual({ runaway: false });
        calm++;
      }
    }
    // Both kinds of verdict and calm stretches occurred, so each branch above was held to the count.
    expect([spends > 100, loops > 100, calm > 1000]).toEqual([true, true, true]);
  });
});

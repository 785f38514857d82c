import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusLine } from '../cli/statusline.js';
import type { UsageEvent } from '../ledger/event.js';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import type { Store } from '../store/store.js';
import { makeEvent } from '../store/testing/event-factory.js';
import { sessionStatus } from './status.js';

const HOUR = 3_600_000_000;
// Tuesday 2026-03-10, 12:00 UTC.
const NOW = Date.UTC(2026, 2, 10, 12) * 1000;
const at = (hoursAgo: number, n: number, o: Partial<UsageEvent> = {}) =>
  makeEvent(n, { ts: NOW - hoursAgo * HOUR, session_id: 's1', user: 'ada', ...o });

const stored = [
  at(30, 1, { session_id: 's0' }), // yesterday 06:00, another session
  at(13, 2), // yesterday 23:00: opens a window that closed at 04:00
  at(11, 3), // today 01:00
  at(2, 4), // today 10:00: opens the window that is open now
  at(1, 5, { user: 'bob', session_id: 's9' }), // another person's call
  at(1, 6, { rates: null }), // today 11:00, no price
];
// The response being written, 10 minutes ago: not in the store.
const pending = [at(1 / 6, 7)];
const sum = (events: UsageEvent[]) => events.reduce((s, e) => s + (e.cost_usd ?? 0n), 0n);

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-status-'));
  store = await createDuckDbStore(join(dir, 'ledger.duckdb'));
  await store.append(stored);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const status = (zone: string, sessionId: string | null = 's1') =>
  sessionStatus(store, { sessionId, pending, fallbackUser: null, now: NOW, zone });

describe('a Claude Code session status from the ledger', () => {
  it("sums the session over all time, the person's calls since midnight, and the open window, with the pending call", async () => {
    const s = await status('UTC');
    const [, e2, e3, e4] = stored as [UsageEvent, UsageEvent, UsageEvent, UsageEvent];
    const p = pending[0]!;
    expect(s.session).toEqual({ calls: 5, unpriced_calls: 1, cost_usd: sum([e2, e3, e4, p]) });
    // Not yesterday's 23:00, nor bob's call.
    expect(s.today).toEqual({ calls: 4, unpriced_calls: 1, cost_usd: sum([e3, e4, p]) });
    expect(s.window).toMatchObject({
      start: NOW - 2 * HOUR,
      end: NOW + 3 * HOUR,
      calls: 3,
      unpriced_calls: 1,
      cost_usd: sum([e4, p]),
      last_call: p.ts,
    });
    // Priced calls over the 110 minutes from the first to the last, an hour's worth.
    expect(s.window!.burn!.cost_per_hour_usd).toBe((sum([e4, p]) * 60n) / 110n);
    expect(s.last).toEqual({ model: 'claude-sonnet-4-5', prompt_tokens: 1007 + 20_000 });
    expect(
      statusLine(
        {
          sessionId: 's1',
          transcriptPath: null,
          model: { id: null, name: null },
          contextPercent: null,
          contextSize: null,
        },
        s,
        NOW,
      ),
    ).toBe(
      'claude-sonnet-4-5 · $0.05* session · $0.04* today · $0.03* window, 3h 0m left, $0.01/h · context 11%',
    );
  });

  it("starts today at the zone's midnight", async () => {
    // 21:00 in Tokyo: the day began at 15:00 UTC yesterday, so yesterday's 23:00 call is today's there.
    const s = await status('Asia/Tokyo');
    expect(s.today.calls).toBe(5);
  });

  it("counts a session whose calls name nobody as nobody's, not the fallback person's", async () => {
    await store.append([at(3, 8, { user: null, session_id: 'anon' })]);
    const s = await sessionStatus(store, {
      sessionId: 'anon',
      pending: [],
      fallbackUser: 'zed',
      now: NOW,
      zone: 'UTC',
    });
    expect([s.session?.calls, s.today.calls]).toEqual([1, 1]);
  });

  it('without a session, shows no session figure and no context', async () => {
    const s = await status('UTC', null);
    expect(s.session).toBeNull();
    expect(s.last).toBeNull();
  });
});

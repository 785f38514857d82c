import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../ledger/event.js';
import { loadBundledCatalog } from '../pricing/bundled-catalog.js';
import { createPricer } from '../pricing/pricer.js';
import { claudeCodeSource } from '../sources/claude-code/parse.js';
import { findClaudeCodeFiles } from '../sources/claude-code/paths.js';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import type { Store } from '../store/store.js';
import { makeEvent } from '../store/testing/event-factory.js';
import { HOUR_US } from './blocks.js';
import { blocksJson, ledgerBlocks } from './ledger-blocks.js';

const REPO = join(import.meta.dirname, '../..');
const LOGS = join(REPO, '../shared/data/agent-logs/claude');
const MINUTE = 60_000_000;
const T = Date.UTC(2026, 2, 1) * 1000; // 2026-03-01 00:00 UTC
const ALL_TIME = { since: 0, until: Date.UTC(2100, 0, 1) * 1000 };

/** A window as `ccusage blocks --json` gives it (test/fixtures/ccusage/blocks.json). */
interface CcusageBlock {
  startTime: string;
  endTime: string;
  actualEndTime: string;
  entries: number;
  tokenCounts: Record<
    'inputTokens' | 'outputTokens' | 'cacheCreationInputTokens' | 'cacheReadInputTokens',
    number
  >;
  totalTokens: number;
  costUSD: number;
}

let dir: string | undefined;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  store = dir = undefined;
});
async function ledger(): Promise<Store> {
  dir = mkdtempSync(join(tmpdir(), 'tl-blocks-'));
  store = await createDuckDbStore(join(dir, 'ledger.duckdb'));
  return store;
}

describe.skipIf(!existsSync(LOGS))('five-hour windows of the real Claude Code logs in ../shared/data', () => {
  it('are the windows ccusage 20.0.24 draws: the same starts, ends, calls and tokens, the cost to the cent', async () => {
    const { files } = await findClaudeCodeFiles({ env: { CLAUDE_CONFIG_DIR: LOGS }, home: '/nonexistent' });
    const events: UnpricedEvent[] = [];
    for (const path of files) {
      const p = claudeCodeSource.open(
        { path, ingestedAt: 0 },
        { event: (e) => events.push(e), skip: () => {} },
      );
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((t, i) => {
          p.line(t, i + 1);
        });
      p.end();
    }
    const pricer = createPricer(await loadBundledCatalog(), null);
    const s = await ledger();
    await s.append(events.map((e) => pricer.price(e)));
    const report = blocksJson(await ledgerBlocks(s, [], ALL_TIME, Date.UTC(2026, 11, 1) * 1000));
    const ccusage: CcusageBlock[] = JSON.parse(
      readFileSync(join(REPO, 'test/fixtures/ccusage/blocks.json'), 'utf8'),
    ).blocks;
    expect(
      report.blocks.map((b) => [
        b.start,
        b.end,
        b.calls,
        b.input_tokens,
        b.output_tokens,
        b.cache_write_tokens,
        b.cache_read_tokens,
        b.tokens,
        (Number(b.cost_usd) * 100).toFixed(0),
      ]),
    ).toEqual(
      ccusage.map((b) => [
        b.startTime,
        b.endTime,
        b.entries,
        b.tokenCounts.inputTokens,
        b.tokenCounts.outputTokens,
        b.tokenCounts.cacheCreationInputTokens,
        b.tokenCounts.cacheReadInputTokens,
        b.totalTokens,
        (b.costUSD * 100).toFixed(0),
      ]),
    );
    // A call's time is its response's first line; ccusage takes the line it keeps, the last (up to ~2 s later).
    report.blocks.forEach((b, i) => {
      const lag = Date.parse(ccusage[i]!.actualEndTime) - Date.parse(b.last_call);
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(2000);
    });
    expect(report.blocks.every((b) => !b.active && b.burn === null)).toBe(true);
  });
});

describe('ledgerBlocks', () => {
  const call = (n: number, ts: number, o = {}) => makeEvent(n, { ts, user: null, ...o });

  it('keeps a call at the very instant five hours after the window opened in that window, as ccusage does', async () => {
    const s = await ledger();
    await s.append([
      call(1, T + 10 * HOUR_US + 20 * MINUTE),
      call(2, T + 15 * HOUR_US), // 15:00:00.000000: five hours after 10:00, not more
      call(3, T + 15 * HOUR_US + 30 * MINUTE),
    ]);
    const { blocks } = await ledgerBlocks(s, [], ALL_TIME, T + 48 * HOUR_US);
    expect(blocks.map((b) => [(b.start - T) / HOUR_US, b.calls, (b.last_call - T) / MINUTE])).toEqual([
      [10, 2, 15 * 60],
      [15, 1, 15 * 60 + 30],
    ]);
  });

  it("gives the open window's pace from its first call to its last, and where it leads by the window's end", async () => {
    const s = await ledger();
    const calls = [
      call(1, T + 10 * HOUR_US + 20 * MINUTE),
      call(2, T + 11 * HOUR_US),
      call(3, T + 12 * HOUR_US + 20 * MINUTE),
      call(4, T + 2 * HOUR_US, { agent: null }), // an API call: in no window
    ];
    await s.append(calls);
    const now = T + 13 * HOUR_US + 20 * MINUTE;
    const report = await ledgerBlocks(s, [], ALL_TIME, now);
    expect(report.without_agent).toBe(1);
    const [open] = report.blocks;
    const cost = calls.slice(0, 3).reduce((sum, e) => sum + e.cost_usd!, 0n);
    const tokens = calls
      .slice(0, 3)
      .reduce((n, e) => n + e.input_tokens + e.cache_read_tokens + e.output_tokens, 0);
    expect(open).toMatchObject({ start: T + 10 * HOUR_US, active: true, calls: 3, cost_usd: cost });
    // 120 minutes from the first call to the last; 100 minutes from now to 15:00.
    expect(open!.burn).toEqual({
      tokens_per_minute: tokens / 120,
      cost_per_hour_usd: cost / 2n,
      projected_tokens: Math.round(tokens + (tokens * 100) / 120),
      projected_cost_usd: cost + (cost * 100n) / 120n,
    });
    // Five hours after the last call the window is closed, though its end has not come.
    const later = await ledgerBlocks(s, [], ALL_TIME, T + 17 * HOUR_US + 21 * MINUTE);
    expect(later.blocks[0]).toMatchObject({ active: false, burn: null });
  });

  it("are one person's: several people's calls need --where user=", async () => {
    const s = await ledger();
    await s.append([call(1, T, { user: 'ada' }), call(2, T, { user: 'bo' })]);
    await expect(ledgerBlocks(s, [], ALL_TIME, T)).rejects.toMatchObject({
      code: 'BLOCKS_SEVERAL_PEOPLE',
      message: expect.stringMatching(/2 people .*--where user=NAME/),
    });
    const ada = await ledgerBlocks(s, [{ dimension: 'user', values: ['ada'] }], ALL_TIME, T);
    expect([ada.user, ada.blocks.length, ada.blocks[0]!.calls]).toEqual(['ada', 1, 1]);
  });
});

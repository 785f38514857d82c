import { describe, expect, it } from 'vitest';
import { BLOCK_US, type BlockUsage, blocksOf, burnOf, HOUR_US, type HourRow, NO_USAGE } from './blocks.js';

const T = Date.UTC(2026, 2, 1) * 1000; // 2026-03-01 00:00 UTC
const usage = (calls: number, cost = 1_000_000n * BigInt(calls)): BlockUsage => ({
  ...NO_USAGE,
  calls,
  input_tokens: 100 * calls,
  output_tokens: 10 * calls,
  cost_usd: cost,
});
const row = (hour: number, calls: number, model = 'claude-sonnet-4-5', agent = 'claude-code'): HourRow => ({
  agent,
  hour: T + hour * HOUR_US,
  model,
  usage: usage(calls),
});
const none = () => [];

describe('blocksOf', () => {
  it('opens a window at the hour of a first call and keeps every call of the next four hours in it', () => {
    const blocks = blocksOf([row(9, 2), row(11, 1), row(13, 4), row(15, 1), row(22, 3)], none);
    expect(blocks.map((b) => [(b.start - T) / HOUR_US, (b.end - T) / HOUR_US, b.calls])).toEqual([
      [9, 14, 7],
      [15, 20, 1],
      [22, 27, 3],
    ]);
  });

  it('keeps the calls at the very instant five hours after a window opened in that window', () => {
    const rows = [row(9, 2), row(14, 3), row(15, 1)];
    const asked: number[] = [];
    // Of hour 14's three calls, one was at 14:00:00.000000 exactly: "more than five hours" opens the next window.
    const at14 = (agent: string, hour: number) => {
      asked.push((hour - T) / HOUR_US);
      return hour === T + 14 * HOUR_US && agent === 'claude-code' ? [row(14, 1)] : [];
    };
    const blocks = blocksOf(rows, at14);
    expect(asked).toEqual([14]);
    expect(blocks.map((b) => [(b.start - T) / HOUR_US, b.calls])).toEqual([
      [9, 3],
      [14, 3],
    ]);
    // All of hour 14's calls at that instant: the next window opens at the next hour with calls.
    const all = blocksOf(rows, (_, hour) => (hour === T + 14 * HOUR_US ? [row(14, 3)] : []));
    expect(all.map((b) => [(b.start - T) / HOUR_US, b.calls])).toEqual([
      [9, 5],
      [15, 1],
    ]);
  });

  it("keeps each agent's windows apart, and names a window's models by what they cost there, most first", () => {
    const blocks = blocksOf(
      [
        { ...row(9, 1, 'claude-haiku-4-5'), usage: usage(1, 5n) },
        { ...row(10, 1, 'claude-opus-4-6'), usage: usage(1, 50n) },
        row(10, 1, 'gpt-5', 'codex'),
      ],
      none,
    );
    expect(blocks.map((b) => [b.agent, (b.start - T) / HOUR_US, b.models, b.cost_usd])).toEqual([
      ['claude-code', 9, ['claude-opus-4-6', 'claude-haiku-4-5'], 55n],
      ['codex', 10, ['gpt-5'], 1_000_000n],
    ]);
  });
});

describe('burnOf', () => {
  const [block] = blocksOf([row(10, 4)], none);

  it('reads the pace from the first call to the last, and projects it from now to the window end, exactly', () => {
    const first = T + 10 * HOUR_US + 20 * 60_000_000;
    const last = first + 2 * HOUR_US;
    const now = last + HOUR_US; // 13:20; the window ends at 15:00, 100 minutes on
    const burn = burnOf(block!, first, last, now)!;
    // 440 tokens and 4,000,000 pico-dollars in 120 minutes.
    expect(burn.tokens_per_minute).toBeCloseTo(440 / 120, 12);
    expect(burn.cost_per_hour_usd).toBe(2_000_000n);
    expect(burn.projected_tokens).toBe(Math.round(440 + (440 * 100) / 120));
    expect(burn.projected_cost_usd).toBe(4_000_000n + (4_000_000n * 100n) / 120n);
    expect(block!.end - block!.start).toBe(BLOCK_US);
  });

  it('has no pace for calls that span no time, and projects nothing past the end', () => {
    expect(burnOf(block!, T, T, T)).toBeNull();
    const late = burnOf(block!, T + 10 * HOUR_US, T + 11 * HOUR_US, T + 16 * HOUR_US)!;
    expect([late.projected_tokens, late.projected_cost_usd]).toEqual([440, 4_000_000n]);
  });
});

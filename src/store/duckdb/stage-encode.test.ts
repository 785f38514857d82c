import { describe, expect, it } from 'vitest';
import { makeEvent, randomEvents } from '../testing/event-factory.js';
import { RateCardRegistry } from './rate-cards.js';
import { CONTEXT_STAGED, stagedColumns } from './stage-columns.js';
import { encodeBatch, PairIds } from './stage-encode.js';

describe('encodeBatch', () => {
  it('numbers contexts as distinct context values in order of first appearance', () => {
    const events = randomEvents(2000, 5);
    const b = encodeBatch(events, new RateCardRegistry());
    const ctx = b.arrays.get('ctx') as Int32Array;
    // The naive numbering: one string key per event from the staged context values.
    const codes = CONTEXT_STAGED.map((c) => b.arrays.get(c.name) as Int32Array);
    const seen = new Map<string, number>();
    const expected = events.map((_, i) => {
      const key = codes.map((a) => a[i]).join(',');
      if (!seen.has(key)) seen.set(key, seen.size + 1);
      return seen.get(key)!;
    });
    expect([...ctx]).toEqual(expected);
    expect(b.contexts).toBe(seen.size);
    expect(seen.size).toBeGreaterThan(10);
  });

  it('binds columns constant over the batch instead of staging them, and decodes codes to the values', () => {
    const events = [
      makeEvent(1, { org: 'acme', team: 'a', task_id: null }),
      makeEvent(2, { org: 'acme', team: 'b', task_id: null }),
    ];
    const b = encodeBatch(events, new RateCardRegistry());
    expect(b.constants.get('org')).toBe('acme');
    expect(b.constants.get('task_id')).toBeNull();
    expect(b.constants.has('team')).toBe(false);
    const staged = stagedColumns(b.constants).map((c) => c.name);
    expect(staged).toContain('team');
    expect(staged).not.toContain('org');
    const team = b.arrays.get('team') as Int32Array;
    expect([...team].map((c) => b.strings[c - 1])).toEqual(['a', 'b']);
  });

  it('writes token counts up to 2^53 - 1 exactly, without BigInt per value', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const events = [
      makeEvent(1, { input_tokens: big, cache_read_tokens: 2 ** 32, output_tokens: 2 ** 32 - 1 }),
      makeEvent(2, { input_tokens: 0 }),
    ];
    const b = encodeBatch(events, new RateCardRegistry());
    expect([...(b.arrays.get('input_tokens') as BigInt64Array)]).toEqual([BigInt(big), 0n]);
    expect((b.arrays.get('cache_read_tokens') as BigInt64Array)[0]).toBe(2n ** 32n);
    expect((b.arrays.get('output_tokens') as BigInt64Array)[0]).toBe(2n ** 32n - 1n);
  });

  it('reports the UTC days the events fall in', () => {
    const day = 86_400_000_000;
    const t = Date.UTC(2026, 0, 5) * 1000;
    const events = [
      makeEvent(1, { ts: t + 5 }),
      makeEvent(2, { ts: t + day + 7 }),
      makeEvent(3, { ts: t + 9 }),
    ];
    expect(encodeBatch(events, new RateCardRegistry()).days).toEqual([t, t + day]);
  });

  it('numbers pairs in order of first appearance, as a Map on the pair would, through collisions and clears', () => {
    const pairs = new PairIds(40_000);
    for (const round of [0, 1]) {
      pairs.clear();
      const ref = new Map<string, number>();
      let x = 99 + round;
      for (let i = 0; i < 40_000; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        // Few first values and many second ones, both large and small: the shapes context numbering sees.
        const a = (x >>> 8) % 13;
        const b = i % 3 === 0 ? (x >>> 4) % 5000 : 2_000_000_000 - (x % 50_000);
        const key = `${a},${b}`;
        if (!ref.has(key)) ref.set(key, ref.size);
        expect(pairs.idOf(a, b)).toBe(ref.get(key));
      }
      expect(pairs.size).toBe(ref.size);
    }
  });
});

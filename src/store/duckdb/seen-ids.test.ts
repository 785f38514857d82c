import { describe, expect, it } from 'vitest';
import { DAY, randomEvents } from '../testing/event-factory.js';
import { freshLedgerPath } from '../testing/ledger-file.js';
import { createDuckDbStore } from './duckdb-store.js';
import { RateCardRegistry } from './rate-cards.js';
import { SeenIds, WriterDedup } from './seen-ids.js';
import { encodeBatch } from './stage-encode.js';

/** 32-bit halves of pseudo-random ids (xorshift), as event ids are hashes. */
function* ids(seed: number, n: number): Generator<[number, number]> {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < n; i++) yield [next(), next()];
}

describe('seen ids', () => {
  it('never says no to an id it was given, across the filters it grows into', () => {
    const seen = new SeenIds(1 << 6);
    const given = [...ids(7, 50_000)];
    for (const [hi, lo] of given) seen.add(hi, lo);
    expect(given.filter(([hi, lo]) => !seen.mayHave(hi, lo))).toEqual([]);
  });

  it('says maybe to almost no id it was not given (none in 10^6 measured at its sizing)', () => {
    const seen = new SeenIds(1 << 10);
    for (const [hi, lo] of ids(11, 200_000)) seen.add(hi, lo);
    let maybes = 0;
    for (const [hi, lo] of ids(12345, 1_000_000)) if (seen.mayHave(hi, lo)) maybes++;
    expect(maybes).toBeLessThan(5);
  });

  it('tells apart ids that share a half', () => {
    const seen = new SeenIds(1 << 5);
    seen.add(1, 42);
    seen.add(42, 1);
    let maybes = 0;
    for (let i = 2; i < 10_000; i++) if (seen.mayHave(i, 42) || seen.mayHave(42, i)) maybes++;
    expect(maybes).toBeLessThan(20);
  });
});

describe('a long-running writer deduplicating with its last generations of ids', () => {
  it('still finds every event it stored once it has forgotten the old ids, and lets newer events skip the scan', () => {
    const rates = new RateCardRegistry();
    // A day of events per batch, each batch a day later than the one before; generations of ~3 batches.
    const batches = Array.from({ length: 20 }, (_, i) =>
      encodeBatch(
        randomEvents(50, 100 + i, 1).map((e) => ({ ...e, ts: e.ts + i * DAY })),
        rates,
      ),
    );
    const dedup = new WriterDedup(120);
    for (const b of batches) dedup.remember(b);
    // Every row of every batch it took may repeat a stored event: the whole batch is looked up.
    for (const b of batches) expect(dedup.candidates(b)).toEqual([b.minTs, b.maxTs]);
    // Events later than all of it, with ids it never saw: nothing to look up (a Bloom filter's rare false maybe
    // aside: none here at this size).
    const later = encodeBatch(
      randomEvents(200, 999, 1).map((e) => ({ ...e, ts: e.ts + 30 * DAY })),
      rates,
    );
    expect(dedup.candidates(later)).toBeNull();
    // An event from the time of a forgotten generation, with an id it never saw, is looked up (its time is inside
    // the range those generations folded into), never passed over.
    const old = encodeBatch(
      randomEvents(1, 998, 1).map((e) => ({ ...e, ts: e.ts + 2 * DAY })),
      rates,
    );
    expect(dedup.candidates(old)).toEqual([old.minTs, old.maxTs]);
  });
});

describe('a bulk writer (deferred rollups) deduplicating with the ids it stored', () => {
  it('finds repeats of what it stored and of what the ledger held before it, and nothing else', async () => {
    const path = freshLedgerPath('tl-bulk-');
    const [old, mine, later] = [randomEvents(300, 1), randomEvents(300, 2, 40), randomEvents(300, 3, 40)];
    const before = await createDuckDbStore(path);
    await before.append(old);
    await before.close();
    const bulk = await createDuckDbStore(path, { deferRollups: true });
    expect(await bulk.append(mine)).toMatchObject({ inserted: 300, duplicates: 0 });
    // Repeats of events stored before it opened (their days are the old ones) and of its own (days 10-40), new
    // events over both ranges, and an id it stored at another time, which is another event.
    const moved = { ...mine[0]!, ts: mine[0]!.ts + 1 };
    const mixed = [...old.slice(0, 50), ...mine.slice(100, 180), ...later, moved];
    expect(await bulk.append(mixed)).toMatchObject({ inserted: 301, duplicates: 130 });
    expect(await bulk.append(mixed)).toMatchObject({ inserted: 0, duplicates: 431 });
    expect(await bulk.count()).toBe(901);
    await bulk.close();
  });
});

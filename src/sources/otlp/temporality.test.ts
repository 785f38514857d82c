import { describe, expect, it } from 'vitest';
import { type SeriesPoint, TemporalityState } from './temporality.js';

describe('TemporalityState', () => {
  it('differences a cumulative series and treats a restart as new use, never negative', () => {
    const s = new TemporalityState(1000);
    expect(s.next('k', true, 2000, 3000, 100)).toEqual({ from: 2000, to: 3000, value: 100, base: 0 });
    expect(s.next('k', true, 2000, 4000, 150)).toEqual({ from: 3000, to: 4000, value: 50, base: 100 });
    // A retry of the same export: the same window again, which its event id makes one event in the ledger.
    expect(s.next('k', true, 2000, 4000, 150)).toEqual({ from: 3000, to: 4000, value: 50, base: 100 });
    expect(s.next('k', true, 2000, 3500, 120)).toBeNull(); // older than the last point: stale
    expect(s.next('k', true, 5000, 6000, 30)).toEqual({ from: 5000, to: 6000, value: 30, base: 0 }); // process restarted
    expect(s.next('k', true, 5000, 7000, 20)).toEqual({ from: 5000, to: 7000, value: 20, base: 0 }); // value fell: reset
  });

  // A sender that switches a series to delta and back without restarting (a Collector's cumulativetodelta put in
  // front of it, then taken out): its next cumulative total still holds the use its delta points reported.
  it('measures a cumulative point after delta points of its series from where those deltas took it', () => {
    const s = new TemporalityState(1000);
    expect(s.next('k', true, 2000, 3000, 100)).toMatchObject({ value: 100 });
    expect(s.next('k', true, 2000, 4000, 150)).toMatchObject({ value: 50 });
    expect(s.next('k', false, 4000, 5000, 30)).toEqual({ from: 4000, to: 5000, value: 30, base: 0 });
    expect(s.next('k', false, 5000, 6000, 20)).toEqual({ from: 5000, to: 6000, value: 20, base: 0 });
    // A retry of the last delta export: the same window, which does not move the series again.
    expect(s.next('k', false, 5000, 6000, 20)).toEqual({ from: 5000, to: 6000, value: 20, base: 0 });
    expect(s.next('k', true, 2000, 7000, 230)).toEqual({ from: 6000, to: 7000, value: 30, base: 200 });
  });

  it('adds a delta cost to a cumulative cost series as the decimals they spell', () => {
    const s = new TemporalityState(1000);
    s.next('cost', true, 2000, 3000, 9264.2287);
    s.next('cost', false, 3000, 4000, 0.00387797);
    // 9264.2287 + 0.00387797 is 9264.232577970001 in binary.
    expect(s.next('cost', true, 2000, 5000, 9264.24)).toMatchObject({ from: 4000, base: 9264.23257797 });
  });

  it('takes a series that began before this server only as a baseline', () => {
    const s = new TemporalityState(10_000);
    expect(s.next('k', true, 2000, 11_000, 500)).toBeNull();
    expect(s.next('k', true, 2000, 12_000, 520)).toEqual({ from: 11_000, to: 12_000, value: 20, base: 500 });
  });

  it('skips a point whose value was not reported (NaN): the next window is measured from the last one that was', () => {
    const s = new TemporalityState(1000);
    expect(s.next('k', true, 2000, 3000, 100)).toMatchObject({ from: 2000, to: 3000, value: 100 });
    expect(s.next('k', true, 2000, 4000, Number.NaN)).toBeNull();
    expect(s.next('k', true, 2000, 5000, 130)).toMatchObject({ from: 3000, to: 5000, value: 30 });
  });

  // The write-ahead log refused the export of a point (503): the series goes back to where it was, so the next point
  // counts the refused window when the exporter drops that export, and the same window when it sends it again.
  it('takes back a point whose export was refused, unless a later point or a retry of it has used it since', () => {
    const moves: [string, SeriesPoint | null, SeriesPoint | undefined][] = [];
    const s = new TemporalityState(1000, undefined, [], (k, p, before) => moves.push([k, p, before]));
    s.next('k', true, 2000, 3000, 100);
    s.next('k', true, 2000, 4000, 150);
    const [, p2, p1] = moves[1]!;
    s.undo('k', p2!, p1);
    expect(moves.at(-1)).toEqual(['k', p1, p2]);
    expect(s.next('k', true, 2000, 5000, 180)).toEqual({ from: 3000, to: 5000, value: 80, base: 100 });

    const [, p3, before3] = moves.at(-1)!;
    s.next('k', true, 2000, 5000, 180); // a retry of the same export, which the log took
    s.undo('k', p3!, before3);
    expect(s.next('k', true, 2000, 6000, 200)).toEqual({ from: 5000, to: 6000, value: 20, base: 180 });

    const [, p4, before4] = moves.at(-1)!;
    s.next('k', true, 2000, 7000, 230);
    s.undo('k', p4!, before4);
    expect(s.next('k', true, 2000, 8000, 260)).toEqual({ from: 7000, to: 8000, value: 30, base: 230 });

    // A first point taken back: the series is new again, and its next point counted whole.
    s.next('j', true, 2000, 3000, 40);
    s.undo('j', moves.at(-1)![1]!, undefined);
    expect(moves.at(-1)).toEqual(['j', null, expect.objectContaining({ value: 40 })]);
    expect(s.next('j', true, 2000, 4000, 70)).toEqual({ from: 2000, to: 4000, value: 70, base: 0 });
  });

  it('goes back past a refused point a later one stood on when that later one is refused too', () => {
    const moves: [string, SeriesPoint | null, SeriesPoint | undefined][] = [];
    const s = new TemporalityState(1000, undefined, [], (k, p, before) => moves.push([k, p, before]));
    s.next('k', true, 2000, 3000, 100);
    s.next('k', true, 2000, 4000, 250); // export A
    const [, a, beforeA] = moves.at(-1)!;
    s.next('k', true, 2000, 5000, 400); // export C, measured from A's point before A's refusal was known
    const [, c, beforeC] = moves.at(-1)!;
    s.undo('k', a!, beforeA); // C stands on it: nothing yet
    s.undo('k', c!, beforeC);
    expect(moves.at(-1)).toEqual(['k', expect.objectContaining({ value: 100 }), c]);
    expect(s.next('k', true, 2000, 6000, 500)).toEqual({ from: 3000, to: 6000, value: 400, base: 100 });
  });

  it('gives a refused point a later logged one was measured from its window again when it is sent again', () => {
    const moves: [string, SeriesPoint | null, SeriesPoint | undefined][] = [];
    const s = new TemporalityState(1000, undefined, [], (k, p, before) => moves.push([k, p, before]));
    s.next('k', true, 2000, 3000, 100);
    const a = s.next('k', true, 2000, 4000, 250); // export A, refused
    const [, pa, beforeA] = moves.at(-1)!;
    s.next('k', true, 2000, 5000, 400); // export C, measured from A's point, logged
    s.undo('k', pa!, beforeA);
    expect(a).toEqual({ from: 3000, to: 4000, value: 150, base: 100 });
    expect(s.next('k', true, 2000, 4000, 250)).toEqual(a); // A sent again: its own window, not stale
    expect(s.next('k', true, 2000, 3500, 180)).toBeNull(); // a point never sent before is still stale
    expect(s.next('k', true, 2000, 6000, 500)).toEqual({ from: 5000, to: 6000, value: 100, base: 400 });
  });

  it('does not give that window again once the series went back before the refused point', () => {
    const moves: [string, SeriesPoint | null, SeriesPoint | undefined][] = [];
    const s = new TemporalityState(1000, undefined, [], (k, p, before) => moves.push([k, p, before]));
    s.next('k', true, 2000, 3000, 100);
    s.next('k', true, 2000, 4000, 250); // export A
    const [, pa, beforeA] = moves.at(-1)!;
    s.next('k', true, 2000, 5000, 400); // export C
    const [, pc, beforeC] = moves.at(-1)!;
    s.undo('k', pa!, beforeA);
    s.undo('k', pc!, beforeC); // both refused and dropped
    expect(s.next('k', true, 2000, 6000, 500)).toEqual({ from: 3000, to: 6000, value: 400, base: 100 });
    // A, late: its use is in the window just given.
    expect(s.next('k', true, 2000, 4000, 250)).toBeNull();
  });

  it('takes a series it forgot to stay within its bound as a baseline when it comes back', () => {
    const since: number[] = [];
    const s = new TemporalityState(1000, 2, [], undefined, (t) => since.push(t));
    s.next('a', true, 2000, 3000, 100);
    s.next('b', true, 2500, 3000, 100);
    s.next('c', true, 2200, 3000, 100); // 'a' forgotten: series that began at or before its start are baselines now
    expect(since).toEqual([2001]);
    expect(s.next('a', true, 2000, 4000, 150)).toBeNull(); // and 'b' forgotten
    expect(since).toEqual([2001, 2501]);
    expect(s.next('d', true, 2600, 4000, 40)).toEqual({ from: 2600, to: 4000, value: 40, base: 0 });
    expect(since).toEqual([2001, 2501]); // 'c', forgotten for it, began before: a baseline anyway
  });

  // A refused export's new series made room by forgetting the least recently seen one: taking the new one back must
  // bring the forgotten one back as it was, or its next point is a baseline and the use since its last point is lost.
  it('brings back the series a refused new series pushed out of its bound, and the since that moved for it', () => {
    const moves: [string, SeriesPoint | null, SeriesPoint | undefined][] = [];
    const since: number[] = [];
    const s = new TemporalityState(
      1000,
      2,
      [],
      (k, p, before) => moves.push([k, p, before]),
      (t) => since.push(t),
    );
    s.next('a', true, 2000, 3000, 100);
    s.next('b', true, 2500, 3000, 100);
    s.next('c', true, 2200, 3000, 100); // export C: 'a' forgotten to make room
    const [, c] = moves.at(-1)!;
    expect(since).toEqual([2001]);
    s.undo('c', c!, undefined); // C refused, and its exporter drops it
    expect(moves.at(-1)).toEqual(['a', expect.objectContaining({ time: 3000, value: 100 }), undefined]);
    expect(since).toEqual([2001, 1000]);
    expect(s.size).toBe(2);
    expect(s.next('a', true, 2000, 4000, 150)).toEqual({ from: 3000, to: 4000, value: 50, base: 100 });
    // 'b' was not forgotten for 'a' coming back: it is still measured from its last point.
    expect(s.next('b', true, 2500, 4000, 130)).toEqual({ from: 3000, to: 4000, value: 30, base: 100 });
  });

  it('brings back the forgotten series when a refused first point is undone through a later refused point', () => {
    const moves: [string, SeriesPoint | null, SeriesPoint | undefined][] = [];
    const s = new TemporalityState(1000, 2, [], (k, p, before) => moves.push([k, p, before]));
    s.next('a', true, 2000, 3000, 100);
    s.next('b', true, 2500, 3000, 100);
    s.next('c', true, 2200, 3000, 100); // export C: 'a' forgotten
    const [, c] = moves.at(-1)!;
    s.next('c', true, 2200, 4000, 160); // export D, measured from C's point
    const [, d, beforeD] = moves.at(-1)!;
    s.undo('c', c!, undefined); // D stands on it: nothing yet
    s.undo('c', d!, beforeD); // both refused: 'c' was never logged
    expect(s.next('a', true, 2000, 4000, 150)).toEqual({ from: 3000, to: 4000, value: 50, base: 100 });
  });

  it('passes delta points through', () => {
    const s = new TemporalityState(0);
    expect(s.next('k', false, 1, 2, 7)).toEqual({ from: 1, to: 2, value: 7, base: 0 });
    expect(s.next('k', false, 2, 3, 0)).toBeNull();
  });
});

import { formatUsd, parseUsd } from '../../money/money.js';

/** A window of a counter: what it added between two instants (epoch µs). */
export interface Delta {
  from: number;
  to: number;
  /** The point's value less `base`, as a binary float: exact for whole token counts, not for money. */
  value: number;
  /**
   * The counter's value the window starts from: the last point's for a cumulative series that goes on; 0 when the
   * point's whole value is new use (delta temporality, a series' first point, a reset). Money differences the point
   * and this as decimals (metrics.ts).
   */
  base: number;
}

/** A cumulative series' last point: what a restart must not forget of it (ingest-journal.ts). */
export interface SeriesPoint {
  start: number;
  time: number;
  value: number;
  /** What the point added: given again for the same point (a retry). */
  delta: Delta | null;
}

/**
 * Turns counter data points into per-window increments, for both OTLP temporalities.
 *
 * Delta points are increments already. A cumulative series is remembered by key (resource, metric, attributes): the
 * increment is the value minus the last one seen; the last point again is a retry, which gives the same window
 * again (the same event id, so the ledger holds it once, also when the first attempt was answered 503 and never
 * logged); a point before the last time is stale (nothing added), unless it is the refused point a later one was
 * measured from (undo); a new start time or a smaller value is a reset (the process restarted), so the whole value
 * is new use, never negative use. The first point of a series is counted
 * in full when the series started at or after `since`, the time from which every series seen is remembered (the
 * server's start, or the start of the journal it goes on from); a series that started earlier was possibly counted by
 * a run that no longer remembers it, so its first point is only a baseline (docs/otel/README.md), unless the series is
 * among the points a journal kept across the restart (`remembered`): then it goes on from its last point exactly. A
 * series forgotten to stay within `capacity` moves `since` past its start, so that it is a baseline if it comes back.
 */
export class TemporalityState {
  private readonly last = new Map<string, SeriesPoint>();
  /**
   * Points whose undo came while a later point stood on them (undo), with the point each was set over: an undo of
   * that later one goes back past them, as the log never took their windows either.
   */
  private readonly refused = new WeakMap<SeriesPoint, SeriesPoint | undefined>();
  /**
   * By series, the last of those points: the later point's window starts at it, so its own window is in the ledger
   * only if its sender sends it again, which must then not be stale.
   */
  private readonly underneath = new Map<string, SeriesPoint>();
  /**
   * By a series' first point, the series it pushed out of the bound: an undo of that point brings it back, as the
   * export that made room was never logged (else the forgotten series' next point is a baseline, its use lost).
   */
  private readonly pushedOut = new WeakMap<SeriesPoint, PushedOut>();

  /**
   * @param since epoch µs from which a cumulative series is new to this ledger (server start, or a journal's).
   * @param remembered the series' last points from before a restart, least recently seen first.
   * @param onPoint told each point remembered, with the one it replaced (for a journal to keep, and for `undo`), and
   *   each series forgotten by an undo (`point` null).
   */
  constructor(
    private since: number,
    private readonly capacity = 200_000,
    remembered: Iterable<[string, SeriesPoint]> = [],
    private readonly onPoint?: (
      key: string,
      point: SeriesPoint | null,
      before: SeriesPoint | undefined,
    ) => void,
    /** Told each new `since` (a series forgotten to stay within `capacity`), for a journal to keep. */
    private readonly onSince?: (since: number) => void,
  ) {
    for (const [key, point] of remembered) this.keep(key, point);
  }

  /** `cumulative` false means delta temporality. Null when the point adds nothing. */
  next(key: string, cumulative: boolean, start: number | null, time: number, value: number): Delta | null {
    if (!cumulative) {
      const d = value > 0 ? { from: start ?? time, to: time, value, base: 0 } : null;
      if (d !== null) this.carry(key, d);
      return d;
    }
    // A value not reported (the SDKs' NaN): the series goes on from its last reported point, which a NaN kept as
    // the last would have made every later difference NaN, so the next window lost too.
    if (!Number.isFinite(value)) return null;
    const s = start ?? 0;
    const prev = this.last.get(key);
    if (prev !== undefined && time <= prev.time) {
      if (time !== prev.time || s !== prev.start || value !== prev.value) {
        // A refused point a later one was measured from, sent again: its window, as at its first attempt (the same
        // event id). The series stays at the later point.
        const u = this.underneath.get(key);
        return u !== undefined && time === u.time && s === u.start && value === u.value ? u.delta : null;
      }
      // A retry: this export now rests on the point too, so an undo of the export that set it must not take it
      // back from under this one. A copy of it makes it this export's (undo compares by identity).
      this.remember(key, { ...prev }, prev);
      return prev.delta;
    }
    const delta = this.delta(prev, start, s, time, value);
    this.remember(key, { start: s, time, value, delta }, prev);
    return delta;
  }

  /**
   * A delta window of a series that has a cumulative point (its sender switched temporality without restarting: a
   * Collector's cumulativetodelta put in front of it): the series moves on by it, so the next cumulative total, which
   * still holds this use, counts only the use after it; measured from the last cumulative point, the deltas' use would
   * count twice. A window that ends no later than the point (a retry, a stale one) is in it already. Told to onPoint
   * as any point is, so a refused export of the delta takes the move back too.
   */
  private carry(key: string, d: Delta): void {
    const prev = this.last.get(key);
    if (prev === undefined || d.to <= prev.time) return;
    this.remember(
      key,
      { start: prev.start, time: d.to, value: addExact(prev.value, d.value), delta: null },
      prev,
    );
  }

  /**
   * Takes back `point`, which `next` remembered over `before` for an export the write-ahead log then refused: the
   * series goes back to `before` (or to not seen), so the next point is measured from the last one whose window
   * was recorded. Otherwise an exporter that drops the refused export (they give up after a few retries) would have
   * that window lost; one that sends it again gets the same window again. Nothing when a later point, or a retry
   * of this one, has used the series since; if that one's export is refused in turn, its undo goes back past this
   * point too, to the last one whose window the log may hold. Until then this point, the series' last such, counts
   * as a retry if sent again (its window, which the later one's does not cover); dropped, that window is lost.
   */
  undo(key: string, point: SeriesPoint, before: SeriesPoint | undefined): void {
    if (this.last.get(key) !== point) {
      this.refused.set(point, before);
      this.underneath.set(key, point);
      return;
    }
    let first = point;
    while (before !== undefined && this.refused.has(before)) {
      // The series goes back before it: a resend of it is measured afresh, and its window must not be given twice.
      if (this.underneath.get(key) === before) this.underneath.delete(key);
      first = before;
      before = this.refused.get(before);
    }
    if (before !== undefined) {
      this.remember(key, before, point);
      return;
    }
    this.last.delete(key);
    this.onPoint?.(key, null, point);
    this.bringBack(first);
  }

  /** Puts back, least recently seen as it was, the series `first` pushed out of the bound, and the since it moved. */
  private bringBack(first: SeriesPoint): void {
    const out = this.pushedOut.get(first);
    // Seen again since (a fresh first point): that one stands.
    if (out === undefined || this.last.has(out.key)) return;
    const rest = [...this.last];
    this.last.clear();
    this.last.set(out.key, out.point);
    for (const [k, p] of rest) this.last.set(k, p);
    if (out.underneath !== undefined && !this.underneath.has(out.key))
      this.underneath.set(out.key, out.underneath);
    this.onPoint?.(out.key, out.point, undefined);
    // Unless a later series forgotten moved it on again: series that began since are new to the ledger again.
    if (out.movedSince !== null && this.since === out.movedSince.to) {
      this.since = out.movedSince.from;
      this.onSince?.(this.since);
    }
  }

  /**
   * `point`, or the point before it past those an undo took back while a later point stood on them: the last point
   * up to which the log may hold the series' windows (a compaction writes that one, not a refused one).
   */
  logged(point: SeriesPoint | undefined): SeriesPoint | undefined {
    while (point !== undefined && this.refused.has(point)) point = this.refused.get(point);
    return point;
  }

  private delta(prev: SeriesPoint | undefined, start: number | null, s: number, time: number, value: number) {
    if (prev === undefined) {
      if (start === null || start < this.since) return null;
      return value > 0 ? { from: s, to: time, value, base: 0 } : null;
    }
    if (s !== prev.start || value < prev.value)
      return value > 0 ? { from: s, to: time, value, base: 0 } : null;
    const d = value - prev.value;
    return d > 0 ? { from: prev.time, to: time, value: d, base: prev.value } : null;
  }

  /** Epoch µs from which a cumulative series is new: one that started before it begins as a baseline. */
  get newFrom(): number {
    return this.since;
  }

  get size(): number {
    return this.last.size;
  }

  /** A series' last point, or undefined when it is not remembered. */
  point(key: string): SeriesPoint | undefined {
    return this.last.get(key);
  }

  /** Every series' last point, least recently seen first. */
  points(): IterableIterator<[string, SeriesPoint]> {
    return this.last.entries();
  }

  private remember(key: string, l: SeriesPoint, before: SeriesPoint | undefined): void {
    this.keep(key, l);
    this.onPoint?.(key, l, before);
  }

  private keep(key: string, l: SeriesPoint): void {
    this.last.delete(key);
    this.last.set(key, l);
    if (this.last.size <= this.capacity) return;
    const [oldest, forgotten] = this.last.entries().next().value!;
    const out: PushedOut = {
      key: oldest,
      point: forgotten,
      underneath: this.underneath.get(oldest),
      movedSince: null,
    };
    this.pushedOut.set(l, out);
    this.last.delete(oldest);
    this.underneath.delete(oldest);
    if (forgotten.start < this.since) return;
    out.movedSince = { from: this.since, to: forgotten.start + 1 };
    this.since = forgotten.start + 1;
    this.onSince?.(this.since);
  }
}

/**
 * a + b, exact for what the counters hold: whole token counts as numbers; anything else (a cost series' dollars) as the
 * decimals the two spell, added as pico-dollars, so the sum is the decimal a cumulative point of that total would
 * spell (9264.2287 + 0.00387797 is 9264.23257797, not the binary 9264.232577970001).
 */
function addExact(a: number, b: number): number {
  // A fractional double is below 2^53, well within the 38 digits money has.
  if (Number.isInteger(a) && Number.isInteger(b)) return a + b;
  return Number(formatUsd(parseUsd(a) + parseUsd(b)));
}

/** A series forgotten to stay within the bound, as it was, for an undo of the point that pushed it out. */
interface PushedOut {
  key: string;
  point: SeriesPoint;
  underneath: SeriesPoint | undefined;
  /** The move of `since` its forgetting made, if it made one. */
  movedSince: { from: number; to: number } | null;
}

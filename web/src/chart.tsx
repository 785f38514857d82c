import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Row } from './api';
import { ALL_OTHERS, dollars, groupLabel, sumDecimals, usd } from './format';

const short = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
/** Axis ticks only: "$1.2K"; values shown to people go through usd(). */
const axisUsd = (v: number) => `$${short.format(v)}`;

const PALETTE = [
  '#2563eb',
  '#f59e0b',
  '#10b981',
  '#ef4444',
  '#8b5cf6',
  '#0ea5e9',
  '#ec4899',
  '#84cc16',
  '#64748b',
  '#14b8a6',
  '#a16207',
];

const DAY_S = 86_400;
const DAY_TICKS = [1, 2, 3, 4, 5, 7, 10, 14, 15, 30, 60, 91, 182, 365].map((n) => n * DAY_S);

/**
 * Names a bucket's start as the legend shows it, on the clocks of the zone its days are (null: UTC): its day
 * ("2026-11-05"), or day and hour ("2026-11-05 14:00 UTC", "2026-11-05 09:00 America/New_York").
 */
function bucketLabeller(bucket: 'hour' | 'day', zone: string | null): (epochSeconds: number) => string {
  const clock = new Intl.DateTimeFormat('en-US', {
    timeZone: zone ?? 'UTC',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return (epochSeconds) => {
    const p = Object.fromEntries(clock.formatToParts(epochSeconds * 1000).map((x) => [x.type, x.value]));
    const day = `${p.year}-${p.month}-${p.day}`;
    return bucket === 'day' ? day : `${day} ${p.hour}:${p.minute} ${zone ?? 'UTC'}`;
  };
}

/** A spend chart's name by its bucket: "Hourly spend", "Daily spend". */
export function spendPer(bucket: 'hour' | 'day'): string {
  return bucket === 'hour' ? 'Hourly spend' : 'Daily spend';
}

/**
 * Spend over time stacked by one dimension, as bars. uPlot does not stack, so each series holds the running sum of
 * the ones below it and the series are drawn tallest first; the tooltip legend shows each layer's own amount.
 */
export function StackedChart({
  rows,
  dim,
  bucket,
  zone,
  label,
}: {
  rows: Row[];
  dim: string | null;
  bucket: 'hour' | 'day';
  /** The zone whose days the buckets are (the API's `tz`), null for UTC's: the axis and legend follow it. */
  zone: string | null;
  label: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const buckets = [...new Set(rows.map((r) => String(r.bucket)))].sort();
    const keyOf = (r: Row) => (dim ? groupLabel(r, dim) : 'spend');
    const keys: string[] = [];
    const totals = new Map<string, number>();
    for (const r of rows) {
      const k = keyOf(r);
      if (!totals.has(k)) keys.push(k);
      totals.set(k, (totals.get(k) ?? 0) + dollars(r.cost_usd));
    }
    keys.sort((a, b) => (a === ALL_OTHERS ? 1 : b === ALL_OTHERS ? -1 : totals.get(b)! - totals.get(a)!));
    // Each layer's amounts per bucket as the API's decimal strings, for the legend (summed exactly), and as
    // numbers for the bars' heights.
    const amounts = keys.map(() => buckets.map((): string[] => []));
    const at = new Map(buckets.map((b, i) => [b, i]));
    for (const r of rows)
      amounts[keys.indexOf(keyOf(r))]![at.get(String(r.bucket))!]!.push(String(r.cost_usd));
    const own = amounts.map((layer) => layer.map((a) => a.reduce((s, x) => s + dollars(x), 0)));
    const stacked = own.map((_, i) =>
      buckets.map((_, j) => own.slice(0, i + 1).reduce((s, a) => s + a[j]!, 0)),
    );
    const xs = buckets.map((b) => Date.parse(b) / 1000);
    const order = keys.map((_, i) => i).reverse();
    const bars = uPlot.paths.bars!({ size: [0.7, 60] });
    const bucketLabel = bucketLabeller(bucket, zone);
    const halfBucket = (bucket === 'day' ? DAY_S : 3600) / 2;
    // The legend shows each layer's total over the range until the pointer is on a bar, then that bar's amounts.
    const opts: uPlot.Options = {
      width: host.clientWidth || 600,
      height: 280,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), zone ?? 'Etc/UTC'),
      // Half a bucket beyond the first and last: uPlot's range ends at the first and last bucket's start, which cut
      // those two bars in half.
      scales: { x: { time: true, range: (_u, min, max) => [min - halfBucket, max + halfBucket] } },
      // Daily bars get a tick per day or per few days, never "8am" and "4pm" between two bars.
      axes: [
        bucket === 'day' ? { incrs: DAY_TICKS } : {},
        { values: (_u, vals) => vals.map(axisUsd), size: 60 },
      ],
      legend: { show: true, live: true },
      series: [
        {
          label: bucket,
          value: (_u: uPlot, v: number | null, _s: number, idx: number | null) =>
            idx === null || v === null ? `all ${bucket}s` : bucketLabel(v),
        },
        ...order.map((i) => ({
          label: keys[i]!,
          fill: PALETTE[i % PALETTE.length]!,
          stroke: PALETTE[i % PALETTE.length]!,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
            usd(sumDecimals(idx === null ? amounts[i]!.flat() : amounts[i]![idx]!)),
        })),
      ],
    };
    const plot = new uPlot(opts, [xs, ...order.map((i) => stacked[i]!)], host);
    const resize = new ResizeObserver(() => plot.setSize({ width: host.clientWidth, height: 280 }));
    resize.observe(host);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [rows, dim, bucket, zone]);
  return <figure class="chart" ref={el} aria-label={label} role="img" />;
}

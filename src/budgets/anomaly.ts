import { TZDate } from '@date-fns/tz';
import { parseUsd } from '../money/money.js';
import { median, sortAmounts } from './forecast-quantile.js';

/** Spend of one scope value in one hour. */
export interface HourSpend {
  /** Epoch ms of the hour's start (an hour of the zone `tz`: UTC-aligned but in zones with a part-hour offset). */
  hour: number;
  /** The scope's value (e.g. the team), null when unset. */
  value: string | null;
  /** Pico-dollars. */
  spend: bigint;
}

export interface AnomalyOptions {
  /**
   * Robust z an hour must reach; default 8. Team-hour spend is heavy-tailed (one long agent session is a spike), so
   * the textbook 3.5 flags several hours a day; on the demo at 60 and 300 people, 8 with $20 leaves the incident's
   * hours plus 2 (60 people) or 4 (300 people) single-session spikes in 9 days.
   */
  threshold?: number;
  /**
   * USD an hour must cost to be flagged at all, so a $0.02 hour never pages anyone; default "20". Scale it with the
   * organisation: on the 60-person demo, ordinary team-hours reach ~$15 and the runaway loop ~$450.
   */
  minUsd?: string;
  /** Zone whose hour of day and weekends define the baseline slots; default UTC. */
  tz?: string;
}

export interface Anomaly {
  value: string | null;
  /** Epoch ms of the hour's start. */
  hour: number;
  spend: bigint;
  /** The baseline slot's median and MAD, pico-dollars. */
  median: bigint;
  mad: bigint;
  /** (spend − median) / (1.4826 · MAD); null when the baseline has no spread at all (every sample equal). */
  z: number | null;
  /** Baseline hours the slot was learnt from. */
  samples: number;
}

const ANOMALY_DEFAULTS = { threshold: 8, minUsd: '20', tz: 'UTC' } as const;

const HOUR_MS = 3_600_000;
/** Scales a MAD to the standard deviation of normal data. */
const MAD_SCALE = 1.4826;
/** Scales a mean absolute deviation likewise; the fallback when over half the samples equal the median. */
const MEAN_AD_SCALE = 1.253314;

/**
 * The baseline slot of an hour: its hour of day and whether it is a weekend, in `tz`. Same hour-of-week (168 slots)
 * gives one sample per week, too few for a MAD over 4 weeks; one pool of all hours flags every working morning
 * against the night. Weekday-or-weekend × hour of day keeps the daily rhythm and the quiet weekend with ~5 samples a
 * week, and Monday 09:00 is compared with the other weekday 09:00s, which it resembles.
 */
function slotOf(hourMs: number, tz: string): number {
  const d = new TZDate(hourMs, tz);
  const weekend = d.getDay() === 0 || d.getDay() === 6;
  return (weekend ? 24 : 0) + d.getHours();
}

/**
 * Where the hours of `tz` start past the UTC hours, in ms: 0 in most zones, 30 minutes in Asia/Kolkata, 45 in
 * Asia/Kathmandu. Taken at one instant: the offsets of a zone differ by whole hours across DST (Lord Howe Island's
 * half hour aside).
 */
function hourPhase(at: number, tz: string): number {
  const offsetMs = -new TZDate(at, tz).getTimezoneOffset() * 60_000;
  return ((offsetMs % HOUR_MS) + HOUR_MS) % HOUR_MS;
}

function robustZ(x: bigint, values: readonly bigint[]): { median: bigint; mad: bigint; z: number | null } {
  const s = sortAmounts(values);
  const med = median(s);
  const dev = sortAmounts(s.map((v) => (v > med ? v - med : med - v)));
  const mad = median(dev);
  const diff = Number(x - med);
  if (mad > 0n) return { median: med, mad, z: diff / (MAD_SCALE * Number(mad)) };
  const meanAd = dev.reduce((a, v) => a + Number(v), 0) / dev.length;
  if (meanAd > 0) return { median: med, mad, z: diff / (MEAN_AD_SCALE * meanAd) };
  return { median: med, mad, z: diff > 0 ? null : 0 };
}

/**
 * Hours in [since, until) whose spend is far above the same scope's baseline: the hours of the same slot in the
 * `since − baselineFrom` (4 weeks) before each hour, so an hour late in a long range is compared with the weeks just
 * before it, not with the weeks before the range. Hours with no row cost nothing: the baseline counts them as zero,
 * so a team that never spends at night has a flat $0 night baseline and a $50 night hour is flagged (z null:
 * infinitely unusual) as long as it passes `minUsd`. But the hours before the first one with any row are not known to
 * be zero (the ledger had not begun): the baseline starts at that hour, and an hour with no baseline hour of its slot
 * yet is not judged. Pure.
 *
 * @example
 * findAnomalies(rows, { baselineFrom, since, until }) // [{ value: 'ml', hour, spend, median, mad, z: 41.2, … }]
 */
export function findAnomalies(
  rows: readonly HourSpend[],
  range: { baselineFrom: number; since: number; until: number },
  o: AnomalyOptions = {},
): Anomaly[] {
  const threshold = o.threshold ?? ANOMALY_DEFAULTS.threshold;
  const minPico = parseUsd(o.minUsd ?? ANOMALY_DEFAULTS.minUsd);
  const tz = o.tz ?? ANOMALY_DEFAULTS.tz;
  const span = range.since - range.baselineFrom;
  // The zone's hours: in Asia/Kolkata (UTC+5:30) an hour starts at :30 past a UTC hour, and its rows are bucketed so.
  const phase = hourPhase(range.since, tz);
  let begun = Number.POSITIVE_INFINITY;
  for (const r of rows) if (r.hour < begun) begun = r.hour;
  const first = Math.ceil((Math.max(range.baselineFrom, begun) - phase) / HOUR_MS) * HOUR_MS + phase;
  // Every hour a baseline may take, oldest first, by slot.
  const slotHours = new Map<number, number[]>();
  const slots = new Map<number, number>();
  for (let h = first; h + HOUR_MS <= range.until; h += HOUR_MS) {
    const k = slotOf(h, tz);
    slots.set(h, k);
    const list = slotHours.get(k);
    if (list === undefined) slotHours.set(k, [h]);
    else list.push(h);
  }
  const byValue = new Map<string | null, Map<number, bigint>>();
  for (const r of rows) {
    let m = byValue.get(r.value);
    if (m === undefined) {
      m = new Map();
      byValue.set(r.value, m);
    }
    m.set(r.hour, (m.get(r.hour) ?? 0n) + r.spend);
  }
  const out: Anomaly[] = [];
  for (const [value, hours] of byValue) {
    for (const [h, spend] of hours) {
      if (h < range.since || h >= range.until || spend < minPico) continue;
      const base = (slotHours.get(slots.get(h) ?? slotOf(h, tz)) ?? [])
        .filter((b) => b >= h - span && b < h)
        .map((b) => hours.get(b) ?? 0n);
      if (base.length === 0) continue;
      const r = robustZ(spend, base);
      if (r.z !== null && r.z < threshold) continue;
      out.push({ value, hour: h, spend, ...r, samples: base.length });
    }
  }
  return out.sort((a, b) => a.hour - b.hour || String(a.value).localeCompare(String(b.value)));
}

import { formatUsd, formatUsdDisplay } from '../money/money.js';
import type { Dimension } from '../store/query.js';
import type { Store } from '../store/store.js';
import type { AlertInput, AlertSink } from './alerts/alert.js';
import type { DetectedAnomaly } from './anomaly-detect.js';
import { detectAnomalies } from './anomaly-detect.js';
import type { Runaway } from './runaway.js';
import { detectRunaways } from './runaway.js';
import { runawayAlertBase } from './runaway-alert.js';
import type { RunawayConfig } from './runaway-config.js';

const HOUR_MS = 3_600_000;

/** One alert per runaway session (dedup by session), whatever source its events came from. */
function runawayAlert(r: Runaway, c: Pick<RunawayConfig, 'max_usd' | 'window_minutes'>): AlertInput {
  return {
    ...runawayAlertBase(r.dimension, r.value, r),
    title: `Runaway ${r.dimension === 'session_id' ? 'session' : 'agent'} ${r.value}${r.agent ? ` (${r.agent}` : ''}${r.user ? `, ${r.user}` : ''}${r.agent ? ')' : ''}: ${formatUsdDisplay(r.spend)} in ${c.window_minutes} minutes (limit $${c.max_usd})`,
    data: {
      reason: 'spend',
      spend_usd: formatUsd(r.spend),
      calls: r.calls,
      first: new Date(r.first).toISOString(),
      last: new Date(r.last).toISOString(),
      window_minutes: c.window_minutes,
      max_usd: c.max_usd,
    },
  };
}

/** One alert per scope and hour. */
function anomalyAlert(a: DetectedAnomaly): AlertInput {
  const hour = new Date(a.hour).toISOString();
  const label = `${a.dimension}=${a.value ?? '(none)'}`;
  return {
    kind: 'anomaly',
    severity: 'warning',
    dedup_key: `anomaly:${a.dimension}:${a.value ?? ''}:${hour}`,
    title: `Spend anomaly for ${label} in the hour from ${hour}: ${formatUsdDisplay(a.spend)} against a usual ${formatUsdDisplay(a.median)}`,
    scope: a.value === null ? {} : { [a.dimension]: a.value },
    data: {
      hour,
      spend_usd: formatUsd(a.spend),
      median_usd: formatUsd(a.median),
      mad_usd: formatUsd(a.mad),
      z: a.z === null ? null : Math.round(a.z * 100) / 100,
      samples: a.samples,
    },
  };
}

export interface WatchdogOptions {
  store: Store;
  alerts: AlertSink;
  runaway: RunawayConfig;
  /** The dimension anomalies are looked for in (default team). */
  anomalyDimension?: Dimension;
  /** How often the ledger is scanned; default 5 minutes. */
  intervalMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/**
 * Scans the ledger on a timer for runaway sessions and hourly spend anomalies and raises alerts (deduplicated, so a
 * scan that sees the same thing again raises nothing new). It reads the ledger, so it catches spend from every
 * source (agent logs, OTLP, imports), not only what passes the gateway.
 */
export function startWatchdog(o: WatchdogOptions): { scan(): Promise<number>; stop(): void } {
  const now = o.now ?? Date.now;
  let running: Promise<number> | null = null;
  async function scanOnce(): Promise<number> {
    const until = now();
    const runaways = await detectRunaways(o.store, {
      since: until - 2 * HOUR_MS,
      until,
      maxUsd: o.runaway.max_usd,
      windowMinutes: o.runaway.window_minutes,
    });
    const anomalies = await detectAnomalies(o.store, {
      since: Math.floor(until / HOUR_MS) * HOUR_MS - 2 * HOUR_MS,
      until,
      dimension: o.anomalyDimension ?? 'team',
    });
    for (const r of runaways) o.alerts.raise(runawayAlert(r, o.runaway));
    for (const a of anomalies) o.alerts.raise(anomalyAlert(a));
    return runaways.length + anomalies.length;
  }
  const scan = () => {
    running ??= scanOnce().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    scan().catch((e: Error) => o.log?.(`watchdog: scanning the ledger failed: ${e.message}`));
  }, o.intervalMs ?? 300_000);
  timer.unref();
  return { scan, stop: () => clearInterval(timer) };
}

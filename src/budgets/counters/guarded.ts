import { TokenledgerError } from '../../errors.js';
import type { AlertSink } from '../alerts/alert.js';
import type { Claim, Counters, ReserveResult } from './counters.js';

/**
 * What budgets do while the shared counters (Redis) are unreachable:
 * - `fail-closed`: no request passes a budget or rate limit it cannot check; the gateway answers 503
 *   GW_COUNTERS_UNAVAILABLE. Safe for money, bad for availability.
 * - `fail-open`: requests pass unchecked. Spend during the outage is still in the ledger (the truth); counters
 *   rebuild from it at the next start-up, but live limits undercount until then.
 */
export const COUNTERS_POLICIES = ['fail-closed', 'fail-open'] as const;
export type CountersPolicy = (typeof COUNTERS_POLICIES)[number];

/** What /metrics shows about the counters; GuardedCounters implements it. */
export interface CountersHealth {
  readonly policy: CountersPolicy;
  /** False from the first failed call until the next successful one. */
  readonly up: boolean;
  readonly failuresTotal: number;
  /** Epoch ms the current outage began, or null while up. */
  readonly downSince: number | null;
}

/** Thrown by a fail-closed reserve (and by read) while counters are down; the gateway answers `status` (503). */
export class CountersUnavailableError extends TokenledgerError {
  readonly status = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super('GW_COUNTERS_UNAVAILABLE', message, options);
  }
}

export interface GuardedOptions {
  policy: CountersPolicy;
  alerts?: AlertSink | null;
  /** One line per outage and per recovery. Default: stderr. */
  log?: (line: string) => void;
  /**
   * While down, only one call per this interval goes to the backend; the others fail (or pass) at once instead of
   * each waiting out a hung Redis's command timeout. Default 1000.
   */
  retryIntervalMs?: number;
  /**
   * Awaited when the backend answers again after an outage, before any call uses it: a Redis that restarted has lost
   * its keys, and spend during a fail-open outage was never counted, so re-run the start-up rebuild from the ledger
   * here, on `direct` (the backend itself; seed only sets missing keys, so it is safe to repeat). Until it is done,
   * calls keep getting the outage policy, so none reserves against a counter that is not rebuilt yet.
   */
  onRecover?: (direct: Counters) => void | Promise<void>;
  now?: () => number;
}

/**
 * Counters that survive their backend going away, applying the fail-open / fail-closed policy. Settles and releases
 * (`add`) never throw: the request they belong to has already happened, and the ledger keeps its true cost.
 */
export class GuardedCounters implements Counters, CountersHealth {
  readonly policy: CountersPolicy;
  up = true;
  failuresTotal = 0;
  downSince: number | null = null;
  private lastTry = 0;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly retryIntervalMs: number;

  constructor(
    private readonly inner: Counters,
    private readonly opts: GuardedOptions,
  ) {
    this.policy = opts.policy;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.now = opts.now ?? Date.now;
    this.retryIntervalMs = opts.retryIntervalMs ?? 1000;
  }

  async reserve(claims: readonly Claim[]): Promise<ReserveResult> {
    try {
      return await this.guard(() => this.inner.reserve(claims));
    } catch (e) {
      if (this.policy === 'fail-open' && !isBug(e)) return { ok: true };
      throw this.unavailable(e);
    }
  }

  async add(claims: readonly Omit<Claim, 'limit'>[]): Promise<void> {
    try {
      await this.guard(() => this.inner.add(claims));
    } catch {
      // Already counted as a failure; see the class comment.
    }
  }

  async read(keys: readonly (readonly string[])[]): Promise<bigint[]> {
    try {
      return await this.guard(() => this.inner.read(keys));
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  async seed(entries: readonly { key: string; value: bigint; ttlSeconds: number }[]): Promise<void> {
    try {
      await this.guard(() => this.inner.seed(entries));
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  /** While Redis is down every caller gets true: an alert delivered twice beats one never delivered. */
  async claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
    const inner = this.inner.claimOnce;
    if (inner === undefined) return true;
    try {
      return await this.guard(() => inner.call(this.inner, key, ttlSeconds));
    } catch {
      return true;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    if (!this.up) {
      // One call at a time probes (and rebuilds); the others get the outage policy at once instead of waiting.
      const now = this.now();
      if (this.recovering !== null || now - this.lastTry < this.retryIntervalMs) {
        this.failuresTotal++;
        throw new Error('counters are down (waiting before the next retry)');
      }
      this.lastTry = now;
      this.recovering = this.recover().finally(() => {
        this.recovering = null;
      });
      try {
        await this.recovering;
      } catch (e) {
        this.failuresTotal++;
        throw e;
      }
    }
    try {
      return await f();
    } catch (e) {
      if (isBug(e)) throw e;
      this.failuresTotal++;
      if (this.up) this.goDown(e);
      throw e;
    }
  }

  private recovering: Promise<void> | null = null;

  /** Probes the backend (a read), rebuilds it through onRecover, and only then lets calls use it again. */
  private async recover(): Promise<void> {
    await this.inner.read([['tl:probe']]);
    try {
      await this.opts.onRecover?.(this.inner);
    } catch (e) {
      this.log(`budgets: rebuilding counters after the outage failed: ${e instanceof Error ? e.message : e}`);
      throw e;
    }
    this.goUp();
  }

  private goDown(e: unknown): void {
    this.up = false;
    this.downSince = this.now();
    this.lastTry = this.downSince;
    const why = e instanceof Error ? e.message : String(e);
    const effect =
      this.policy === 'fail-closed'
        ? 'budgeted requests are REFUSED with 503 GW_COUNTERS_UNAVAILABLE'
        : 'requests pass WITHOUT budget or rate-limit checks';
    this.log(`budgets: COUNTERS DOWN (${this.policy}): ${effect} until they are back. Cause: ${why}`);
    this.opts.alerts?.raise({
      kind: 'counters',
      severity: 'critical',
      dedup_key: `counters:down:${new Date(this.downSince).toISOString()}`,
      title: `Budget counters unreachable (${this.policy}): ${effect}`,
      scope: {},
      data: { policy: this.policy, cause: why },
    });
  }

  private goUp(): void {
    const since = this.downSince ?? this.now();
    const seconds = Math.round((this.now() - since) / 1000);
    this.up = true;
    this.downSince = null;
    this.log(`budgets: counters are back after ${seconds} s (${this.failuresTotal} failed calls so far)`);
    this.opts.alerts?.raise({
      kind: 'counters',
      severity: 'info',
      dedup_key: `counters:up:${new Date(since).toISOString()}`,
      title: `Budget counters are back after ${seconds} s`,
      scope: {},
      data: { policy: this.policy, down_seconds: seconds },
    });
  }

  private unavailable(e: unknown): TokenledgerError {
    if (isBug(e)) return e as TokenledgerError;
    const why = e instanceof Error ? e.message : String(e);
    return new CountersUnavailableError(
      `budget counters are unreachable (${why}), and counters.on_unavailable is fail-closed; retry shortly, or ask the operator to restore Redis`,
      { cause: e },
    );
  }
}

/** A malformed claim is our bug, not an outage: it must surface, whatever the policy. */
function isBug(e: unknown): boolean {
  return e instanceof TokenledgerError && e.code === 'COUNTERS_BAD_CLAIM';
}

export function createGuardedCounters(inner: Counters, opts: GuardedOptions): GuardedCounters {
  return new GuardedCounters(inner, opts);
}

/** The counters' lines for the gateway's /metrics (Prometheus text format, each line ending in \n). */
export function renderCountersMetrics(h: CountersHealth): string {
  return [
    '# HELP tokenledger_counters_up Whether the budget counters (Redis) answered the last call (1) or not (0).',
    '# TYPE tokenledger_counters_up gauge',
    `tokenledger_counters_up{policy="${h.policy}"} ${h.up ? 1 : 0}`,
    '# HELP tokenledger_counters_failures_total Counter calls that failed because the backend was unreachable.',
    '# TYPE tokenledger_counters_failures_total counter',
    `tokenledger_counters_failures_total ${h.failuresTotal}`,
    '',
  ].join('\n');
}

import { TokenledgerError } from '../../errors.js';
import type { AlertSink } from '../alerts/alert.js';
import type { Claim, Counters, ReserveResult } from './counters.js';

/**
 * What budgets do while the shared counters (Redis) are unreachable:
 * - `fail-closed`: no request passes a budget or rate limit it cannot check; the gateway answers 503
 *   GW_COUNTERS_UNAVAILABLE. Safe for money, bad for availability.
 * - `fail-open`: requests pass unchecked. What they and the settles of the outage add is owed, and added when the
 *   backend answers again (a Redis that restarted empty is rebuilt from the ledger instead: see `onRecover`).
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
   * its keys, so re-run the start-up rebuild from the ledger here, on `direct` (the backend; seed only sets missing
   * keys, so it is safe to repeat). A key it sets holds the outage's spend already, so what the outage owed that key
   * is not added; every other key gets its debt. Until both are done, calls keep getting the outage policy, so none
   * reserves against a counter that is not whole yet.
   */
  onRecover?: (direct: Counters) => void | Promise<void>;
  now?: () => number;
}

/** What a fail-open reserve answers when it failed: nothing was reserved. */
const UNCHECKED: ReserveResult = Object.freeze({ ok: true, unchecked: true });

/** Owed keys kept at most (one a budget window or rate-limit minute); past it, expired debts are dropped first. */
const MAX_OWED = 100_000;
/** Claims per script when paying debts back, and settles sent together. */
const REPAY_BATCH = 1000;

/**
 * Counters that survive their backend going away, applying the fail-open / fail-closed policy. Settles and releases
 * (`add`) never throw: the request they belong to has already happened, and the ledger keeps its true cost. What
 * surely did not reach the backend (COUNTERS_NOT_SENT, or short-circuited here) is owed and added when it is back; an
 * add that timed out is taken as done, since Redis runs it when it answers again on the same connection. A reserve
 * that failed reserved nothing, whatever the failure (the backend undoes one that may yet run).
 */
export class GuardedCounters implements Counters, CountersHealth {
  readonly policy: CountersPolicy;
  up = true;
  failuresTotal = 0;
  downSince: number | null = null;
  private lastTry = 0;
  /** The backend's `connections` the last recovery (or the start) saw: a new connection is rebuilt first. */
  private seenConnections: number;
  /** Amounts that never reached the backend, by key, with when the key would have expired (epoch ms). */
  private owed = new Map<string, { amount: bigint; expiresAt: number }>();
  /** Settles that never reached the backend: sent once it answers again, after its rebuild (see `settle`). */
  private unsentSettles: {
    marker: string | null;
    kept: readonly Omit<Claim, 'limit'>[];
    lost: () => readonly Omit<Claim, 'limit'>[];
  }[] = [];
  /** Keys the rebuild on recovery set during this outage: the ledger counted their owed amounts already. */
  private readonly rebuilt = new Set<string>();
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
    this.seenConnections = inner.connections ?? 0;
    // Only over counters that have it: the enforcer settles through it when it is there.
    if (inner.settle === undefined) this.settle = undefined;
  }

  async reserve(claims: readonly Claim[]): Promise<ReserveResult> {
    try {
      return await this.guard(() => this.inner.reserve(claims));
    } catch (e) {
      // A failed reserve reserved nothing (Counters.reserve): the call passes unchecked and its settle adds it all.
      if (this.policy === 'fail-open' && !isBug(e)) return UNCHECKED;
      throw this.unavailable(e);
    }
  }

  async add(claims: readonly Omit<Claim, 'limit'>[]): Promise<void> {
    // During a recovery, wait for it rather than owe: debts are paid inside the recovery, not after.
    if (this.recovering !== null) await this.recovering.catch(() => {});
    try {
      await this.guard(() => this.inner.add(claims));
    } catch (e) {
      if (notSent(e)) this.owe(claims);
    }
  }

  /**
   * Like `add`, never throws (false when it failed). One that surely did not reach the backend is sent when it
   * answers again, after the rebuild: the marker then says whether the reservation survived, and `lost` what the
   * rebuild left to add.
   */
  settle?: Counters['settle'] = async (marker, kept, lost) => {
    const inner = this.inner.settle!;
    if (this.recovering !== null) await this.recovering.catch(() => {});
    try {
      return await this.guard(() => inner.call(this.inner, marker, kept, lost));
    } catch (e) {
      if (notSent(e)) {
        if (this.unsentSettles.length < MAX_OWED) this.unsentSettles.push({ marker, kept, lost });
        // Past the bound it is dropped, never to be sent: `lost` is still read, once, as a sent settle reads it, so the
        // caller stops tracking the call (the enforcer would look for it in every later rebuild, and keep it forever).
        else lost();
      }
      return false;
    }
  };

  async read(keys: readonly (readonly string[])[]): Promise<bigint[]> {
    try {
      return await this.guard(() => this.inner.read(keys));
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  async seed(
    entries: readonly { key: string; value: bigint; ttlSeconds: number }[],
  ): Promise<readonly string[]> {
    try {
      return await this.guard(() => this.inner.seed(entries));
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
    // A connection made since the last recovery may reach a Redis that restarted empty while no call failed (it was
    // idle): rebuilt like an outage's end before any call counts on it, else the budgets would start again from 0.
    const reconnected = this.up && (this.inner.connections ?? 0) !== this.seenConnections;
    if (!this.up || reconnected) {
      // While down, one call at a time probes (and rebuilds); the others get the outage policy at once instead of
      // waiting. After a mere reconnect the others wait for the rebuild: nothing is down.
      const now = this.now();
      if (this.recovering === null && (this.up || now - this.lastTry >= this.retryIntervalMs)) {
        this.lastTry = now;
        this.recovering = this.recover().finally(() => {
          this.recovering = null;
        });
      } else if (!this.up) {
        this.failuresTotal++;
        throw new TokenledgerError('COUNTERS_NOT_SENT', 'counters are down (waiting before the next retry)');
      }
      try {
        await this.recovering;
      } catch (e) {
        this.failuresTotal++;
        if (this.up) this.goDown(e);
        // The call itself was never sent.
        throw new TokenledgerError('COUNTERS_NOT_SENT', e instanceof Error ? e.message : String(e), {
          cause: e,
        });
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

  /**
   * Probes the backend (a read), rebuilds it through onRecover, pays what the outage owes, and only then lets calls use
   * it again.
   */
  private async recover(): Promise<void> {
    const connections = this.inner.connections ?? 0;
    await this.inner.read([['tl:probe']]);
    try {
      await this.opts.onRecover?.(this.recording);
      await this.repay();
    } catch (e) {
      this.log(`budgets: rebuilding counters after the outage failed: ${e instanceof Error ? e.message : e}`);
      throw e;
    }
    this.seenConnections = connections;
    if (!this.up) this.goUp();
  }

  /** The backend, noting which keys a seed sets (see `rebuilt`). */
  private readonly recording: Counters = {
    reserve: (claims) => this.inner.reserve(claims),
    add: (claims) => this.inner.add(claims),
    read: (keys) => this.inner.read(keys),
    seed: async (entries) => {
      const set = await this.inner.seed(entries);
      for (const k of set) this.rebuilt.add(k);
      return set;
    },
    close: () => this.inner.close(),
  };

  private owe(claims: readonly Omit<Claim, 'limit'>[]): void {
    const now = this.now();
    for (const c of claims) {
      const key = c.keys[0]!;
      const expiresAt = now + c.ttlSeconds * 1000;
      const o = this.owed.get(key);
      if (o !== undefined) {
        o.amount += c.amount;
        o.expiresAt = Math.max(o.expiresAt, expiresAt);
        continue;
      }
      if (this.owed.size >= MAX_OWED) {
        for (const [k, v] of this.owed) if (v.expiresAt <= now) this.owed.delete(k);
        if (this.owed.size >= MAX_OWED) continue;
      }
      this.owed.set(key, { amount: c.amount, expiresAt });
    }
  }

  /** Adds what the outage owes to every key the rebuild did not set and that has not expired. */
  private async repay(): Promise<void> {
    const now = this.now();
    const claims: Omit<Claim, 'limit'>[] = [];
    for (const [key, o] of this.owed)
      if (!this.rebuilt.has(key) && o.amount !== 0n && o.expiresAt > now)
        claims.push({ keys: [key], amount: o.amount, ttlSeconds: (o.expiresAt - now) / 1000 });
    for (let i = 0; i < claims.length; i += REPAY_BATCH) {
      const batch = claims.slice(i, i + REPAY_BATCH);
      let failed: unknown = null;
      try {
        await this.repayBatch(batch);
      } catch (e) {
        // Sent, with no reply: it may have run, or run yet (a hung Redis). Owed again, the next recovery would add it
        // a second time; the backend's copy of it adds it once instead. Only one surely not sent stays owed.
        if (notSent(e)) throw e;
        failed = e;
      }
      for (const c of batch) this.owed.delete(c.keys[0]!);
      if (failed !== null) throw failed;
    }
    this.owed = new Map();
    this.rebuilt.clear();
    // Sent together, not each after the last one's reply: Redis runs them in order on the one connection, so a batch
    // takes about one round trip. Each is still its own settle (its own marker, so their order does not matter).
    while (this.unsentSettles.length > 0) {
      const batch = this.unsentSettles.splice(0, REPAY_BATCH);
      const results = await Promise.allSettled(
        batch.map((s) => this.inner.settle!(s.marker, s.kept, s.lost)),
      );
      // One not sent is kept (it has not read `lost` yet); one that timed out is taken as done, as `add` takes one:
      // sent twice, it would count its call twice (the backend resends, once, what it can tell was not settled).
      const unsent = batch.filter((_, i) => {
        const r = results[i]!;
        return r.status === 'rejected' && notSent(r.reason);
      });
      this.unsentSettles.unshift(...unsent);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    }
  }

  /**
   * Adds a batch of debts. Over counters that settle (Redis), as the settle of a call that reserved nothing: it adds at
   * most once, so the copy the backend sends after one that got no reply cannot count it twice.
   */
  private repayBatch(batch: readonly Omit<Claim, 'limit'>[]): Promise<unknown> {
    const settle = this.inner.settle;
    return settle === undefined ? this.inner.add(batch) : settle.call(this.inner, null, [], () => batch);
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
      `budget counters are unreachable (${why}), and counters.on_unavailable is ${this.policy}; retry shortly, or ask the operator to restore Redis`,
      { cause: e },
    );
  }
}

/** A call that surely did not reach the backend. */
function notSent(e: unknown): boolean {
  return e instanceof TokenledgerError && e.code === 'COUNTERS_NOT_SENT';
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

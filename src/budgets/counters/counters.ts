/**
 * Spend and rate counters shared by every gateway instance: in-process (memory.ts) for one, Redis (redis.ts) for
 * several. Amounts are integers in a unit the caller chooses (the enforcer uses nano-dollars for money, rounded up,
 * and plain counts for requests and tokens); implementations never do float arithmetic on them.
 *
 * A claim's current value is the sum of its keys: one key for a calendar period, the hourly buckets of the window
 * for a rolling one. Amounts are added to the first key.
 */
export interface Claim {
  keys: readonly string[];
  amount: bigint;
  /** The claim fails when current + amount would exceed this; null never fails (alert-only budgets still count). */
  limit: bigint | null;
  /** Seconds the written key lives (a little past the end of its window). */
  ttlSeconds: number;
}

export type ReserveResult =
  /**
   * `totals` (optional; memory and Redis fill it): each claim's value after this reservation, in claim order, so a
   * caller can show what is left (rate-limit headers, threshold alerts) without a second round trip.
   * `unchecked` (guarded.ts, fail-open): the counters could not be reached and nothing was reserved, so a settle must
   * add the call's whole cost, not its difference from a reservation.
   * `marker` (Redis): names the reservation for `settle`.
   */
  | { ok: true; totals?: readonly bigint[]; unchecked?: true; marker?: string }
  /** `index` is the first failing claim; `current` its value before this reservation. Nothing was added. */
  | { ok: false; index: number; current: bigint };

/**
 * Every call may fail while the backend is unreachable. One that fails with code `COUNTERS_NOT_SENT` surely did not
 * happen (it was never sent); any other failure of add, seed or claimOnce may have happened (a timed-out command can
 * still run). A reserve that fails has reserved nothing: one that may still run is undone (redis.ts).
 */
export interface Counters {
  /** All or nothing, atomically across instances: adds every claim's amount only if no claim would pass its limit. */
  reserve(claims: readonly Claim[]): Promise<ReserveResult>;
  /** Adds `amount` (may be negative: settling below a reservation, releasing one) to the first key, unconditionally. */
  add(claims: readonly Omit<Claim, 'limit'>[]): Promise<void>;
  /**
   * Optional, for counters that can lose what they hold (Redis restarting empty) and are rebuilt from the ledger:
   * settles the reservation `reserve` answered with `marker`. Adds `kept` if the counters still hold that reservation,
   * else `lost()` (the reservation went with the data it was in; read when the settle is sent, so after any rebuild
   * it waited for), atomically, once per marker. A null marker (nothing reserved: budgets that only count, a call let
   * through unchecked) adds `lost()`. `lost` is called once, when the settle is sent, or when it is given up for good
   * (guarded.ts keeps a bounded number of settles for the backend's return). Resolves to true if it added `kept`,
   * false if not (or not known).
   */
  settle?(
    marker: string | null,
    kept: readonly Omit<Claim, 'limit'>[],
    lost: () => readonly Omit<Claim, 'limit'>[],
  ): Promise<boolean>;
  /** Each claim's current value (sum of its keys). */
  read(keys: readonly (readonly string[])[]): Promise<bigint[]>;
  /**
   * Sets keys that do not exist yet (rebuilding from the ledger at start-up; a key another instance already holds is
   * left alone, since it is at least as recent). Resolves to the keys it set.
   */
  seed(entries: readonly { key: string; value: bigint; ttlSeconds: number }[]): Promise<readonly string[]>;
  close(): Promise<void>;
  /**
   * Optional, for counters in this process (no I/O): reserve and add done before returning, so the enforcer admits
   * and settles a call without a promise hop. Same semantics as reserve and add.
   */
  reserveSync?(claims: readonly Claim[]): ReserveResult;
  addSync?(claims: readonly Omit<Claim, 'limit'>[]): void;
  /**
   * Optional, for counters shared by several instances: true for exactly one caller of `key` until it expires (SET
   * NX). Alerts use it so that one instance, not each, delivers an alert every instance raises.
   */
  claimOnce?(key: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Optional, for counters behind a connection: how many times it has been made. A new one may reach a Redis that
   * restarted empty (or a replica that took over), so guarded.ts rebuilds from the ledger before using it.
   */
  readonly connections?: number;
}

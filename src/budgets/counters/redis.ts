import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions, ReplyError } from 'ioredis';
import { TokenledgerError } from '../../errors.js';
import type { Claim, Counters, ReserveResult } from './counters.js';
import { ADD_LUA, ADD_ONCE_LUA, RESERVE_LUA, SETTLE_LUA, UNDO_LUA } from './redis-scripts.js';

export interface RedisCountersOptions {
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  url: string;
  /**
   * A command without a reply after this long fails (a hung or partitioned Redis). Budget checks sit on the request
   * path, so this is short; a healthy Redis answers in well under a millisecond. Default 200.
   */
  commandTimeoutMs?: number;
  /** Default 200. */
  connectTimeoutMs?: number;
  /** Extra ioredis options (tests, TLS); ours win on the fields above. */
  redis?: RedisOptions;
  /** Epoch ms; tests move it to age a settle's copy past its marker's life. Default Date.now. */
  now?: () => number;
}

type ReserveReply = [0, number, string] | [1, ...string[]];

interface ScriptedRedis extends Redis {
  tlReserve(...args: (string | number)[]): Promise<ReserveReply>;
  tlAdd(...args: (string | number)[]): Promise<number>;
  tlUndo(...args: (string | number)[]): Promise<number>;
  tlSettle(...args: (string | number)[]): Promise<number>;
  tlAddOnce(...args: (string | number)[]): Promise<number>;
}

/**
 * Seconds a reservation's marker lives in Redis at least (one small key per call in flight). It lives as long as the
 * longest-lived key the reserve added to, since its settle (or the undo of a reserve that failed, which may wait for a
 * reconnect) reads it to tell whether that reservation is still held: once those keys are gone, so is the reservation.
 * The settle or undo deletes it.
 */
const MARKER_TTL_SECONDS = 60;
/**
 * Undos waiting to be sent (one per reserve that failed in flight) past which no reserve is sent: a dropped undo would
 * leave its reservation counted until its window ends, so none is dropped, and no new reserve of unknown fate is made
 * until Redis answers again and they are sent. Reserves in flight when it is reached may still add theirs.
 */
const MAX_PENDING_UNDOS = 10_000;
/**
 * Seconds the one-time marker of a settle that reserved nothing lives (ADD_ONCE_LUA). Unlike a reservation's, nothing
 * deletes it, so it is short: a call that only alert budgets count sets one on every settle.
 */
const ONCE_MARKER_TTL_SECONDS = 60;
/**
 * A copy of such a settle is sent only this long after the settle itself (ms): later, the marker the settle set when it
 * ran may be gone, and the copy would count the call twice. It is then taken as done, as it was before copies were
 * sent. The margin over the marker's life covers the copy's way to Redis.
 */
const ONCE_COPY_WINDOW_MS = 50_000;

/**
 * A command sent again until Redis answers it (see `resend`): UNDO_LUA's arguments (what a reservation's keys get if
 * its marker exists, then deleted), which take back a reserve that failed or replace the reservation with the real cost
 * for a settle that got no reply; or ADD_ONCE_LUA's, the copy of a settle that reserved nothing and got no reply, sent
 * until `until` (epoch ms).
 */
type Resend =
  | { command: 'tlUndo'; args: readonly (string | number)[] }
  | { command: 'tlAddOnce'; args: readonly (string | number)[]; until: number };

/**
 * Counters shared by several gateway instances through one Redis. `reserve` is a single Lua script (EVALSHA, EVAL on
 * NOSCRIPT after a Redis restart), so check-then-add is atomic across instances. Amounts cross the wire as decimal
 * strings and come back as decimal strings: no float ever touches them in JS (see redis-scripts.ts for Lua's side).
 *
 * Fails fast rather than queueing: with the offline queue off, a call while Redis is unreachable rejects at once,
 * unsent (COUNTERS_NOT_SENT), and a hung Redis rejects after `commandTimeoutMs` (COUNTERS_REDIS_UNAVAILABLE: the
 * command may still run when Redis answers again, since it waits on the same connection); guarded.ts turns that into the
 * fail-open / fail-closed policy. ioredis keeps reconnecting in the background.
 *
 * A reserve that fails after it was sent may still run, and reserve, when Redis answers again; nobody would settle or
 * release that reservation, so it would hold the budget until its window ends. So each reserve names a marker the
 * script sets when it adds, and a failed one sends UNDO_LUA straight behind it: Redis runs the two in order, and the
 * undo takes the reservation back only if the marker says it was made. A failed reserve thus reserves nothing.
 */
export class RedisCounters implements Counters {
  private readonly client: ScriptedRedis;
  private readonly where: string;
  /** The last connection error, for guarded.ts's log line. */
  lastError: Error | null = null;
  /** Reservation markers are `tl:rsv:<this instance>:<sequence>`, one-time settle markers `tl:once:…`. */
  private readonly instance = randomBytes(9).toString('base64url');
  private markerSeq = 0;
  private readonly now: () => number;
  /** Times the connection was made (Counters.connections). */
  connections = 0;
  /** Undos and settle copies that could not be sent (disconnected): sent on the next connection. */
  private pendingUndos: Resend[] = [];

  constructor(opts: RedisCountersOptions) {
    this.where = redactUrl(opts.url);
    this.now = opts.now ?? Date.now;
    const timeout = opts.commandTimeoutMs ?? 200;
    this.client = new Redis(opts.url, {
      ...opts.redis,
      commandTimeout: timeout,
      connectTimeout: opts.connectTimeoutMs ?? 200,
      // Never hold a budget check while reconnecting: fail now and let the policy decide.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * times, 1000),
    }) as ScriptedRedis;
    this.client.on('error', (e: Error) => {
      this.lastError = e;
    });
    this.client.defineCommand('tlReserve', { lua: RESERVE_LUA });
    this.client.defineCommand('tlAdd', { lua: ADD_LUA });
    this.client.defineCommand('tlUndo', { lua: UNDO_LUA });
    this.client.defineCommand('tlSettle', { lua: SETTLE_LUA });
    this.client.defineCommand('tlAddOnce', { lua: ADD_ONCE_LUA });
    this.client.on('ready', () => {
      this.connections++;
      this.sendPendingUndos();
    });
  }

  /** Resolves once connected; rejects with COUNTERS_REDIS_UNAVAILABLE if that takes longer than `timeoutMs`. */
  async ready(timeoutMs = 2000): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(this.unavailable(new Error(`not connected after ${timeoutMs} ms`)));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  /** Whether the connection is up right now (no round trip). */
  get connected(): boolean {
    return this.client.status === 'ready';
  }

  async reserve(claims: readonly Claim[]): Promise<ReserveResult> {
    if (claims.length === 0) return { ok: true, totals: [] };
    if (this.pendingUndos.length >= MAX_PENDING_UNDOS)
      throw this.unavailable(
        new Error(
          `${this.pendingUndos.length} reserves that failed, or settles that got no reply, are waiting for Redis to answer them`,
        ),
        'COUNTERS_NOT_SENT',
      );
    const marker = `tl:rsv:${this.instance}:${this.markerSeq++}`;
    const keys: string[] = [marker];
    let markerTtl = MARKER_TTL_SECONDS;
    for (const c of claims) markerTtl = Math.max(markerTtl, Math.ceil(c.ttlSeconds));
    const argv: string[] = [String(markerTtl)];
    for (const c of claims) {
      if (c.keys.length === 0)
        throw new TokenledgerError('COUNTERS_BAD_CLAIM', 'a claim needs at least one key');
      keys.push(...c.keys);
      argv.push(
        String(c.keys.length),
        c.amount.toString(),
        c.limit === null ? '' : c.limit.toString(),
        ttl(c),
      );
    }
    let reply: ReserveReply;
    try {
      reply = await this.call(() => this.client.tlReserve(keys.length, ...keys, ...argv));
    } catch (e) {
      if (e instanceof TokenledgerError && e.code !== 'COUNTERS_NOT_SENT')
        this.resend({
          command: 'tlUndo',
          args: [
            claims.length + 1,
            marker,
            ...claims.map((c) => c.keys[0]!),
            ...claims.flatMap((c) => [(-c.amount).toString(), ttl(c)]),
          ],
        });
      throw e;
    }
    if (reply[0] === 0) return { ok: false, index: Number(reply[1]), current: BigInt(reply[2]) };
    return { ok: true, totals: reply.slice(1).map((v) => BigInt(v as string)), marker };
  }

  async settle(
    marker: string | null,
    kept: readonly Omit<Claim, 'limit'>[],
    lost: () => readonly Omit<Claim, 'limit'>[],
  ): Promise<boolean> {
    let sent = false;
    let once: Resend | null = null;
    try {
      const held = await this.call(async () => {
        sent = true;
        // Read now, not when the settle was asked for: a rebuild it waited for decides what the lost case adds.
        const other = lost();
        if (marker === null) {
          if (other.length === 0) return 0;
          // Nothing reserved, so no marker tells whether this ran: it sets a one-time one, for its copy to read.
          const args = [
            other.length + 1,
            `tl:once:${this.instance}:${this.markerSeq++}`,
            ...other.map((c) => c.keys[0]!),
            ONCE_MARKER_TTL_SECONDS,
            ...other.flatMap((c) => [c.amount.toString(), ttl(c)]),
          ];
          once = { command: 'tlAddOnce', args, until: this.now() + ONCE_COPY_WINDOW_MS };
          await this.client.tlAddOnce(...args);
          return 0;
        }
        const keys = [marker, ...kept.map((c) => c.keys[0]!), ...other.map((c) => c.keys[0]!)];
        const argv = [kept.length, ...[...kept, ...other].flatMap((c) => [c.amount.toString(), ttl(c)])];
        return this.client.tlSettle(keys.length, ...keys, ...argv);
      });
      return held === 1;
    } catch (e) {
      // Sent, with no reply (a hung Redis, or a partition that may have lost the settle itself): a copy that replaces
      // the reservation only if it is still held goes behind it, as an undo does (same script, same retries), so the
      // reservation is settled once whether the first ran or not. If the reservation is gone, the copy adds nothing:
      // the first ran, or the counters lost it and were rebuilt from the ledger, which holds the call's event (it is
      // recorded before its settle). A settle that reserved nothing is copied the same way, its one-time marker
      // telling the copy whether it ran.
      if (sent && marker !== null)
        this.resend({
          command: 'tlUndo',
          args: [
            kept.length + 1,
            marker,
            ...kept.map((c) => c.keys[0]!),
            ...kept.flatMap((c) => [c.amount.toString(), ttl(c)]),
          ],
        });
      else if (once !== null) this.resend(once);
      throw e;
    }
  }

  async add(claims: readonly Omit<Claim, 'limit'>[]): Promise<void> {
    if (claims.length === 0) return;
    await this.call(() => this.client.tlAdd(...addArgs(claims)));
  }

  async read(keys: readonly (readonly string[])[]): Promise<bigint[]> {
    const flat = keys.flat();
    if (flat.length === 0) return keys.map(() => 0n);
    // One MGET for every claim; sums in BigInt, since a value may exceed 2^53.
    const values = await this.call(() => this.client.mget(flat));
    let i = 0;
    return keys.map((k) => {
      let s = 0n;
      for (let j = 0; j < k.length; j++, i++) {
        const v = values[i];
        if (v !== null && v !== undefined) s += BigInt(v);
      }
      return s;
    });
  }

  async seed(
    entries: readonly { key: string; value: bigint; ttlSeconds: number }[],
  ): Promise<readonly string[]> {
    if (entries.length === 0) return [];
    const p = this.client.pipeline();
    for (const e of entries)
      p.set(e.key, e.value.toString(), 'EX', Math.max(1, Math.ceil(e.ttlSeconds)), 'NX');
    const results = (await this.call(() => p.exec())) ?? [];
    const failed = results.find(([err]) => err !== null);
    if (failed) throw this.unavailable(failed[0] as Error);
    return entries.filter((_, i) => results[i]?.[1] === 'OK').map((e) => e.key);
  }

  async claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.call(() => this.client.set(key, '1', 'EX', ttl({ ttlSeconds }), 'NX'))) === 'OK';
  }

  /**
   * Sends an undo or a settle's copy without waiting for it (Redis may be hung; it runs when Redis answers). One that
   * cannot be sent, or that fails (its connection closed under it, or it timed out: a partition can look like a hung
   * Redis until the connection drops), is sent again on the next connection, or once Redis answers a command again on
   * this one: both are idempotent, so one that ran after all makes the second a no-op. One Redis ran and refused (an
   * error reply) is not: it would be refused again.
   */
  private resend(u: Resend): void {
    if (u.command === 'tlAddOnce' && this.now() > u.until) return;
    if (this.client.status !== 'ready') {
      this.pendingUndos.push(u);
      return;
    }
    this.client[u.command](...u.args).catch((e: unknown) => {
      if (e instanceof ReplyError) return;
      if (this.client.status !== 'ready') this.resend(u);
      else this.pendingUndos.push(u);
    });
  }

  private sendPendingUndos(): void {
    const undos = this.pendingUndos;
    this.pendingUndos = [];
    for (const u of undos) this.resend(u);
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private async call<T>(f: () => Promise<T>): Promise<T> {
    // Not connected: ioredis would refuse the command unsent (no offline queue); say so, since guarded.ts counts a
    // command that surely did not run later, and one that timed out (it may yet run) not.
    if (this.client.status !== 'ready')
      throw this.unavailable(new Error(`not connected (${this.client.status})`), 'COUNTERS_NOT_SENT');
    let reply: T;
    try {
      reply = await f();
    } catch (e) {
      throw this.unavailable(e);
    }
    // Redis answers again on a connection that never dropped (it hung, then resumed): send the undos kept meanwhile.
    if (this.pendingUndos.length > 0) this.sendPendingUndos();
    return reply;
  }

  private unavailable(
    cause: unknown,
    code: 'COUNTERS_REDIS_UNAVAILABLE' | 'COUNTERS_NOT_SENT' = 'COUNTERS_REDIS_UNAVAILABLE',
  ): TokenledgerError {
    const why = cause instanceof Error ? cause.message : String(cause);
    return new TokenledgerError(
      code,
      `Redis counters at ${this.where}: ${why}; check that Redis is running and reachable (counters.redis_url)`,
      { cause },
    );
  }
}

/** ADD_LUA's arguments: the number of keys, each claim's first key, then per claim `amount, ttl`. */
function addArgs(claims: readonly Omit<Claim, 'limit'>[]): (string | number)[] {
  return [
    claims.length,
    ...claims.map((c) => c.keys[0]!),
    ...claims.flatMap((c) => [c.amount.toString(), ttl(c)]),
  ];
}

function ttl(c: { ttlSeconds: number }): string {
  // EXPIRE takes whole seconds > 0; a fractional or zero TTL would delete the key at once.
  return String(Math.max(1, Math.ceil(c.ttlSeconds)));
}

/** Keeps passwords out of logs and error messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'redis (unparseable URL)';
  }
}

/** A Counters over Redis; call `ready()` to wait for the first connection. */
export function createRedisCounters(opts: RedisCountersOptions): RedisCounters {
  return new RedisCounters(opts);
}

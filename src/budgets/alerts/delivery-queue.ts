import type { Delivery } from './alert-log.js';
import type { SendRequest, SendResult, Transport } from './webhook-transport.js';

/**
 * The background delivery of webhook requests: a bounded queue, a few requests in flight, retries with exponential
 * backoff and jitter. `push` never waits and never throws; when the queue is full the OLDEST waiting job is dropped
 * (recent alerts matter more) and counted. A job waiting for its retry does not hold a request slot.
 */
export interface DeliveryOptions {
  /** Attempts per delivery, including the first. Default 5. */
  attempts?: number;
  /** Delay before the first retry; doubles each time (1 s, 2 s, 4 s, 8 s). Default 1000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Jobs waiting or retrying, at most. Default 1000. */
  maxQueue?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  timeoutMs?: number;
  /** [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

export interface Job {
  alertId: string;
  webhook: string;
  request: Omit<SendRequest, 'timeoutMs'> | (() => Omit<SendRequest, 'timeoutMs'>);
}

export interface DeliveryStats {
  queued: number;
  inFlight: number;
  delivered: number;
  failed: number;
  dropped: number;
  retries: number;
}

interface Entry {
  job: Job;
  attempts: number;
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random, so retries from many alerts spread out. */
export function backoffMs(retry: number, base: number, max: number, random: number): number {
  const d = Math.min(max, base * 2 ** (retry - 1));
  return Math.round(d / 2 + (d / 2) * random);
}

export class DeliveryQueue {
  private readonly waiting: Entry[] = [];
  private readonly timers = new Map<NodeJS.Timeout, Entry>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly o: Required<DeliveryOptions>;
  private retryingCount = 0;
  private closed = false;
  readonly stats: DeliveryStats = { queued: 0, inFlight: 0, delivered: 0, failed: 0, dropped: 0, retries: 0 };

  constructor(
    private readonly send: Transport,
    private readonly record: (d: Delivery) => void,
    options: DeliveryOptions = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.o = {
      attempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      maxQueue: 1000,
      concurrency: 4,
      timeoutMs: 10_000,
      random: Math.random,
      ...options,
    };
  }

  push(job: Job): void {
    if (this.closed) return;
    while (this.waiting.length + this.retryingCount >= this.o.maxQueue && this.waiting.length > 0) {
      const old = this.waiting.shift() as Entry;
      this.stats.dropped++;
      this.finish(old, 'dropped', null, `queue full (${this.o.maxQueue} waiting); dropped for newer alerts`);
    }
    if (this.waiting.length + this.retryingCount >= this.o.maxQueue) {
      // Every slot holds a job waiting for a retry: the newcomer is the one dropped.
      this.stats.dropped++;
      this.finish({ job, attempts: 0 }, 'dropped', null, `queue full (${this.o.maxQueue} retrying)`);
      return;
    }
    this.waiting.push({ job, attempts: 0 });
    this.pump();
  }

  /** Resolves when nothing waits, retries or is in flight. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops taking jobs and cancels pending retries (recorded as failed); in-flight requests finish. */
  async close(): Promise<void> {
    this.closed = true;
    const unsent = [...this.waiting, ...this.timers.values()];
    for (const t of this.timers.keys()) clearTimeout(t);
    this.timers.clear();
    this.retryingCount = 0;
    this.waiting.length = 0;
    for (const e of unsent) {
      this.stats.failed++;
      this.finish(e, 'failed', null, 'shut down before delivery');
    }
    this.pump();
    await this.idle();
  }

  private isIdle(): boolean {
    return this.waiting.length === 0 && this.retryingCount === 0 && this.stats.inFlight === 0;
  }

  private pump(): void {
    this.stats.queued = this.waiting.length + this.retryingCount;
    while (this.stats.inFlight < this.o.concurrency && this.waiting.length > 0) {
      const e = this.waiting.shift() as Entry;
      this.stats.inFlight++;
      void this.attempt(e);
    }
    if (this.isIdle()) for (const r of this.idleWaiters.splice(0)) r();
  }

  private async attempt(e: Entry): Promise<void> {
    e.attempts++;
    let r: SendResult;
    try {
      const req = typeof e.job.request === 'function' ? e.job.request() : e.job.request;
      r = await this.send({ ...req, timeoutMs: this.o.timeoutMs });
    } catch (err) {
      r = { kind: 'retryable', status: null, error: (err as Error).message, retryAfterMs: null };
    }
    this.stats.inFlight--;
    if (r.kind === 'success') {
      this.stats.delivered++;
      this.finish(e, 'delivered', r.status, null);
    } else if (r.kind === 'retryable' && e.attempts < this.o.attempts && !this.closed) {
      this.stats.retries++;
      const backoff = backoffMs(e.attempts, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random());
      const wait = Math.min(this.o.maxDelayMs, Math.max(backoff, r.retryAfterMs ?? 0));
      this.retryingCount++;
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.retryingCount--;
        this.waiting.unshift(e); // retries go before newer jobs
        this.pump();
      }, wait);
      t.unref(); // a pending retry must not keep a finished CLI or test process alive
      this.timers.set(t, e);
    } else {
      this.stats.failed++;
      const why =
        r.kind === 'retryable' && !this.closed
          ? `${r.error} (gave up after ${e.attempts} attempts)`
          : r.error;
      this.finish(e, 'failed', r.status, why);
    }
    this.pump();
  }

  private finish(e: Entry, outcome: Delivery['outcome'], status: number | null, error: string | null): void {
    this.record({
      alert_id: e.job.alertId,
      webhook: e.job.webhook,
      outcome,
      attempts: e.attempts,
      status,
      error,
      at: this.now().toISOString(),
    });
  }
}

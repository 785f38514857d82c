import { Redis } from 'ioredis';
import type { AnswerStore, CachedAnswer } from './response-cache.js';

/** Every answer's key starts so, beside the budget counters' `tl:` keys in the same Redis. */
const PREFIX = 'tl:answer:';

/**
 * An answer larger than this is not kept: Redis holds a value up to 512 MB, but one answer read and written whole
 * on every hit must not be one.
 */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * Answers in a Redis that every gateway instance shares (`cache: {store: redis}`), each for `ttl_ms` (its key's
 * PX). Redis's own `maxmemory` bounds them: with `maxmemory-policy volatile-lru` only keys with a TTL, the answers,
 * are let go, never the budget counters beside them.
 *
 * A cache may lose anything, so it never holds a call up: a lookup that Redis does not answer in `timeout_ms`, or
 * while it is unreachable, is a miss (counted apart in /metrics), and a write is sent without waiting for its reply.
 *
 * A value is a 4-byte length, the answer's fields as JSON, then the body's bytes.
 */
export class RedisAnswers implements AnswerStore {
  private readonly client: Redis;

  constructor(
    url: string,
    private readonly config: {
      ttl_ms: number;
      timeout_ms: number;
      /** A lookup Redis could not answer (/metrics counts them). */
      onUnavailable: () => void;
    },
  ) {
    this.client = new Redis(url, {
      commandTimeout: config.timeout_ms,
      connectTimeout: config.timeout_ms,
      // A lookup never waits for a reconnect: it is a miss now.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * times, 1000),
    });
    // Reconnecting is ioredis's, in the background; each failed lookup is counted where it fails.
    this.client.on('error', () => {});
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    try {
      const v = await this.client.getBuffer(PREFIX + key);
      return v === null ? undefined : decode(v);
    } catch {
      this.config.onUnavailable();
      return undefined;
    }
  }

  set(key: string, answer: CachedAnswer): void {
    if (!this.fits(answer.body.length)) return;
    this.client.set(PREFIX + key, encode(answer), 'PX', this.config.ttl_ms).catch(() => {});
  }

  fits(bytes: number): boolean {
    return bytes <= MAX_ANSWER_BYTES;
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

function encode(a: CachedAnswer): Buffer {
  const fields = Buffer.from(
    JSON.stringify({
      contentType: a.contentType,
      model: a.model,
      eventId: a.eventId,
      cost: a.cost === null ? null : a.cost.toString(),
    }),
  );
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(fields.length);
  return Buffer.concat([head, fields, a.body]);
}

/** An answer from its value; undefined for one that is not (another program's key, a damaged value): a miss. */
function decode(v: Buffer): CachedAnswer | undefined {
  if (v.length < 4) return undefined;
  const n = v.readUInt32BE(0);
  if (4 + n > v.length) return undefined;
  try {
    const f = JSON.parse(v.subarray(4, 4 + n).toString('utf8')) as Record<string, unknown>;
    if (typeof f.contentType !== 'string' || typeof f.model !== 'string' || typeof f.eventId !== 'string')
      return undefined;
    return {
      body: v.subarray(4 + n),
      contentType: f.contentType,
      model: f.model,
      eventId: f.eventId,
      cost: typeof f.cost === 'string' && /^\d+$/.test(f.cost) ? BigInt(f.cost) : null,
    };
  } catch {
    return undefined;
  }
}

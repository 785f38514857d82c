import { LRUCache } from 'lru-cache';
import type { AnswerStore, CachedAnswer } from './response-cache.js';

/** Bytes counted for an answer beside its body: its key, its fields and the cache's own bookkeeping. */
const ENTRY_OVERHEAD = 512;

/** Answers in this process's memory, least recently used first out when the next would not fit, each for `ttl_ms`. */
export class MemoryAnswers implements AnswerStore {
  private readonly answers: LRUCache<string, CachedAnswer>;

  constructor(config: { ttl_ms: number; max_bytes: number }) {
    this.answers = new LRUCache({
      maxSize: config.max_bytes,
      sizeCalculation: (a) => a.body.length + ENTRY_OVERHEAD,
      ttl: config.ttl_ms,
    });
  }

  get(key: string): CachedAnswer | undefined {
    return this.answers.get(key);
  }

  set(key: string, answer: CachedAnswer): void {
    this.answers.set(key, { ...answer, body: ownMemory(answer.body) });
  }

  fits(bytes: number): boolean {
    return bytes + ENTRY_OVERHEAD <= this.answers.maxSize;
  }

  async close(): Promise<void> {
    this.answers.clear();
  }
}

/**
 * The bytes in memory of their own. A buffer under 4 KB is mostly a view into one of Node's shared 8 KB slabs
 * (Buffer.concat and Buffer.from allocate from it), which it would keep alive whole: 64 MB of small answers, as the
 * cache counts them, would hold several times that.
 */
function ownMemory(b: Buffer): Buffer {
  if (b.byteLength === b.buffer.byteLength) return b;
  const own = Buffer.allocUnsafeSlow(b.byteLength);
  b.copy(own);
  return own;
}

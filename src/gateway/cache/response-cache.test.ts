import { describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../ledger/event.js';
import type { VirtualKeyRecord } from '../keys/virtual-key.js';
import { MemoryAnswers } from './memory-answers.js';
import { ResponseCache } from './response-cache.js';

const JSON_ANSWER = { 'content-type': 'application/json' };
const body = (s: string) => Buffer.from(s);
const answered = (id: string, over: Partial<UsageEvent> = {}) =>
  ({
    event_id: id,
    model: 'gpt-4o-mini',
    status: 'ok',
    error_type: null,
    cost_usd: 5n,
    ...over,
  }) as UsageEvent;
const key = (id: string) => ({ id }) as VirtualKeyRecord;

describe('the response cache', () => {
  const cache = () => new ResponseCache(new MemoryAnswers({ ttl_ms: 60_000, max_bytes: 10_000 }));
  const scope = (c: ResponseCache, headers = {}) => c.scope('chat', false, headers, null, 'sk-a')!;

  it('finds an answer by who asked, where and what, as sent upstream', async () => {
    const c = cache();
    const s = scope(c);
    c.slot(s, 'openai', '/chat/completions', body('{"q":1}'), false).keep(
      body('A'),
      JSON_ANSWER,
      answered('e1'),
    );
    expect(await c.slot(s, 'openai', '/chat/completions', body('{"q":1}'), false).answer()).toMatchObject({
      body: body('A'),
      contentType: 'application/json',
      model: 'gpt-4o-mini',
      eventId: 'e1',
      cost: 5n,
    });
    // Metering's hidden usage option: the same bytes upstream, another stream to the client.
    expect(await c.slot(s, 'openai', '/chat/completions', body('{"q":1}'), true).answer()).toBeUndefined();
    for (const [sc, upstream, path, b] of [
      [scope(c, { 'anthropic-beta': 'x' }), 'openai', '/chat/completions', '{"q":1}'],
      [c.scope('chat', false, {}, null, 'sk-b')!, 'openai', '/chat/completions', '{"q":1}'],
      [c.scope('chat', false, {}, key('vk_1'), 'sk-a')!, 'openai', '/chat/completions', '{"q":1}'],
      [s, 'azure', '/chat/completions', '{"q":1}'],
      [s, 'openai', '/completions', '{"q":1}'],
      [s, 'openai', '/chat/completions', '{"q":2}'],
    ] as const)
      expect(await c.slot(sc, upstream, path, body(b), false).answer()).toBeUndefined();
  });

  it('looks up no answer of a Responses call, a form, or a caller that said x-tokenledger-cache: off', async () => {
    const c = cache();
    expect(c.scope('responses', false, {}, null, null)).toBeNull();
    expect(c.scope('transcription', true, {}, null, null)).toBeNull();
    expect(c.scope('chat', false, { 'x-tokenledger-cache': ' OFF ' }, null, null)).toBeNull();
    expect(c.scope('messages', false, { 'x-tokenledger-cache': 'on' }, null, null)).not.toBeNull();
  });

  it('keeps only whole answers with their usage, in an encoding it can serve', async () => {
    const c = cache();
    const s = scope(c);
    const tries = [
      [answered('e1', { status: 'error', error_type: 'server_error' }), JSON_ANSWER],
      [answered('e2', { error_type: 'usage_missing' }), JSON_ANSWER],
      [answered('e3'), { ...JSON_ANSWER, 'content-encoding': 'zstd' }],
      [answered('e4'), {}],
    ] as const;
    for (const [i, [event, headers]] of tries.entries()) {
      c.slot(s, 'openai', '/x', body(String(i)), false).keep(body('A'), headers, event);
      expect(await c.slot(s, 'openai', '/x', body(String(i)), false).answer()).toBeUndefined();
    }
  });

  it('keeps a small answer in memory of its own, not in the shared slab it was read into', async () => {
    const c = cache();
    const slot = c.slot(scope(c), 'openai', '/x', body('q'), false);
    const small = Buffer.from('{"answer":"A"}');
    expect(small.buffer.byteLength).toBeGreaterThan(small.byteLength); // a view into Node's pool
    slot.keep(small, JSON_ANSWER, answered('e1'));
    const kept = (await slot.answer())!.body;
    expect(kept).toEqual(small);
    expect(kept.buffer.byteLength).toBe(small.byteLength);
  });

  it('lets the least recently used answers go when the next would not fit', async () => {
    const c = new ResponseCache(new MemoryAnswers({ ttl_ms: 60_000, max_bytes: 3 * (1000 + 512) }));
    const s = scope(c);
    const slot = (i: number) => c.slot(s, 'openai', '/x', body(String(i)), false);
    for (const i of [1, 2, 3]) slot(i).keep(Buffer.alloc(1000), JSON_ANSWER, answered(`e${i}`));
    expect(await slot(1).answer()).toBeDefined(); // used: 2 is now the least recently used
    slot(4).keep(Buffer.alloc(1000), JSON_ANSWER, answered('e4'));
    expect(
      await Promise.all([1, 2, 3, 4].map(async (i) => (await slot(i).answer())?.eventId ?? null)),
    ).toEqual(['e1', null, 'e3', 'e4']);
    expect(slot(5).fits(3 * 1512 - 512)).toBe(true);
    expect(slot(5).fits(3 * 1512 - 511)).toBe(false);
  });

  it('coalesces: a request asked while the same one is in flight waits for its answer, or goes upstream without one', async () => {
    const c = cache();
    const s = scope(c);
    const slot = (coalesce = true) => c.slot(s, 'openai', '/x', body('q'), false, coalesce);
    const first = slot();
    expect(await first.answer()).toBeUndefined(); // sent upstream: the one the next wait for
    const waiting = [slot().answer(), slot().answer()];
    // Not coalescing (a stream): no wait.
    expect(await slot(false).answer()).toBeUndefined();
    first.keep(body('A'), JSON_ANSWER, answered('e1'));
    first.settle();
    for (const w of await Promise.all(waiting)) expect(w?.eventId).toBe('e1');

    // An answer not kept (an error): those waiting go upstream themselves, and the next to ask leads again.
    const other = () => c.slot(s, 'openai', '/x', body('r'), false, true);
    const failed = other();
    expect(await failed.answer()).toBeUndefined();
    const waiter = other().answer();
    await new Promise((r) => setImmediate(r)); // it looked, found `failed` in flight, and waits
    failed.keep(body('E'), JSON_ANSWER, answered('e2', { status: 'error' }));
    failed.settle();
    failed.settle(); // idempotent
    expect(await waiter).toBeUndefined();
    const next = other();
    expect(await next.answer()).toBeUndefined();
    let waited = false;
    const after = other()
      .answer()
      .then((a) => {
        waited = true;
        return a;
      });
    await new Promise((r) => setTimeout(r, 20));
    expect(waited).toBe(false); // waits on `next`
    next.settle();
    expect(await after).toBeUndefined();
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Reservation } from '../budgets/enforcer.js';
import { BackgroundResponses, backgroundResponse, finishedOutcome } from './background-responses.js';
import type { CallContext } from './call.js';
import type { Upstream } from './config.js';

const upstream = { name: 'openai' } as Upstream;

function held(model: string): CallContext {
  const reservation: Reservation = { model, headers: {}, held: [], rate: null, done: false, marker: null };
  return { model, upstream, reservation } as CallContext;
}

// The shape of https://platform.openai.com/docs/api-reference/responses/object, trimmed.
const response = (status: string, extra: object = {}) => ({
  id: 'resp_1',
  object: 'response',
  created_at: 1_760_000_000,
  status,
  background: true,
  model: 'gpt-4o',
  output: [],
  usage: null,
  ...extra,
});

describe('backgroundResponse', () => {
  it('reads a response object or the one a stream event wraps, and only one created in background', () => {
    expect(backgroundResponse(response('queued'))).toMatchObject({ id: 'resp_1', final: false });
    expect(backgroundResponse({ type: 'response.completed', response: response('completed') })).toMatchObject(
      {
        final: true,
        created_at: 1_760_000_000,
      },
    );
    expect(backgroundResponse({ ...response('completed'), background: false })).toBeNull();
    expect(backgroundResponse({ object: 'list', data: [] })).toBeNull();
  });
});

describe('finishedOutcome', () => {
  it('failed is an error with its code, cancelled is aborted, completed is ok with the time it ran', () => {
    const usage = { input_tokens: 10, output_tokens: 5, input_tokens_details: { cached_tokens: 0 } };
    const failed = backgroundResponse(
      response('failed', { usage, error: { code: 'server_error', message: 'x' } }),
    )!;
    expect(finishedOutcome(failed)).toMatchObject({ status: 'error', error: 'server_error' });
    expect(finishedOutcome(backgroundResponse(response('cancelled'))!)).toMatchObject({
      status: 'aborted',
      error: 'response_cancelled',
      estimate: undefined,
    });
    const done = backgroundResponse(response('completed', { usage, completed_at: 1_760_000_042 }))!;
    expect(finishedOutcome(done)).toMatchObject({ status: 'ok', error: null, duration_ms: 42_000 });
  });
});

describe('BackgroundResponses', () => {
  it('gives back the reservation of a call it forgets (too many waiting, or waiting too long)', () => {
    const released: string[] = [];
    const r = new BackgroundResponses((x) => released.push(x.model), 2, 1000);
    r.hold('a', held('a'), 0);
    r.hold('b', held('b'), 10);
    r.hold('c', held('c'), 20);
    expect(released).toEqual(['a']);
    expect(r.take('a')).toBeNull();
    r.hold('d', held('d'), 1015);
    expect(released).toEqual(['a', 'b']);
    expect(r.take('c')?.model).toBe('c');
    expect(r.take('c')).toBeNull();
  });

  describe('with no further background call', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("gives back a waiting call's reservation once it has waited ttl_ms, without a new call to notice", () => {
      vi.useFakeTimers({ now: 1_000_000 });
      const released: string[] = [];
      const r = new BackgroundResponses((x) => released.push(x.model), 10, 1000);
      r.hold('a', held('a'));
      vi.advanceTimersByTime(400);
      r.hold('b', held('b'));
      vi.advanceTimersByTime(599);
      expect(released).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(released).toEqual(['a']);
      expect(r.take('a')).toBeNull();
      vi.advanceTimersByTime(400);
      expect(released).toEqual(['a', 'b']);
      expect(r.take('b')).toBeNull();
    });

    it('keeps no timer once nothing waits', () => {
      vi.useFakeTimers({ now: 1_000_000 });
      const r = new BackgroundResponses(() => {}, 10, 1000);
      r.hold('a', held('a'));
      r.take('a');
      vi.advanceTimersByTime(1000);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it('marks a response recorded once, remembers its upstream, and forgets it when the record failed', () => {
    const r = new BackgroundResponses(() => {});
    expect(r.markRecorded('x', upstream)).toBe(true);
    expect(r.markRecorded('x', upstream)).toBe(false);
    expect(r.upstreamOf('x')).toBe(upstream);
    r.forget('x');
    expect(r.markRecorded('x', upstream)).toBe(true);
  });
});

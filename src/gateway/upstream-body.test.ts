import { describe, expect, it } from 'vitest';
import { type BodySink, DispatchedBody } from './upstream-body.js';

/** A body with its socket's resume and the request's abort counted, as undici's dispatch callbacks feed it. */
function body() {
  const calls = { resumed: 0, aborted: [] as Error[] };
  const b = new DispatchedBody(
    () => calls.resumed++,
    (e) => {
      calls.aborted.push(e);
      b.fail(e); // undici answers an abort with the handler's onError
    },
  );
  return { b, calls };
}

/** A sink that records what it got, full after `room` hand-overs until it is given more. */
function sink(room = Number.POSITIVE_INFINITY) {
  const got = { data: [] as string[], ended: false, error: null as Error | null };
  const s: BodySink = {
    data: (c) => {
      got.data.push(c.toString());
      return got.data.length < room;
    },
    end: () => {
      got.ended = true;
    },
    error: (e) => {
      got.error = e;
    },
  };
  return { s, got };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('an upstream body', () => {
  it('is read whole, whether it ended before or after it was asked for', async () => {
    const { b } = body();
    b.push(Buffer.from('{"a":'));
    const whole = b.bytes();
    b.push(Buffer.from('1}'));
    b.end();
    expect((await whole).toString()).toBe('{"a":1}');

    const { b: done } = body();
    done.push(Buffer.from('x'));
    done.end();
    expect((await done.bytes()).toString()).toBe('x');
  });

  it('rejects a whole read when the upstream breaks off', async () => {
    const { b } = body();
    const whole = b.bytes();
    b.push(Buffer.from('{"a":'));
    b.fail(new Error('socket hang up'));
    await expect(whole).rejects.toThrow('socket hang up');
  });

  it('forwards what arrived before at once, then what arrives in one turn as one buffer, with the end', async () => {
    const { b } = body();
    b.push(Buffer.from('data: 0\n\n'));
    const { s, got } = sink();
    b.forward(s);
    expect(got.data).toEqual(['data: 0\n\n']);
    b.push(Buffer.from('data: 1\n\n'));
    b.push(Buffer.from('data: 2\n\n'));
    await tick();
    expect(got.data).toEqual(['data: 0\n\n', 'data: 1\n\ndata: 2\n\n']);
    b.push(Buffer.from('data: 3\n\n'));
    b.end();
    expect(got.data).toEqual(['data: 0\n\n', 'data: 1\n\ndata: 2\n\n', 'data: 3\n\n']);
    expect(got.ended).toBe(true);
  });

  it('holds the upstream while the sink is full, and resumes it when the sink has room', async () => {
    const { b, calls } = body();
    const { s, got } = sink(1);
    const more = b.forward(s);
    b.push(Buffer.from('a'));
    await tick();
    expect(got.data).toEqual(['a']);
    // Full: undici is told to pause, and what it already parsed waits here.
    expect(b.push(Buffer.from('b'))).toBe(false);
    b.end();
    expect(got.ended).toBe(false);
    expect(calls.resumed).toBe(0);
    more();
    expect(got.data).toEqual(['a', 'b']);
    // Full again after 'b' (room 1): the end waits for the next `more`.
    expect(got.ended).toBe(false);
    more();
    expect(got.ended).toBe(true);
  });

  it('resumes the socket once a full sink drains before the end', async () => {
    const { b, calls } = body();
    let full = true;
    const got: string[] = [];
    const more = b.forward({
      data: (c) => {
        got.push(c.toString());
        return !full;
      },
      end: () => {},
      error: () => {},
    });
    b.push(Buffer.from('a'));
    await tick();
    expect(b.push(Buffer.from('b'))).toBe(false);
    full = false;
    more();
    expect(got).toEqual(['a', 'b']);
    expect(calls.resumed).toBe(1);
  });

  it('tells the sink when the upstream breaks off, and hands over nothing after', async () => {
    const { b } = body();
    const { s, got } = sink();
    b.forward(s);
    b.push(Buffer.from('partial'));
    b.fail(new Error('terminated'));
    await tick();
    expect(got.error?.message).toBe('terminated');
    expect(got.data).toEqual([]);
    expect(got.ended).toBe(false);
  });

  it('ends the upstream request when dropped unread, and not once it has ended', async () => {
    const { b, calls } = body();
    b.push(Buffer.from('{"error":'));
    await b.dump();
    expect(calls.aborted).toHaveLength(1);

    const { b: done, calls: doneCalls } = body();
    done.end();
    await done.dump();
    expect(doneCalls.aborted).toHaveLength(0);
  });

  it('is a stream when asked: what arrived first, then the rest; destroying it ends the request', async () => {
    const { b } = body();
    b.push(Buffer.from('a'));
    const r = b.stream();
    b.push(Buffer.from('b'));
    b.end();
    const parts: string[] = [];
    for await (const c of r) parts.push(String(c));
    expect(parts.join('')).toBe('ab');

    const { b: open, calls } = body();
    open.stream().destroy();
    expect(calls.aborted).toHaveLength(1);
  });
});

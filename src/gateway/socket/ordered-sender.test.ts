import { describe, expect, it } from 'vitest';
import { OrderedSender } from './ordered-sender.js';

function socket() {
  const sent: (string | Buffer)[] = [];
  return {
    sent,
    readyState: 1,
    send: (m: string | Buffer) => void sent.push(m),
    close: (code: number, reason: string) => void sent.push(`close ${code} ${reason}`),
  };
}

describe('OrderedSender', () => {
  it('sends a ready message at once when nothing waits', () => {
    const s = socket();
    new OrderedSender(s).send('a');
    expect(s.sent).toEqual(['a']);
  });

  it('holds every message behind one not ready yet, then sends them in the order given', async () => {
    const s = socket();
    const out = new OrderedSender(s);
    let ready!: (m: string) => void;
    out.send('delta');
    out.send(new Promise<string>((r) => (ready = r)));
    out.send('next response created');
    out.send(Buffer.from('binary'));
    await new Promise((r) => setTimeout(r, 5));
    expect(s.sent).toEqual(['delta']);
    ready('completed');
    await new Promise((r) => setTimeout(r, 5));
    expect(s.sent).toEqual(['delta', 'completed', 'next response created', Buffer.from('binary')]);
    out.send('after');
    expect(s.sent.at(-1)).toBe('after');
  });

  it('closes the socket once what was given before it is sent', async () => {
    const s = socket();
    const out = new OrderedSender(s);
    out.send(Promise.resolve('error event'));
    out.close(1011, 'upstream gone');
    expect(s.sent).toEqual([]);
    await new Promise((r) => setTimeout(r, 5));
    expect(s.sent).toEqual(['error event', 'close 1011 upstream gone']);
  });

  it('drops what is given once the socket is no longer open', () => {
    const s = { ...socket(), readyState: 3 };
    new OrderedSender(s).send('late');
    expect(s.sent).toEqual([]);
  });
});

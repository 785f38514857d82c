import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCreate, keysList } from '../../src/cli/keys.js';
import type { CallContent } from '../../src/ledger/call-content.js';
import { formatUsdDisplay } from '../../src/money/money.js';
import { LONG_ANSWER, WORDS } from './fake-provider.js';
import { type Harness, startHarness } from './helpers.js';

/** Prompt and completion text: kept for a key created with --store-content, never otherwise (issue 4, point 9). */
let h: Harness;
let keeping: string;
let plain: string;

beforeAll(async () => {
  h = await startHarness({ OPENAI_API_KEY: 'sk-provider', ANTHROPIC_API_KEY: 'sk-ant-provider' });
  keeping = await keysCreate({ db: h.ledger, team: 'support', storeContent: true }, () => {});
  plain = await keysCreate({ db: h.ledger, team: 'support' }, () => {});
});
afterAll(() => h.close());

const openai = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
const ANSWER = WORDS.join('');

/** The stored text of the call that answered with this event id (after the log drained into the store). */
async function textOf(eventId: string): Promise<CallContent | null> {
  const e = await h.event(eventId);
  return h.server.store.content(eventId, e.ts);
}

describe('a key created with --store-content', () => {
  it('keeps the request as the client sent it and the answer, for a whole JSON answer', async () => {
    const messages = [
      { role: 'user' as const, content: 'Summarise "the ledger" — in ünïcode <b>please</b>' },
    ];
    const { response } = await openai(keeping)
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    const id = response.headers.get('x-tokenledger-event-id')!;
    const text = await textOf(id);
    expect(text).toEqual({
      event_id: id,
      ts: (await h.event(id)).ts,
      request: h.fake.requests.at(-1)!.body,
      completion: ANSWER,
    });
    expect(JSON.parse(text!.request).messages).toEqual(messages);
  });

  it('keeps the whole answer of a call over 1 MiB, which is metered without reading its text', async () => {
    const { data, response } = await openai(keeping)
      .chat.completions.create({ model: 'gpt-4o-mini-long', messages: [{ role: 'user', content: 'go on' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe(LONG_ANSWER);
    const id = response.headers.get('x-tokenledger-event-id')!;
    expect((await h.event(id)).status).toBe('ok');
    expect((await textOf(id))?.completion).toBe(LONG_ANSWER);
  });

  it("keeps a stream's text put together, and the request without what the gateway added upstream", async () => {
    const { data: stream, response } = await openai(keeping)
      .chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'stream it' }],
        stream: true,
      })
      .withResponse();
    let got = '';
    for await (const chunk of stream) got += chunk.choices[0]?.delta?.content ?? '';
    expect(got).toBe(ANSWER);
    const text = await textOf(response.headers.get('x-tokenledger-event-id')!);
    expect(text?.completion).toBe(ANSWER);
    // The gateway asked upstream for the usage chunk; what is kept is what the client sent.
    expect(h.fake.requests.at(-1)!.body).toContain('include_usage');
    expect(JSON.parse(text!.request)).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream it' }],
      stream: true,
    });
  });

  it('keeps an Anthropic stream and an upstream error body too', async () => {
    const anthropic = new Anthropic({ apiKey: keeping, baseURL: h.server.url, maxRetries: 0 });
    const { response } = await anthropic.messages
      .stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    const id = response.headers.get('x-tokenledger-event-id')!;
    const text = await textOf(id);
    expect(text?.completion).toBe(ANSWER);
    expect(JSON.parse(text!.request).messages).toEqual([{ role: 'user', content: 'hi' }]);

    const failed = await fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keeping}`, 'content-type': 'application/json' },
      body: '{"model":"gpt-4o-e500","messages":[]}',
    });
    expect(failed.status).toBe(500);
    const body = await failed.text();
    expect((await textOf(failed.headers.get('x-tokenledger-event-id')!))?.completion).toBe(body);
  });

  it('is listed as keeping text, with what it spent this month', async () => {
    const events = await h.all();
    const lines: string[] = [];
    // The server holds the ledger: the list asks it for each key's spend.
    await keysList({ db: h.ledger }, (s) => lines.push(s));
    const listed = lines.filter((l) => l.includes('stores prompt and completion text'));
    expect(listed).toHaveLength(1);
    const id = listed[0]!.split(' ')[0]!;
    const spent = events.filter((e) => e.api_key_id === id).reduce((t, e) => t + (e.cost_usd ?? 0n), 0n);
    expect(spent).toBeGreaterThan(0n);
    expect(listed[0]).toContain(`  spent ${formatUsdDisplay(spent)} this month\n`);
  });
});

describe('without the opt-in', () => {
  it('nothing is kept: a key without it, and a caller with its own provider key', async () => {
    const before = await h.all();
    const calls = [
      openai(plain).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      }),
      openai('sk-callers-own').chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'y' }],
      }),
    ];
    await Promise.all(calls.map((c) => c.withResponse()));
    const fresh = (await h.all()).filter((e) => !before.some((b) => b.event_id === e.event_id));
    expect(fresh).toHaveLength(2);
    for (const e of fresh) expect(await h.server.store.content(e.event_id, e.ts)).toBeNull();
  });
});

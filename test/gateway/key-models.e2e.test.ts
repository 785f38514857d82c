import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCreate, keysList, keysUpdate } from '../../src/cli/keys.js';
import { type Harness, refusedHandshake, startHarness } from './helpers.js';

// A virtual key limited to some models (`keys create --models`): docs/gateway.md, Keys and attribution.
let h: Harness;
let key: string;
let id: string;

beforeAll(async () => {
  h = await startHarness({ OPENAI_API_KEY: 'sk-openai-provider', ANTHROPIC_API_KEY: 'sk-ant-provider' });
  const said: string[] = [];
  key = await keysCreate({ db: h.ledger, team: 'interns', models: 'gpt-4o-mini, claude-haiku-*' }, (s) =>
    said.push(s),
  );
  id = /Created virtual key (vk_[0-9a-f]+)/.exec(said.join(''))![1]!;
  // The running server reads the key file again when it changes (about once a second).
  await new Promise((r) => setTimeout(r, 1100));
});
afterAll(() => h.close());

/** An official SDK's error as the gateway answered it: status, the error body's code, its message. */
const refusal = (e: unknown) => ({
  status: (e as { status?: number }).status,
  code: (e as { error?: { code?: string } }).error?.code,
  message: (e as Error).message,
});

describe('a virtual key limited to models', () => {
  it('calls the models it names, globs included, and is refused any other with 403 before anything goes upstream', async () => {
    const openai = new OpenAI({ apiKey: key, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const anthropic = new Anthropic({ apiKey: key, baseURL: h.server.url, maxRetries: 0 });
    const ok = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    expect(ok.choices.length).toBeGreaterThan(0);
    const haiku = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(haiku.type).toBe('message');

    const sent = h.fake.requests.length;
    const gpt4o = await openai.chat.completions.create({ model: 'gpt-4o', messages: [] }).catch((e) => e);
    expect(refusal(gpt4o)).toMatchObject({
      status: 403,
      code: 'GW_MODEL_NOT_ALLOWED',
      message: expect.stringContaining(
        `virtual key ${id} may call gpt-4o-mini, claude-haiku-*, not "gpt-4o"; ask for one of those, or change the key: tokenledger keys update ${id} --models LIST`,
      ),
    });
    const sonnet = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e);
    expect(refusal(sonnet)).toMatchObject({ status: 403 });
    expect(h.fake.requests.length).toBe(sent);

    // A Realtime handshake is checked as a call is, and a transcription session, which names no model, is refused.
    const socket = `${h.server.url.replace('http', 'ws')}/v1/realtime`;
    const realtime = await refusedHandshake(`${socket}?model=gpt-realtime`, {
      authorization: `Bearer ${key}`,
    });
    expect([realtime.status, JSON.parse(realtime.body).error.code]).toEqual([403, 'GW_MODEL_NOT_ALLOWED']);
    const transcription = await refusedHandshake(`${socket}?intent=transcription`, {
      authorization: `Bearer ${key}`,
    });
    expect(JSON.parse(transcription.body).error.message).toContain(
      'a Realtime transcription session names no model at its handshake',
    );
  });

  it('shows its models in keys list, and keys update changes them or lifts the limit with any', async () => {
    let listed = '';
    await keysList({ db: h.ledger }, (s) => (listed += s));
    expect(listed).toContain('models=gpt-4o-mini,claude-haiku-*');
    const openai = new OpenAI({ apiKey: key, baseURL: `${h.server.url}/v1`, maxRetries: 0 });

    await keysUpdate({ db: h.ledger, id, models: 'gpt-4o' }, () => {});
    await new Promise((r) => setTimeout(r, 1100));
    expect((await openai.chat.completions.create({ model: 'gpt-4o', messages: [] })).choices.length).toBe(1);
    expect(
      refusal(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }).catch((e) => e)),
    ).toMatchObject({ status: 403 });

    await keysUpdate({ db: h.ledger, id, models: 'any' }, () => {});
    await new Promise((r) => setTimeout(r, 1100));
    expect(
      (await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] })).choices.length,
    ).toBe(1);
    listed = '';
    await keysList({ db: h.ledger }, (s) => (listed += s));
    expect(listed).not.toContain('models=');

    await expect(keysUpdate({ db: h.ledger, id, models: ' , ' }, () => {})).rejects.toMatchObject({
      code: 'CLI_BAD_OPTION',
      message: expect.stringContaining('--models " , ": expected model names or globs separated by commas'),
    });
  });
});

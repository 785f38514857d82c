import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRecords } from '../../src/cli/context.js';
import { keysCreate, keysList, keysUpdate } from '../../src/cli/keys.js';
import { type Harness, refusedHandshake, startHarness } from './helpers.js';

// A virtual key with an end (`keys create --expires`): docs/gateway.md, Keys and attribution.
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ OPENAI_API_KEY: 'sk-openai-provider', ANTHROPIC_API_KEY: 'sk-ant-provider' });
});
afterAll(() => h.close());

async function create(expires: string): Promise<{ key: string; id: string }> {
  const said: string[] = [];
  const key = await keysCreate({ db: h.ledger, team: 'contractors', expires }, (s) => said.push(s));
  return { key, id: /Created virtual key (vk_[0-9a-f]+)/.exec(said.join(''))![1]! };
}

/** The key's end moved to `at`, as the clock passing it would leave it. */
async function endAt(id: string, at: Date): Promise<void> {
  await withRecords({ db: h.ledger }, async (r) => {
    const k = (await r.keys.list()).find((x) => x.id === id)!;
    await r.keys.put({ ...k, expires_at: at.toISOString() });
  });
  // The running server reads the key file again when it changes (about once a second).
  await new Promise((r) => setTimeout(r, 1100));
}

const refusal = (e: unknown) => ({
  status: (e as { status?: number }).status,
  code: (e as { error?: { code?: string } }).error?.code,
  message: (e as Error).message,
});

describe('a virtual key with an expiry', () => {
  it('works until then, and is refused with 401 GW_KEY_EXPIRED after, before anything goes upstream', async () => {
    const { key, id } = await create('30d');
    await new Promise((r) => setTimeout(r, 1100));
    const openai = new OpenAI({ apiKey: key, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const anthropic = new Anthropic({ apiKey: key, baseURL: h.server.url, maxRetries: 0 });
    expect(
      (await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] })).choices.length,
    ).toBe(1);

    await endAt(id, new Date(Date.now() - 1000));
    const sent = h.fake.requests.length;
    const late = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }).catch((e) => e);
    expect(refusal(late)).toMatchObject({
      status: 401,
      code: 'GW_KEY_EXPIRED',
      message: expect.stringContaining(`virtual key ${id} expired at`),
    });
    const message = await anthropic.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e);
    expect(refusal(message)).toMatchObject({ status: 401 });
    // A Realtime handshake too: a socket is a call that has not ended.
    const socket = await refusedHandshake(
      `${h.server.url.replace('http', 'ws')}/v1/realtime?model=gpt-realtime`,
      {
        authorization: `Bearer ${key}`,
      },
    );
    expect([socket.status, JSON.parse(socket.body).error.code]).toEqual([401, 'GW_KEY_EXPIRED']);
    expect(h.fake.requests.length).toBe(sent);

    // Extended, it works again.
    await keysUpdate({ db: h.ledger, id, expires: '2w' }, () => {});
    await new Promise((r) => setTimeout(r, 1100));
    expect(
      (await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] })).choices.length,
    ).toBe(1);
  });

  it('shows its end in keys list, EXPIRED once past, and keys update takes it away with never', async () => {
    const { id } = await create('2027-01-01');
    let listed = '';
    await keysList({ db: h.ledger }, (s) => (listed += s));
    expect(listed).toMatch(new RegExp(`${id} .* expires 2027-01-01T00:00:00.000Z`));
    await endAt(id, new Date(Date.now() - 60_000));
    listed = '';
    await keysList({ db: h.ledger }, (s) => (listed += s));
    expect(listed).toMatch(new RegExp(`${id} .* EXPIRED `));
    await keysUpdate({ db: h.ledger, id, expires: 'never' }, () => {});
    listed = '';
    await keysList({ db: h.ledger }, (s) => (listed += s));
    expect(listed).toMatch(new RegExp(`${id} `));
    expect(listed).not.toMatch(new RegExp(`${id} .*(expires|EXPIRED)`));
  });

  it('refuses an end that is not a time, or has passed', async () => {
    await expect(create('soon')).rejects.toMatchObject({
      code: 'CLI_BAD_OPTION',
      message: expect.stringContaining('--expires "soon": expected a time from now like 30d'),
    });
    await expect(create('2020-01-01')).rejects.toMatchObject({
      code: 'CLI_BAD_OPTION',
      message: expect.stringContaining('--expires "2020-01-01" is in the past'),
    });
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import type { UsageEvent } from '../../src/ledger/event.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { type FakeProvider, startFakeProvider } from './fake-provider.js';

export interface Harness {
  dir: string;
  ledger: string;
  fake: FakeProvider;
  server: RunningServer;
  /** Moves the WAL into the store and returns the recorded event with this id. */
  event(id: string): Promise<UsageEvent>;
  /**
   * The event with this id once it is recorded (waiting up to a second): a call the client left is recorded when the
   * gateway sees it gone, after the client has moved on.
   */
  recorded(id: string): Promise<UsageEvent>;
  all(): Promise<UsageEvent[]>;
  close(): Promise<void>;
}

export async function startHarness(
  env: NodeJS.ProcessEnv = {},
  configPath: string | null = null,
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tl-gw-'));
  const ledger = join(dir, 'ledger.duckdb');
  const fake = await startFakeProvider();
  const server = await startServer({
    ledgerPath: ledger,
    configPath,
    port: 0,
    upstream: [`openai=${fake.url}/v1`, `anthropic=${fake.url}`],
    cwd: dir,
    env,
    openStore: (p) => createDuckDbStore(p),
    log: () => {},
  });
  const all = async () => {
    await server.wal.drain();
    return server.store.events({ limit: 10_000 });
  };
  const event = async (id: string) => {
    const e = (await all()).find((x) => x.event_id === id);
    if (e === undefined) throw new Error(`event ${id} is not in the ledger`);
    return e;
  };
  return {
    dir,
    ledger,
    fake,
    server,
    all,
    event,
    async recorded(id: string) {
      for (let i = 0; i < 50 && !(await all()).some((x) => x.event_id === id); i++)
        await new Promise((r) => setTimeout(r, 20));
      return event(id);
    },
    async close() {
      await server.close();
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A harness whose server reads this config file's text (tokenledger.config.yaml), removed with it on close. */
export async function startHarnessWithConfig(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tl-gw-config-'));
  const path = join(dir, 'tokenledger.config.yaml');
  await writeFile(path, yaml);
  const h = await startHarness(env, path);
  return {
    ...h,
    async close() {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The event id of a streamed call the fake provider breaks before its first event (a model named `…-broken-at-start`),
 * once the client has read the stream to the failure it ends in: the provider never said what the input was, so the
 * event is the gateway's estimate.
 */
export async function brokenStreamEvent(
  call: Promise<{ data: AsyncIterable<unknown>; response: Response }>,
): Promise<string> {
  const { data, response } = await call;
  await expect(
    (async () => {
      for await (const _ of data);
    })(),
  ).rejects.toThrow();
  return response.headers.get('x-tokenledger-event-id')!;
}

/** Expects a call of the official openai client to be refused by a block budget: a 429 `GW_BUDGET_EXCEEDED`. */
export async function refusedByBudget(call: Promise<unknown>): Promise<void> {
  const e = await call.catch((e: unknown) => e);
  expect(e).toBeInstanceOf(OpenAI.RateLimitError);
  expect((e as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'GW_BUDGET_EXCEEDED' });
}

/**
 * A background response made at the fake provider itself, not through the gateway (as before a restart, or by another
 * instance): its id.
 */
export async function backgroundMadeElsewhere(h: Harness, model: string): Promise<string> {
  const made = await fetch(`${h.fake.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: 'hi', background: true }),
  });
  return ((await made.json()) as { id: string }).id;
}

/** A WebSocket handshake to `url` (ws:…) that the server refuses: its HTTP answer. */
export function refusedHandshake(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => reject(new Error('the handshake was accepted')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
  });
}

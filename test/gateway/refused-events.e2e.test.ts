import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSED_FILE } from '../../src/ledger/wal/set-aside.js';
import { type RunningServer, startServer, walDir } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

// An OpenAI-compatible upstream with a bug: for the model `broken-usage` it reports 1e300 prompt tokens, a count
// the ledger cannot hold (tokens are integers up to 2^53 − 1). Every other model gets a normal answer.
function answer(model: string) {
  return {
    id: `chatcmpl-${model}`,
    object: 'chat.completion',
    created: 1_760_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: model === 'broken-usage' ? 1e300 : 12, completion_tokens: 3, total_tokens: 15 },
  };
}

let upstream: Server;
let dir: string;
let ledger: string;
let server: RunningServer;
const logs: string[] = [];

async function start(): Promise<RunningServer> {
  return startServer({
    ledgerPath: ledger,
    configPath: null,
    port: 0,
    upstream: [`openai=http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`],
    cwd: dir,
    env: {},
    openStore: (p) => createDuckDbStore(p),
    log: (line) => logs.push(line),
  });
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer((JSON.parse(body) as { model: string }).model)));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  dir = await mkdtemp(join(tmpdir(), 'tl-refused-'));
  ledger = join(dir, 'ledger.duckdb');
  server = await start();
});
afterAll(async () => {
  await server.close();
  await new Promise<void>((r) => upstream.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

describe('an acknowledged event the store refuses', () => {
  it('is set aside with its reason, and the calls around it reach the ledger', async () => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1` });
    const ask = (model: string) =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const before = await ask('gpt-4o-mini');
    const broken = await ask('broken-usage');
    const after = await ask('gpt-4o');
    // The caller got its answer: the gateway acknowledged the call.
    expect(broken.response.status).toBe(200);
    await server.wal.drain();

    const stored = (await server.store.events({ limit: 100 })).map((e) => e.event_id).sort();
    const id = (r: { response: Response }) => r.response.headers.get('x-tokenledger-event-id')!;
    expect(stored).toEqual([id(before), id(after)].sort());

    const lines = readFileSync(join(walDir(ledger), REFUSED_FILE), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(1);
    const refused = JSON.parse(lines[0]!);
    expect(refused).toMatchObject({
      code: 'STORE_BAD_EVENT',
      record: { event_id: id(broken), input_tokens: 1e300 },
    });
    expect(refused.reason).toContain('input_tokens must be a non-negative integer');
    expect(logs.join('\n')).toContain(
      `the store refused 1 acknowledged event(s); kept in ${join(walDir(ledger), REFUSED_FILE)}`,
    );

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^tokenledger_wal_refused_events_total 1$/m);
    expect(server.wal.depth()).toBe(0);

    // Later calls are stored as usual: nothing waits behind the refused one.
    const later = await ask('gpt-4o-mini');
    await server.wal.drain();
    expect((await server.store.events({ limit: 100 })).map((e) => e.event_id)).toContain(id(later));
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../src/ledger/event.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { freePort } from '../helpers/free-port.js';
import { type FakeProvider, startFakeProvider } from './fake-provider.js';

// A FinOps user adds a negotiated or self-hosted price while the server runs: the next call is priced with it,
// through the gateway and over OTLP alike, and a broken edit keeps the prices in force.
const PRICED = `models:
  - id: acme-ft-1
    provider: openai
    prices: { input_mtok: "1", cache_read_mtok: "0.5", output_mtok: "2" }
`;

describe('tokenledger serve with a price overrides file edited while it runs', () => {
  let dir: string;
  let fake: FakeProvider;
  let server: RunningServer;
  const said: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-price-reload-'));
    fake = await startFakeProvider();
    server = await startServer({
      ledgerPath: join(dir, 'ledger.duckdb'),
      configPath: null,
      port: 0,
      otlpPort: await freePort(),
      upstream: [`openai=${fake.url}/v1`],
      cwd: dir,
      env: {},
      openStore: (p) => createDuckDbStore(p),
      log: (line) => said.push(line),
    });
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  const chat = () =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-caller', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'acme-ft-1', messages: [{ role: 'user', content: 'hi' }] }),
    });
  const span = (id: number) => ({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'app' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: id.toString(16).padStart(16, '0'),
                name: 'chat acme-ft-1',
                startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n + 1_000_000n),
                attributes: [
                  { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
                  { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                  { key: 'gen_ai.request.model', value: { stringValue: 'acme-ft-1' } },
                  { key: 'gen_ai.usage.input_tokens', value: { intValue: '1000' } },
                  { key: 'gen_ai.usage.output_tokens', value: { intValue: '100' } },
                ],
              },
            ],
          },
        ],
      },
    ],
  });
  const otlp = async (id: number) => {
    const res = await fetch(`${server.otlpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(span(id)),
    });
    expect(res.status).toBe(200);
  };
  const events = async (): Promise<UsageEvent[]> => {
    await server.wal.drain();
    return server.store.events({ limit: 100 });
  };
  /** Calls until one is priced (the file is looked at every 2 s), and returns that call's cost header. */
  const pricedCall = async (): Promise<string> => {
    for (let i = 0; i < 40; i++) {
      const res = await chat();
      expect(res.status).toBe(200);
      const cost = res.headers.get('x-tokenledger-cost-usd');
      if (cost !== null) return cost;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('the new prices were never used');
  };

  it('prices the next gateway call and OTLP span with a model added to the file, and keeps them through a bad edit', async () => {
    const unpriced = await chat();
    expect(unpriced.headers.get('x-tokenledger-cost-usd')).toBeNull();
    await otlp(1);

    await writeFile(join(dir, 'tokenledger.prices.yaml'), PRICED);
    // The fake provider reports 1500 prompt tokens (1024 cached) and 420 completion tokens:
    // 476 × $1/M + 1024 × $0.50/M + 420 × $2/M = $0.001828.
    expect(await pricedCall()).toBe('0.001828000000');
    expect(said.find((l) => l.startsWith('prices:'))).toMatch(
      /tokenledger\.prices\.yaml reloaded; price version genai-prices@[\d.]+ → genai-prices@[\d.]+\+ov:[0-9a-f]{8}/,
    );
    await otlp(2); // 1000 × $1/M + 100 × $2/M = $0.0012

    // A broken edit is reported and changes nothing.
    await new Promise((r) => setTimeout(r, 20)); // a new modification time
    await writeFile(join(dir, 'tokenledger.prices.yaml'), `${PRICED}    prices: [oops\n`);
    for (let i = 0; i < 40 && !said.some((l) => l.includes('the prices in force stay')); i++)
      await new Promise((r) => setTimeout(r, 250));
    expect(said.find((l) => l.includes('the prices in force stay'))).toContain('tokenledger.prices.yaml');
    expect((await chat()).headers.get('x-tokenledger-cost-usd')).toBe('0.001828000000');

    const all = await events();
    const versions = new Set(all.filter((e) => e.cost_usd !== null).map((e) => e.price_version));
    expect(versions.size).toBe(1);
    const byOtlp = all.filter((e) => e.source === 'otlp').sort((a, b) => a.ts - b.ts);
    expect(byOtlp.map((e) => e.cost_usd)).toEqual([null, 1_200_000_000n]);
    expect(byOtlp[1]!.price_version).toBe([...versions][0]);
    // Gateway calls: unpriced until the reload, each one after priced the same.
    const costs = all
      .filter((e) => e.source === 'gateway')
      .sort((a, b) => a.ts - b.ts)
      .map((e) => e.cost_usd);
    const first = costs.findIndex((c) => c !== null);
    expect(first).toBeGreaterThan(0);
    expect(new Set(costs.slice(0, first))).toEqual(new Set([null]));
    expect(new Set(costs.slice(first))).toEqual(new Set([1_828_000_000n]));
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../src/ledger/event.js';
import { openWal, type WalSink } from '../../src/ledger/wal/wal.js';
import { startOtlp } from '../../src/server/otlp/start-otlp.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { type Harness, startHarness, tokens } from './harness.js';
import { tracerFor } from './sdk-tracer.js';

// Issue 5, durability: an export is acknowledged once its events are in the write-ahead log, as batch lines
// (ledger/wal/codec.ts). Events acknowledged but not yet in the store when the process stops are replayed from those
// lines at the next start, and land exactly as a receiver that never stopped stores the same spans.

const MODELS = [
  ['openai', 'gpt-4o-mini'],
  ['anthropic', 'claude-sonnet-4-20250514'],
  ['gcp.gemini', 'gemini-2.5-flash'],
] as const;

/** One export per URL of 1,200 chat spans (more than a batch line holds), differing in model, tokens and session. */
async function exportSpans(urls: string[]): Promise<void> {
  const { provider, tracer } = tracerFor('replayed', urls, true, 2048);
  for (let i = 0; i < 1200; i++) {
    const [system, model] = MODELS[i % 3]!;
    tracer
      .startSpan(`chat ${model}`, {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': system,
          'gen_ai.request.model': model,
          'gen_ai.usage.input_tokens': 1000 + i,
          'gen_ai.usage.cache_read.input_tokens': i % 4 === 0 ? 256 : 0,
          'gen_ai.usage.output_tokens': 50 + (i % 7),
          'gen_ai.conversation.id': `conv-${i % 10}`,
        },
      })
      .end();
  }
  // Resolves once every export got its 200.
  await provider.forceFlush();
  await provider.shutdown();
}

/** The ledger's events by id, without the time each receiver took them in. */
const byId = (events: readonly UsageEvent[]) =>
  new Map(events.map(({ ingested_at: _, ...e }) => [e.event_id, e]));

describe('OTLP exports acknowledged but not yet stored when the process stops (real OpenTelemetry SDK)', () => {
  let dir: string;
  let live: Harness;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-otlp-replay-'));
    live = await startHarness();
  });
  afterAll(async () => {
    await live.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('are replayed from the log at the next start, once each, as a receiver that never stopped stores them', async () => {
    const ledger = join(dir, 'ledger.duckdb');
    const walDir = join(dir, 'wal');
    const store = await createDuckDbStore(ledger);
    // A store that takes nothing: every acknowledged event is only in the log when the process "dies".
    const hang = new Promise<never>(() => {});
    const sink: WalSink = { append: () => hang, attribute: () => hang, storeContent: () => hang };
    const wal = await openWal({ dir: walDir, sink, drainIntervalMs: 3_600_000 });
    const otlp = await startOtlp({ port: 0, host: '127.0.0.1', pricing: { cwd: dir, env: {} }, wal });

    // The same spans, to the receiver that will stop and to one that stores them as it runs.
    await exportSpans([otlp.url!, live.url]);
    expect(wal.depth()).toBe(1200);
    await otlp.close();
    // The process "dies": the log is never drained or closed.
    await store.close();

    const reopened = await createDuckDbStore(ledger);
    const replayed = await openWal({ dir: walDir, sink: reopened, drainIntervalMs: 3_600_000 });
    expect(replayed.replayed).toMatchObject({ events: 1200, inserted: 1200, bad: 0 });
    const events = await reopened.events({ limit: 10_000 });
    const stored = (await live.ledger()).filter((e) => e.tags.service === 'replayed');
    expect(events).toHaveLength(1200);
    const sent = Array.from({ length: 1200 }, (_, i) => ({ input: 1000 + i, output: 50 + (i % 7) }));
    expect(tokens(events)).toEqual({
      requests: 1200,
      // gen_ai.usage.input_tokens counts the cached tokens too; the ledger keeps them apart.
      input: sent.reduce((s, x) => s + x.input, 0) - 300 * 256,
      cache_read: 300 * 256,
      cache_write: 0,
      output: sent.reduce((s, x) => s + x.output, 0),
      reasoning: 0,
    });
    expect(events.every((e) => e.cost_usd !== null && e.cost_usd > 0n)).toBe(true);
    expect(byId(events)).toEqual(byId(stored));
    await replayed.close();
    await reopened.close();
  });
});

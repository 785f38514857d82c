import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventId } from '../ledger/event-id.js';
import { parseUsd } from '../money/money.js';
import { loadPricer } from '../pricing/load.js';
import type { Pricer } from '../pricing/pricer.js';
import { unpricedEvent } from '../pricing/unpriced-event.js';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import type { Store } from '../store/store.js';
import type { Budget } from './budget.js';
import { forecastBudget } from './forecast-budget.js';

let pricer: Pricer;
beforeAll(async () => {
  pricer = await loadPricer({ cwd: tmpdir(), env: {} });
});

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-forecast-'));
  store = await createDuckDbStore(join(dir, 'l.duckdb'));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

// Thursday 2026-05-14, noon UTC: half of today and the 17 days to June are still to come.
const NOW = Date.parse('2026-05-14T12:00:00Z');
const budget: Pick<Budget, 'id' | 'scope' | 'period' | 'tz' | 'limit_usd'> = {
  id: 'b',
  scope: { team: 'payments' },
  period: { kind: 'monthly' },
  tz: 'UTC',
  limit_usd: '100',
};

/** A call of team payments at `iso` that costs $1 (100k output tokens of gpt-4o at $10 per 1M). */
const dollar = (iso: string) =>
  pricer.price(
    unpricedEvent({
      event_id: eventId('test', iso),
      ts: Date.parse(iso) * 1000,
      team: 'payments',
      provider: 'openai',
      model: 'gpt-4o',
      output_tokens: 100_000,
    }),
  );

describe('forecastBudget on a ledger that began recently (real DuckDB)', () => {
  it('learns from the days since spend was first recorded, not the empty weeks before as $0 days', async () => {
    await store.append([dollar('2026-05-13T10:00:00Z'), dollar('2026-05-14T09:00:00Z')]);
    const f = await forecastBudget(store, budget, NOW, { pricer });
    // One past day, $1: today's half and the 17 days after it at $1 each, on top of the $2 spent.
    expect(f.spent).toBe(parseUsd('2'));
    expect(f.expected).toBe(parseUsd('19.5'));
    expect(f.samples).toBe(1);
    expect(f.run_out).toBeNull();
  });

  it('with no day before today in the ledger, projects just the spend so far (samples: 0)', async () => {
    await store.append([dollar('2026-05-14T09:00:00Z')]);
    const f = await forecastBudget(store, budget, NOW, { pricer });
    expect([f.expected, f.low, f.high, f.samples]).toEqual([parseUsd('1'), parseUsd('1'), parseUsd('1'), 0]);
  });
});

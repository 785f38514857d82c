import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { CARDS, makeEvent } from '../../src/store/testing/event-factory.js';
import { runCli } from '../helpers/run-cli.js';

// Two calls of claude-sonnet-4-5 ($3 input, $0.30 cache read, $15 output per 1M tokens), one for each of two teams,
// and a call of a model with no price.
let db: string;
beforeAll(async () => {
  db = join(mkdtempSync(join(tmpdir(), 'tl-metrics-')), 'ledger.duckdb');
  const store = await createDuckDbStore(db);
  const usage = { input_tokens: 1000, cache_read_tokens: 20_000, output_tokens: 300, rates: CARDS.sonnet };
  await store.append([
    makeEvent(1, { ...usage, team: 'platform' }),
    makeEvent(2, { ...usage, team: 'search', cache_read_tokens: 0 }),
    makeEvent(3, { ...usage, team: 'search', model: 'mystery-7b', rates: null }),
  ]);
  await store.close();
});

describe('tokenledger metrics', () => {
  it('gives exact rates per group as JSON, costliest first', async () => {
    const r = await runCli(['metrics', '--db', db, '--by', 'team', '--format', 'json']);
    expect(r.stderr).toBe('');
    const { groups, total } = JSON.parse(r.stdout);
    expect(groups.map((g: { team: string }) => g.team)).toEqual(['platform', 'search']);
    // platform: $0.0135 over 21,300 tokens; 20,000 cache reads at $3 instead of $0.30 per 1M saved $0.054.
    expect(groups[0]).toEqual({
      team: 'platform',
      cost_usd: '0.013500000000',
      tokens: 21_300,
      priced_tokens: 21_300,
      requests: 1,
      priced_requests: 1,
      events: 1,
      unpriced_events: 0,
      cost_per_1m_tokens_usd: '0.633802816901',
      cost_per_request_usd: '0.013500000000',
      cache_hit_rate: 20_000 / 21_000,
      cache_savings_usd: '0.054000000000',
      // No GPU telemetry: no energy, and no rate rather than 0.
      energy_j: null,
      tokens_per_joule: null,
    });
    // search: $0.0075 for its priced call (1,000 input and 300 output tokens); the unpriced call's tokens are not
    // priced at $0.
    expect(groups[1]).toMatchObject({ cost_usd: '0.007500000000', priced_tokens: 1_300, unpriced_events: 1 });
    expect(groups[1].cost_per_1m_tokens_usd).toBe('5.769230769230');
    expect(total).toMatchObject({
      requests: 3,
      cost_usd: '0.021000000000',
      cache_savings_usd: '0.054000000000',
    });
  });

  it('prints a table by model, with the unpriced events counted', async () => {
    const r = await runCli(['metrics', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^model +cost +per 1M tokens +per call +cache hit +cache saved +tokens +calls\n/,
    );
    // Cents, as every table shows money; 20,000 of 22,000 prompt tokens read from a cache.
    expect(r.stdout).toMatch(/\nclaude-sonnet-4-5 +\$0\.02 +\$0\.93 +\$0\.01 +90\.9% +\$0\.05 +22,600 +2\n/);
    expect(r.stdout).toMatch(/\nmystery-7b +unpriced +— +— +95\.2% +\$0\.00 +21,300 +1\n/);
    expect(r.stdout).toMatch(/\ntotal +\$0\.02 \* +\$0\.93 +\$0\.01 +93\.0% /);
    expect(r.stdout).toContain('unpriced: 1 event — not in the costs');
  });

  it("shows each rate's trend by time bucket", async () => {
    const r = await runCli(['metrics', '--db', db, '--by', '', '--bucket', 'day']);
    expect(r.stdout).toMatch(/^day +cost +per 1M tokens/);
    expect(r.stdout).toMatch(/\n2026-01-05 +\$0\.02 \* +\$0\.93 +\$0\.01 +93\.0% /);
    const json = JSON.parse(
      (await runCli(['metrics', '--db', db, '--bucket', 'month', '--format', 'json'])).stdout,
    );
    expect(json.groups.map((g: { bucket: string; model: string }) => [g.bucket, g.model])).toEqual([
      ['2026-01-01T00:00:00.000Z', 'claude-sonnet-4-5'],
      ['2026-01-01T00:00:00.000Z', 'mystery-7b'],
    ]);
  });

  it('says so when the ledger does not exist', async () => {
    const r = await runCli(['metrics', '--db', join(tmpdir(), 'no-such-ledger.duckdb')]);
    expect(r.stderr).toMatch(/^error CLI_NO_LEDGER: /);
  });
});

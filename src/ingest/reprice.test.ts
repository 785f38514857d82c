import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pricedEvent } from '../gateway/record.js';
import { emptyAttribution } from '../ledger/event.js';
import { eventId } from '../ledger/event-id.js';
import { loadPricer } from '../pricing/load.js';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import { repriceWith } from './reprice.js';

/** A gateway call as the gateway records it: asked for `asked`, answered by `served` (the response's model). */
function gatewayCall(n: number, provider: string, asked: string, served: string) {
  return {
    event_id: eventId('reprice-test', n),
    request_id: `req-${n}`,
    ts: Date.parse('2026-11-03T09:00:00Z') * 1000 + n,
    duration_ms: 900,
    ttft_ms: null,
    attribution: { ...emptyAttribution(), team: 'web' },
    provider,
    model_requested: asked,
    model: served,
    operation: 'chat' as const,
    service_tier: null,
    usage: {
      input_tokens: 1_000_000,
      cache_read_tokens: 0,
      cache_write_5m_tokens: 0,
      cache_write_1h_tokens: 0,
      output_tokens: 100_000,
      reasoning_tokens: 0,
      web_search_requests: 0,
    },
    status: 'ok' as const,
    error_type: null,
    estimated: false,
    response_id: null,
    provider_cost_usd: null,
    inference_geo: null,
    web_search_tool: null,
  };
}

describe('repriceWith', () => {
  it('prices a gateway call by the model that answered it, as it was first priced, not by the name asked for', async () => {
    // No overrides file: the bundled catalog alone, the same prices before and after.
    const pricer = await loadPricer({ cwd: mkdtempSync(join(tmpdir(), 'tl-reprice-')), env: {} });
    const now = Date.parse('2026-12-01T00:00:00Z') * 1000;
    const calls = [
      // OpenRouter's router picks the model: "openrouter/auto" has no price, the model that answered has.
      gatewayCall(1, 'openrouter', 'openrouter/auto', 'anthropic/claude-sonnet-4.5'),
      // A name that resolves to another model with other prices than the snapshot that answered.
      gatewayCall(2, 'openai', 'gpt-4o', 'gpt-4o-2024-05-13'),
      // An Azure deployment is asked for by its own name (docs/gateway.md): only the answer names the model.
      gatewayCall(3, 'azure', 'prod-chat', 'gpt-4o-2024-11-20'),
    ].map((c) => pricedEvent(c, pricer, now));
    expect(calls.map((e) => [e.model, e.cost_source])).toEqual([
      ['claude-sonnet-4-5', 'computed'],
      ['gpt-4o-2024-05-13', 'computed'],
      ['gpt-4o', 'computed'],
    ]);
    const store = await createDuckDbStore(':memory:');
    try {
      await store.append(calls);
      const before = await store.query({ dimensions: ['model'] });
      // Nothing changed in the prices, so a reprice changes nothing: no cost lost, no audit row.
      const summary = await store.reprice({}, repriceWith(pricer), now);
      expect(summary).toEqual({
        examined: 3,
        changed: 0,
        old_cost_usd: before.totals.cost_usd,
        new_cost_usd: before.totals.cost_usd,
        old_unpriced: 0,
        new_unpriced: 0,
      });
      expect(await store.query({ dimensions: ['model'] })).toEqual(before);
      expect(before.unpriced.events).toBe(0);
      expect(await store.repriceAudit()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
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

  it('keeps a 0-token estimate of a model that still has no price unpriced, not $0', async () => {
    const pricer = await loadPricer({ cwd: mkdtempSync(join(tmpdir(), 'tl-reprice-')), env: {} });
    const now = Date.parse('2026-12-01T00:00:00Z') * 1000;
    const none = {
      input_tokens: 0,
      cache_read_tokens: 0,
      cache_write_5m_tokens: 0,
      cache_write_1h_tokens: 0,
      output_tokens: 0,
      reasoning_tokens: 0,
      web_search_requests: 0,
    };
    // A stream left before any usage, whose request had no text to count: the gateway estimates 0 tokens, and its
    // model having no price, records the cost as unknown (docs/gateway.md).
    const abandoned = pricedEvent(
      {
        ...gatewayCall(1, 'acme', 'acme-unreleased-1', 'acme-unreleased-1'),
        usage: none,
        status: 'aborted',
        error_type: 'client_disconnected',
        estimated: true,
      },
      pricer,
      now,
    );
    // A call the provider refused before using anything (404): that nothing was used is reported, so it costs $0.
    const refused = pricedEvent(
      {
        ...gatewayCall(2, 'acme', 'acme-unreleased-1', 'acme-unreleased-1'),
        usage: none,
        status: 'error',
        error_type: 'http_404',
      },
      pricer,
      now,
    );
    expect([abandoned.cost_source, refused.cost_source]).toEqual(['unpriced', 'computed']);
    const store = await createDuckDbStore(':memory:');
    try {
      await store.append([abandoned, refused]);
      const summary = await store.reprice({}, repriceWith(pricer), now);
      expect(summary).toMatchObject({ examined: 2, changed: 0, old_unpriced: 1, new_unpriced: 1 });
      const after = await store.events({});
      expect(after.map((e) => [e.event_id, e.cost_source, e.cost_usd])).toEqual(
        expect.arrayContaining([
          [abandoned.event_id, 'unpriced', null],
          [refused.event_id, 'computed', 0n],
        ]),
      );
      expect(await store.repriceAudit()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('makes a 0-token estimate unpriced when its model no longer has a price, as the gateway would record it now', async () => {
    const priced = mkdtempSync(join(tmpdir(), 'tl-reprice-'));
    writeFileSync(
      join(priced, 'tokenledger.prices.yaml'),
      [
        'models:',
        '  - id: acme-unreleased-1',
        '    prices:',
        '      input_mtok: "1"',
        '      output_mtok: "2"',
        '',
      ].join('\n'),
    );
    const before = await loadPricer({ cwd: priced, env: {} });
    const now = Date.parse('2026-12-01T00:00:00Z') * 1000;
    const usage = { ...gatewayCall(1, 'acme', 'x', 'x').usage, input_tokens: 0, output_tokens: 0 };
    const abandoned = pricedEvent(
      {
        ...gatewayCall(1, 'acme', 'acme-unreleased-1', 'acme-unreleased-1'),
        usage,
        status: 'aborted',
        error_type: 'client_disconnected',
        estimated: true,
      },
      before,
      now,
    );
    expect([abandoned.cost_source, abandoned.cost_usd]).toEqual(['estimated', 0n]);
    const store = await createDuckDbStore(':memory:');
    try {
      await store.append([abandoned]);
      // The override is gone: the model has no price any more.
      const after = await loadPricer({ cwd: mkdtempSync(join(tmpdir(), 'tl-reprice-')), env: {} });
      await store.reprice({}, repriceWith(after), now);
      const [e] = await store.events({});
      expect([e?.cost_source, e?.cost_usd]).toEqual(['unpriced', null]);
    } finally {
      await store.close();
    }
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { parseUsd } from '../money/money.js';
import { loadBundledCatalog } from './bundled-catalog.js';
import type { Catalog } from './catalog.js';
import { parseOverrides } from './overrides.js';
import { createPricer, type Pricer } from './pricer.js';
import { unpricedEvent } from './unpriced-event.js';

/**
 * Cases computed by hand from the providers' published price pages (URL above each case), priced through the real
 * bundled catalog. USD per 1M tokens ("MTok"); the arithmetic is in the comment and the expected values are typed in
 * from it, so a catalog or engine change that moves a price fails here.
 */

const at = (iso: string) => Date.parse(iso) * 1000;
const usd = parseUsd;

let catalog: Catalog;
let pricer: Pricer;
beforeAll(async () => {
  catalog = await loadBundledCatalog();
  pricer = createPricer(catalog, null);
});

describe('catalog prices, computed by hand', () => {
  // https://platform.claude.com/docs/en/about-claude/pricing — Claude Sonnet 4.5: input $3, 5m cache write $3.75,
  // 1h cache write $6, cache hit $0.30, output $15.
  it('Anthropic Sonnet 4.5 with 5m and 1h cache writes and cache reads', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'claude-sonnet-4-5-20250929',
        input_tokens: 1_234,
        cache_read_tokens: 50_000,
        cache_write_5m_tokens: 10_000,
        cache_write_1h_tokens: 2_000,
        output_tokens: 567,
      }),
    );
    // input        1,234 × $3     = $0.003702
    // cache read  50,000 × $0.30  = $0.015
    // cache write 10,000 × $3.75  = $0.0375  +  2,000 × $6 = $0.012  → $0.0495
    // output         567 × $15    = $0.008505
    // total                         $0.076707
    expect(e.cost_input).toBe(usd('0.003702'));
    expect(e.cost_cache_read).toBe(usd('0.015'));
    expect(e.cost_cache_write).toBe(usd('0.0495'));
    expect(e.cost_output).toBe(usd('0.008505'));
    expect(e.cost_usd).toBe(usd('0.076707'));
    expect(e.cost_source).toBe('computed');
    expect(e.price_version).toBe('genai-prices@0.1.8');
    expect(e.model).toBe('claude-sonnet-4-5');
    expect(e.provider).toBe('anthropic');
    expect(e.model_requested).toBe('claude-sonnet-4-5-20250929');
  });

  // Same page — Claude Opus 4.1: input $15, 1h cache write $30, cache hit $1.50, output $75.
  it('Anthropic Opus 4.1 with a 1-hour cache write', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'claude-opus-4-1-20250805',
        input_tokens: 2_000,
        cache_write_1h_tokens: 3_000,
        cache_read_tokens: 10_000,
        output_tokens: 1_000,
      }),
    );
    // 2,000 × $15 = $0.03; 3,000 × $30 = $0.09; 10,000 × $1.50 = $0.015; 1,000 × $75 = $0.075 → $0.21
    expect([e.cost_input, e.cost_cache_write, e.cost_cache_read, e.cost_output]).toEqual([
      usd('0.03'),
      usd('0.09'),
      usd('0.015'),
      usd('0.075'),
    ]);
    expect(e.cost_usd).toBe(usd('0.21'));
  });

  // https://platform.openai.com/docs/pricing — gpt-5: input $1.25, cached input $0.125, output $10.
  it('OpenAI gpt-5 with cached input and reasoning tokens (reasoning is inside output, billed once)', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'gpt-5-2025-08-07',
        input_tokens: 8_000,
        cache_read_tokens: 2_000,
        output_tokens: 3_000,
        reasoning_tokens: 2_500,
      }),
    );
    // 8,000 × $1.25 = $0.01; 2,000 × $0.125 = $0.00025; 3,000 × $10 = $0.03 (2,500 of them reasoning) → $0.04025
    expect(e.cost_cache_read).toBe(usd('0.00025'));
    expect(e.cost_output).toBe(usd('0.03'));
    expect(e.cost_usd).toBe(usd('0.04025'));
    expect(e.model).toBe('gpt-5');
  });

  // https://platform.openai.com/docs/pricing — gpt-4o: input $2.50, cached input $1.25, output $10.
  it('OpenAI gpt-4o with cached input', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'openai/gpt-4o-2024-08-06',
        input_tokens: 1_000,
        cache_read_tokens: 3_000,
        output_tokens: 500,
      }),
    );
    // 1,000 × $2.50 = $0.0025; 3,000 × $1.25 = $0.00375; 500 × $10 = $0.005 → $0.01125
    expect(e.cost_usd).toBe(usd('0.01125'));
  });

  // https://ai.google.dev/gemini-api/docs/pricing#gemini-2.5-pro — input $1.25 (prompts ≤ 200k tokens) / $2.50 (> 200k);
  // output $10 / $15; context caching $0.125 / $0.25.
  it('Gemini 2.5 Pro at or under 200k input tokens uses the base rates', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'gemini-2.5-pro',
        input_tokens: 190_000,
        cache_read_tokens: 10_000,
        output_tokens: 10_000,
      }),
    );
    // total input 200,000 is not above 200k: 190,000 × $1.25 = $0.2375; 10,000 × $0.125 = $0.00125; 10,000 × $10 = $0.1
    // → $0.33875
    expect(e.cost_usd).toBe(usd('0.33875'));
  });

  it('Gemini 2.5 Pro above 200k input tokens prices the whole request at the long-context rates', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'gemini-2.5-pro',
        input_tokens: 150_000,
        cache_read_tokens: 60_000,
        output_tokens: 10_000,
      }),
    );
    // total input 210,000 > 200k: 150,000 × $2.50 = $0.375; 60,000 × $0.25 = $0.015; 10,000 × $15 = $0.15 → $0.54
    expect([e.cost_input, e.cost_cache_read, e.cost_output]).toEqual([
      usd('0.375'),
      usd('0.015'),
      usd('0.15'),
    ]);
    expect(e.cost_usd).toBe(usd('0.54'));
    expect(e.rates?.input).toBe(2_500000000000000000n);
  });

  // https://platform.openai.com/docs/pricing (Batch) — gpt-4o batch: input $1.25, output $5.00 (50% of standard,
  // https://platform.openai.com/docs/guides/batch).
  it('OpenAI Batch API halves gpt-4o', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'gpt-4o',
        service_tier: 'batch',
        input_tokens: 1_000_000,
        output_tokens: 100_000,
      }),
    );
    // 1,000,000 × $1.25 = $1.25; 100,000 × $5 = $0.50 → $1.75
    expect(e.cost_usd).toBe(usd('1.75'));
  });

  // https://docs.anthropic.com/en/docs/build-with-claude/batch-processing — 50% of standard: Sonnet 4.5 batch $1.50 / $7.50.
  it('Anthropic Message Batches halve Sonnet 4.5', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'claude-sonnet-4-5',
        service_tier: 'batch',
        input_tokens: 10_000,
        output_tokens: 2_000,
      }),
    );
    // 10,000 × $1.50 = $0.015; 2,000 × $7.50 = $0.015 → $0.03
    expect(e.cost_usd).toBe(usd('0.03'));
  });

  // https://platform.openai.com/docs/guides/flex-processing — flex is priced at Batch API rates: gpt-5 $0.625 / $5.
  it('OpenAI flex processing for gpt-5', () => {
    const e = pricer.price(
      unpricedEvent({ model: 'gpt-5', service_tier: 'flex', input_tokens: 100_000, output_tokens: 10_000 }),
    );
    // 100,000 × $0.625 = $0.0625; 10,000 × $5 = $0.05 → $0.1125
    expect(e.cost_usd).toBe(usd('0.1125'));
  });

  // https://openai.com/api-priority-processing/ — priority is a premium that differs per model (gpt-4o-mini 1.67x,
  // gpt-4.1 1.75x, gpt-5 2x), so the tier lists each model's own prices: gpt-4o-mini $0.25 input, $0.125 cached
  // input, $1.00 output.
  it('OpenAI priority processing at the per-model priority prices', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'gpt-4o-mini-2024-07-18',
        service_tier: 'priority',
        input_tokens: 100_000,
        cache_read_tokens: 40_000,
        output_tokens: 10_000,
      }),
    );
    // 100,000 × $0.25 = $0.025; 40,000 × $0.125 = $0.005; 10,000 × $1.00 = $0.01 → $0.04
    expect(e.cost_usd).toBe(usd('0.04'));
    // gpt-5: $2.50 / $0.25 / $20 (twice standard): 10,000 × $2.50 + 1,000 × $20 = $0.025 + $0.02 = $0.045
    const g = pricer.price(
      unpricedEvent({ model: 'gpt-5', service_tier: 'Priority', input_tokens: 10_000, output_tokens: 1_000 }),
    );
    expect(g.cost_usd).toBe(usd('0.045'));
    // gpt-5-nano is not offered at priority; a call the response says was served so keeps the standard rates:
    // 10,000 × $0.05 + 1,000 × $0.40 = $0.0005 + $0.0004 = $0.0009
    const n = pricer.price(
      unpricedEvent({
        model: 'gpt-5-nano',
        service_tier: 'priority',
        input_tokens: 10_000,
        output_tokens: 1_000,
      }),
    );
    expect(n.cost_usd).toBe(usd('0.0009'));
  });

  // https://developers.openai.com/api/docs/guides/fast-mode — "Priority processing was renamed Fast mode on July 30,
  // 2026 ... You can use either `service_tier: "priority"` or `service_tier: "fast"`": the same tier and prices.
  it('OpenAI Fast mode (service_tier "fast") at the priority prices it was renamed from', () => {
    const fast = (model: string, provider: string | null = null) =>
      pricer.price(
        unpricedEvent({ model, provider, service_tier: 'fast', input_tokens: 10_000, output_tokens: 1_000 }),
      ).cost_usd;
    // gpt-5: $2.50 / $20: 10,000 × $2.50 + 1,000 × $20 = $0.025 + $0.02 = $0.045, as at priority
    expect(fast('gpt-5')).toBe(usd('0.045'));
    expect(fast('openai/gpt-5-2025-08-07', 'openai')).toBe(usd('0.045'));
    // A model not offered at priority keeps the standard rates ($0.05 / $0.40): $0.0005 + $0.0004
    expect(fast('gpt-5-nano')).toBe(usd('0.0009'));
    // Anthropic's own fast mode is unchanged: Opus 4.6 at 6x ($30 / $150): $0.30 + $0.15
    expect(fast('claude-opus-4-6')).toBe(usd('0.45'));
  });

  // https://openai.com/api-fast-mode/ — GPT-5.6 Terra $4.00 / $0.40 / $24.00, GPT-5.6 Luna $0.40 / $0.04 / $2.40:
  // twice the standard rates in force since 2026-07-30 (Terra $2 / $0.20 / $12, Luna $0.20 / $0.02 / $1.20); the
  // page's long-context column is twice the long-context rates too (Terra $8 / $0.80 / $36).
  it('OpenAI Fast mode for GPT-5.6 Terra and Luna at twice their standard rates', () => {
    const fast = (model: string, input: number) =>
      pricer.price(
        unpricedEvent({
          model,
          ts: at('2026-11-01T00:00:00Z'),
          service_tier: 'priority',
          input_tokens: input,
          cache_read_tokens: 10_000,
          output_tokens: 1_000,
        }),
      ).cost_usd;
    // 100,000 × $4 + 10,000 × $0.40 + 1,000 × $24 = $0.40 + $0.004 + $0.024
    expect(fast('gpt-5.6-terra', 100_000)).toBe(usd('0.428'));
    // 100,000 × $0.40 + 10,000 × $0.04 + 1,000 × $2.40 = $0.04 + $0.0004 + $0.0024
    expect(fast('gpt-5.6-luna', 100_000)).toBe(usd('0.0428'));
    // over 272K: 300,000 × $8 + 10,000 × $0.80 + 1,000 × $36 = $2.40 + $0.008 + $0.036
    expect(fast('gpt-5.6-terra', 300_000)).toBe(usd('2.444'));
  });

  // https://platform.claude.com/docs/en/build-with-claude/fast-mode — Opus 4.6 fast mode: 6x the standard rates,
  // $30 / $150, and $60 / $225 over 200K input tokens while Opus 4.6 had a long-context tier (until 2026-03-13 in
  // the catalog); https://platform.claude.com/docs/en/about-claude/pricing — Opus 5 and Opus 4.8 fast: $10 / $50 (2x).
  it('Anthropic fast mode at its per-model multiple of the standard rates', () => {
    const fast = (model: string, input: number, iso = '2026-04-01T00:00:00Z') =>
      pricer.price(
        unpricedEvent({
          model,
          service_tier: 'fast',
          input_tokens: input,
          output_tokens: 1_000,
          ts: at(iso),
        }),
      ).cost_usd;
    // 10,000 × $30 = $0.30; 1,000 × $150 = $0.15 → $0.45
    expect(fast('claude-opus-4-6', 10_000)).toBe(usd('0.45'));
    // 300,000 × $60 = $18; 1,000 × $225 = $0.225 → $18.225
    expect(fast('claude-opus-4-6', 300_000, '2026-03-01T00:00:00Z')).toBe(usd('18.225'));
    // 10,000 × $10 = $0.10; 1,000 × $50 = $0.05 → $0.15
    expect(fast('claude-opus-5', 10_000)).toBe(usd('0.15'));
    expect(fast('claude-opus-4-8', 10_000)).toBe(usd('0.15'));
    // Fast mode is not offered on Opus 4.7 (the API refuses it): the standard rates, 10,000 × $5 + 1,000 × $25
    expect(fast('claude-opus-4-7', 10_000)).toBe(usd('0.075'));
  });

  // https://ai.google.dev/gemini-api/docs/flex-inference — "a 50% cost reduction compared to standard rates";
  // https://docs.cloud.google.com/vertex-ai/generative-ai/docs/deploy/flex-paygo — Vertex Flex PayGo, "a 50% discount
  // compared to Standard PayGo" (Vertex models are the catalog's `google` too). Gemini 2.5 Flash standard: input $0.30,
  // cache read $0.03, output $2.50 (https://ai.google.dev/gemini-api/docs/pricing).
  it('Gemini flex halves every part', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'gemini-2.5-flash',
        service_tier: 'flex',
        input_tokens: 100_000,
        cache_read_tokens: 100_000,
        output_tokens: 10_000,
      }),
    );
    // 100,000 × $0.15 = $0.015; 100,000 × $0.015 = $0.0015; 10,000 × $1.25 = $0.0125 → $0.029
    expect([e.cost_input, e.cost_cache_read, e.cost_output]).toEqual([
      usd('0.015'),
      usd('0.0015'),
      usd('0.0125'),
    ]);
    expect(e.cost_usd).toBe(usd('0.029'));
  });

  // https://ai.google.dev/gemini-api/docs/pricing — Gemini 3.7 Flash and 3.8 Flash: standard $0.75 input, $0.075 cache
  // read, $3.75 output through 2026-12-31 ($1.50 / $0.15 / $7.50 from 2027-01-01); Priority is 1.8x the standard rates
  // (3.7 Flash priority $1.35 / $6.75). https://ai.google.dev/gemini-api/docs/optimization gives only a range ("75%
  // to 100% more than standard"), so only models whose factor the pricing page states are listed.
  it('Gemini priority at 1.8x for the Flash models the pricing page prices so', () => {
    const priority = (model: string, iso: string) =>
      pricer.price(
        unpricedEvent({
          model,
          service_tier: 'priority',
          input_tokens: 100_000,
          cache_read_tokens: 100_000,
          output_tokens: 10_000,
          ts: at(iso),
        }),
      ).cost_usd;
    // 100,000 × $1.35 = $0.135; 100,000 × $0.135 = $0.0135; 10,000 × $6.75 = $0.0675 → $0.216
    expect(priority('gemini-3.7-flash', '2026-11-01T00:00:00Z')).toBe(usd('0.216'));
    expect(priority('gemini-3.8-flash', '2026-11-01T00:00:00Z')).toBe(usd('0.216'));
    // After the introductory rates: 100,000 × $2.70 + 100,000 × $0.27 + 10,000 × $13.50 = $0.27 + $0.027 + $0.135
    expect(priority('gemini-3.8-flash', '2027-02-01T00:00:00Z')).toBe(usd('0.432'));
    // A model whose priority factor is not published keeps the standard rates (Gemini 2.5 Flash:
    // 100,000 × $0.30 + 100,000 × $0.03 + 10,000 × $2.50 = $0.03 + $0.003 + $0.025)
    expect(priority('gemini-2.5-flash', '2026-11-01T00:00:00Z')).toBe(usd('0.058'));
  });

  // https://openai.com/api-priority-processing/ (the copy that lists GPT-5.5) — GPT-5.5 priority: $12.50 input,
  // $1.250 cached input, $75.00 output (2.5x its standard $5 / $0.50 / $30).
  it('OpenAI priority for gpt-5.5', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'gpt-5.5',
        service_tier: 'priority',
        input_tokens: 10_000,
        cache_read_tokens: 20_000,
        output_tokens: 1_000,
      }),
    );
    // 10,000 × $12.50 = $0.125; 20,000 × $1.25 = $0.025; 1,000 × $75 = $0.075 → $0.225
    expect(e.cost_usd).toBe(usd('0.225'));
  });

  // https://docs.aws.amazon.com/claude-platform/latest/userguide/data-residency.html — US-only inference
  // (`inference_geo: us`, Opus 4.6, Sonnet 4.6 and later): "A 1.1x pricing multiplier applies"; it stacks on the
  // tier (fast mode: "Fast mode pricing stacks with other pricing modifiers").
  it('Anthropic US-only inference at 1.1x, stacked on fast mode', () => {
    const opus = (tags: Record<string, string>, service_tier: string | null = null) =>
      pricer.price(
        unpricedEvent({
          model: 'claude-opus-4-6',
          service_tier,
          tags,
          input_tokens: 10_000,
          output_tokens: 1_000,
          ts: at('2026-04-01T00:00:00Z'),
        }),
      ).cost_usd;
    // standard: 10,000 × $5 + 1,000 × $25 = $0.075; global is the default
    expect(opus({ inference_geo: 'global' })).toBe(usd('0.075'));
    // us: 10,000 × $5.50 + 1,000 × $27.50 = $0.0825
    expect(opus({ inference_geo: 'us' })).toBe(usd('0.0825'));
    // fast in the us: 6 × 1.1 = 6.6 × standard: 10,000 × $33 + 1,000 × $165 = $0.495
    expect(opus({ inference_geo: 'us' }, 'fast')).toBe(usd('0.495'));
  });

  // https://developers.openai.com/api/docs/guides/data-residency: "Data residency endpoints are charged a 10% uplift
  // for models released on or after March 5, 2026"; GPT-5.4 is the first (snapshot gpt-5.4-2026-03-05).
  it('OpenAI data residency endpoints at 1.1x for models from GPT-5.4 on, and not for older ones', () => {
    const call = (model: string, tags: Record<string, string>, service_tier: string | null = null) =>
      pricer.price(
        unpricedEvent({
          model,
          service_tier,
          tags,
          input_tokens: 10_000,
          output_tokens: 1_000,
          ts: at('2026-06-01T00:00:00Z'),
        }),
      ).cost_usd;
    // standard: 10,000 × $2.50 + 1,000 × $15 = $0.04
    expect(call('gpt-5.4', {})).toBe(usd('0.04'));
    // eu.api.openai.com: 10,000 × $2.75 + 1,000 × $16.50 = $0.044; every region the same
    for (const geo of ['eu', 'us', 'au', 'in', 'jp', 'ae'])
      expect(call('gpt-5.4', { inference_geo: geo })).toBe(usd('0.044'));
    expect(call('gpt-5.5', { inference_geo: 'eu' })).toBe((call('gpt-5.5', {})! * 11n) / 10n);
    // priority in the eu: 10,000 × $5.50 + 1,000 × $33 = $0.088
    expect(call('gpt-5.4', { inference_geo: 'eu' }, 'priority')).toBe(usd('0.088'));
    // GPT-5.2 (December 2025) costs the same at a regional endpoint
    expect(call('gpt-5.2', { inference_geo: 'eu' })).toBe(call('gpt-5.2', {}));
  });

  // A model id misspelt in data/service-tiers.json would silently leave that model at the standard price.
  it("gives tier prices only to models the catalog has, under the tier's provider", () => {
    const listed: string[] = [];
    for (const [provider, tiers] of catalog.serviceTiers)
      for (const [, tier] of tiers)
        for (const model of tier.models.keys()) {
          const r = pricer.resolve(model, provider);
          expect([r?.provider, r?.model], `${provider} ${model}`).toEqual([provider, model]);
          listed.push(model);
        }
    expect(listed.length).toBeGreaterThan(10);
  });

  it('an override of a model price wins over its priority price; a discount applies after it', () => {
    const overrides = parseOverrides(
      `models:
  - id: gpt-4o-mini
    prices: { input_mtok: "0.20" }
discounts:
  - provider: openai
    percent_off: 10
`,
      'prices.yaml',
    );
    const p = createPricer(catalog, overrides);
    const e = p.price(
      unpricedEvent({
        model: 'gpt-4o-mini',
        service_tier: 'priority',
        input_tokens: 100_000,
        output_tokens: 10_000,
      }),
    );
    // input: the override's $0.20; output: priority's $1.00; then 10% off:
    // (100,000 × $0.20 + 10,000 × $1.00) × 0.9 = ($0.02 + $0.01) × 0.9 = $0.027
    expect(e.cost_usd).toBe(usd('0.027'));
  });

  // A tier no provider prices (a caller's typo, a tier a provider adds later) is billed at the standard rates, however many
  // distinct ones a long-running server has seen: each used to take a rate-card code of its own, and the 1,024th
  // collided with the long-context card.
  it('prices any number of unknown service tiers at the standard rates', () => {
    const p = createPricer(catalog, null);
    const shape = { model: 'claude-sonnet-4-5', input_tokens: 1_000, output_tokens: 1_000 };
    p.price(unpricedEvent({ ...shape, input_tokens: 300_000 }));
    const costs = new Set<bigint | null>();
    for (let i = 0; i < 1_100; i++)
      costs.add(p.price(unpricedEvent({ ...shape, service_tier: `t${i}` })).cost_usd);
    // 1,000 × $3 + 1,000 × $15 = $0.018
    expect([...costs]).toEqual([usd('0.018')]);
    // 1,000 × $1.50 + 1,000 × $7.50 = $0.009
    expect(p.price(unpricedEvent({ ...shape, service_tier: 'batch' })).cost_usd).toBe(usd('0.009'));
  });

  // https://openai.com/index/o3-o4-mini-system-card-addendum-operator-o3/ and the pricing page: o3 fell from
  // $10 / $40 to $2 / $8 on 2025-06-10; the catalog carries both with a start_date.
  it('a dated catalog price change applies by the event time', () => {
    const shape = { model: 'o3', input_tokens: 1_000, output_tokens: 1_000 };
    // before: 1,000 × $10 + 1,000 × $40 = $0.01 + $0.04 = $0.05; after: 1,000 × $2 + 1,000 × $8 = $0.01
    expect(pricer.price(unpricedEvent({ ...shape, ts: at('2025-05-01T00:00:00Z') })).cost_usd).toBe(
      usd('0.05'),
    );
    expect(pricer.price(unpricedEvent({ ...shape, ts: at('2025-07-01T00:00:00Z') })).cost_usd).toBe(
      usd('0.01'),
    );
  });

  // https://aws.amazon.com/bedrock/pricing/ — Claude Sonnet 4.5 through a regional (us.) inference profile: $3.30 input,
  // $16.50 output per MTok (10% above the global endpoint's $3 / $15).
  it('a Bedrock regional id is billed at Bedrock prices and reported as the canonical model', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
        provider: 'bedrock',
        input_tokens: 1_000,
        output_tokens: 1_000,
      }),
    );
    // 1,000 × $3.30 = $0.0033; 1,000 × $16.50 = $0.0165 → $0.0198
    expect(e.cost_usd).toBe(usd('0.0198'));
    expect(e.model).toBe('claude-sonnet-4-5');
    expect(e.provider).toBe('bedrock');
  });

  // https://platform.openai.com/docs/pricing (Embeddings) — text-embedding-3-small: $0.02 per MTok, no output price.
  it('an embedding model with no output price prices its input and never invents an output price', () => {
    const e = pricer.price(unpricedEvent({ model: 'text-embedding-3-small', input_tokens: 1_000_000 }));
    expect(e.cost_usd).toBe(usd('0.02')); // 1,000,000 × $0.02
    const odd = pricer.price(
      unpricedEvent({ model: 'text-embedding-3-small', input_tokens: 10, output_tokens: 5 }),
    );
    expect(odd.cost_source).toBe('unpriced');
    expect(odd.cost_usd).toBeNull();
  });

  // genai-prices lists text-embedding-3-small under azure and openai, and no provider's model_match rule takes the
  // name, so an event that names no provider (an OpenInference embedding span) resolves by exact id. Azure falls back
  // to OpenAI's list (it hosts OpenAI's models): the vendor, not the host, bills a call that names no host.
  it('a model several providers list, with no provider named, is its vendor’s, not a host’s that resells it', () => {
    const e = pricer.price(unpricedEvent({ model: 'text-embedding-3-small', input_tokens: 1_000 }));
    expect(e.provider).toBe('openai');
    expect(
      pricer.price(unpricedEvent({ provider: 'azure', model: 'text-embedding-3-small', input_tokens: 1 }))
        .provider,
    ).toBe('azure');
  });
});

/**
 * The web search fee: https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool — "$10 per 1,000
 * searches, plus standard token costs", "Web search tool calls through the Messages Batches API are priced the same
 * as those in regular Messages API requests"; https://platform.openai.com/docs/pricing (Built-in tools) — web search
 * $10.00 / 1k calls, web search preview $10.00 (reasoning models) or $25.00 (non-reasoning models) / 1k calls.
 */
describe('web search fees, computed by hand', () => {
  const sonnet = (fields: Parameters<typeof unpricedEvent>[0] = {}) =>
    pricer.price(
      unpricedEvent({ model: 'claude-sonnet-4-5', input_tokens: 10_000, output_tokens: 2_000, ...fields }),
    );

  it('a Sonnet 4.5 call with 3 web searches costs its tokens + $0.03 exactly', () => {
    const e = sonnet({ web_search_requests: 3 });
    // input 10,000 × $3 = $0.03; output 2,000 × $15 = $0.03; 3 searches × $10 / 1,000 = $0.03 → $0.09
    expect(e.cost_input).toBe(usd('0.03'));
    expect(e.cost_output).toBe(usd('0.03'));
    expect(e.cost_usd).toBe(usd('0.09'));
    // The fee is no part of its own: it is what cost_usd holds beyond the four parts, and its rate is on the card.
    expect(e.cost_usd! - (e.cost_input! + e.cost_cache_read! + e.cost_cache_write! + e.cost_output!)).toBe(
      usd('0.03'),
    );
    expect(e.rates?.web_search).toBe(usd('10') * 1_000_000n);
    expect(e.web_search_requests).toBe(3);
    // Without searches, the same tokens cost $0.06: the rate is on every Anthropic card, the fee only with searches.
    expect(sonnet().cost_usd).toBe(usd('0.06'));
  });

  it('the batch discount and US-only inference change the tokens, not the fee; a negotiated discount changes both', () => {
    // batch: 10,000 × $1.50 + 2,000 × $7.50 = $0.03, + 3 × $0.01 = $0.06
    expect(sonnet({ web_search_requests: 3, service_tier: 'batch' }).cost_usd).toBe(usd('0.06'));
    // Opus 4.6 in the US: 10,000 × $5.50 + 1,000 × $27.50 = $0.0825, + 2 × $0.01 = $0.1025
    const us = pricer.price(
      unpricedEvent({
        model: 'claude-opus-4-6',
        tags: { inference_geo: 'us' },
        input_tokens: 10_000,
        output_tokens: 1_000,
        web_search_requests: 2,
        ts: at('2026-04-01T00:00:00Z'),
      }),
    );
    expect(us.cost_usd).toBe(usd('0.1025'));
    const discounted = createPricer(
      catalog,
      parseOverrides('discounts:\n  - provider: anthropic\n    percent_off: "10"\n', 'p.yaml'),
    );
    // 10% off: tokens $0.06 × 0.9 = $0.054; searches 3 × $0.009 = $0.027 → $0.081
    const e = discounted.price(
      unpricedEvent({
        model: 'claude-sonnet-4-5',
        input_tokens: 10_000,
        output_tokens: 2_000,
        web_search_requests: 3,
      }),
    );
    expect(e.cost_usd).toBe(usd('0.081'));
    expect(e.rates?.web_search).toBe(usd('9') * 1_000_000n);
  });

  it('OpenAI: $10 per 1,000 web_search calls; the preview tool $25 on gpt-4o, $10 on a reasoning model', () => {
    const call = (model: string, tags: Record<string, string> = {}) =>
      pricer.price(
        unpricedEvent({
          model,
          provider: 'openai',
          operation: 'responses',
          tags,
          input_tokens: 10_000,
          output_tokens: 1_000,
          web_search_requests: 2,
        }),
      ).cost_usd;
    const preview = { web_search_tool: 'web_search_preview' };
    // gpt-4o: 10,000 × $2.50 + 1,000 × $10 = $0.035; + 2 × $0.01 = $0.055, or + 2 × $0.025 = $0.085 with the preview
    expect(call('gpt-4o')).toBe(usd('0.055'));
    expect(call('gpt-4o', preview)).toBe(usd('0.085'));
    // A dated gpt-4o is priced as the model it resolves to.
    expect(call('gpt-4o-2024-08-06', preview)).toBe(usd('0.085'));
    // gpt-5 (reasoning): 10,000 × $1.25 + 1,000 × $10 = $0.0225; + 2 × $0.01 = $0.0425 with either tool
    expect(call('gpt-5', preview)).toBe(usd('0.0425'));
    expect(call('gpt-5')).toBe(usd('0.0425'));
    // A tool name no provider prices apart is the current tool's price.
    expect(call('gpt-4o', { web_search_tool: 'web_search_2099_01_01' })).toBe(usd('0.055'));
  });

  it('charges no fee where none is confirmed (Claude on Bedrock), yet prices the tokens and keeps the count', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0',
        input_tokens: 10_000,
        output_tokens: 2_000,
        web_search_requests: 3,
      }),
    );
    // Bedrock regional Sonnet 4.5: 10,000 × $3.30 + 2,000 × $16.50 = $0.066, and no search fee
    expect([e.provider, e.cost_source, e.cost_usd, e.rates?.web_search]).toEqual([
      'aws',
      'computed',
      usd('0.066'),
      0n,
    ]);
    expect(e.web_search_requests).toBe(3);
  });
});

describe('events the catalog cannot price', () => {
  it('an unknown model is unpriced, never $0', () => {
    const e = pricer.price(
      unpricedEvent({ model: 'acme-llm-9000', input_tokens: 1_000, output_tokens: 1_000 }),
    );
    expect(e.cost_source).toBe('unpriced');
    expect([
      e.cost_usd,
      e.cost_input,
      e.cost_cache_read,
      e.cost_cache_write,
      e.cost_output,
      e.rates,
      e.price_version,
    ]).toEqual([null, null, null, null, null, null, null]);
    expect(e.model).toBe('acme-llm-9000');
    expect(e.model_requested).toBe('acme-llm-9000');
  });

  it('a call that used nothing costs exactly $0 whatever its model: a failed call to a misspelt model is not unpriced', () => {
    const failed = unpricedEvent({ model: 'gpt-4o-typo', status: 'error', error_type: 'model_not_found' });
    const e = pricer.price(failed);
    expect([e.cost_source, e.cost_usd, e.price_version]).toEqual(['computed', 0n, pricer.version]);
    expect([e.cost_input, e.cost_cache_read, e.cost_cache_write, e.cost_output]).toEqual([0n, 0n, 0n, 0n]);
    expect(Object.values(e.rates!).every((r) => r === 0n)).toBe(true);
    // One token, or one paid search, and the model's price matters again.
    for (const used of [{ output_tokens: 1 }, { cache_read_tokens: 1 }, { web_search_requests: 1 }])
      expect(pricer.price({ ...failed, ...used }).cost_source).toBe('unpriced');
    // Exported and imported again, the $0 comes back as the same computed event.
    const back = pricer.price({
      ...failed,
      given_cost: {
        cost_usd: 0n,
        cost_input: 0n,
        cost_cache_read: 0n,
        cost_cache_write: 0n,
        cost_output: 0n,
        cost_source: 'computed',
        price_version: pricer.version,
      },
    });
    expect(back).toEqual(e);
  });

  it('a given cost is kept exactly, with its own source and version, and no rates', () => {
    const given = {
      cost_usd: 123_456_789n,
      cost_input: 100_000_000n,
      cost_cache_read: null,
      cost_cache_write: null,
      cost_output: 23_456_789n,
      cost_source: 'provider' as const,
      price_version: 'invoice-2025-09',
    };
    const e = pricer.price(
      unpricedEvent({
        model: 'gpt-4o',
        input_tokens: 1_000,
        output_tokens: 1_000,
        given_cost: given,
        provider_cost_usd: 123_456_789n,
      }),
    );
    expect(e).toMatchObject({
      ...given,
      rates: null,
      provider_cost_usd: 123_456_789n,
      model: 'gpt-4o',
      provider: 'openai',
    });
    expect('given_cost' in e).toBe(false);
  });

  it('a cost this price version computed comes back as the same computed event, rates included', () => {
    const first = pricer.price(unpricedEvent({ model: 'gpt-4o', input_tokens: 1_000, output_tokens: 1_000 }));
    const given = {
      cost_usd: first.cost_usd!,
      cost_input: first.cost_input,
      cost_cache_read: first.cost_cache_read,
      cost_cache_write: first.cost_cache_write,
      cost_output: first.cost_output,
      cost_source: 'computed' as const,
      price_version: pricer.version,
    };
    const again = pricer.price(
      unpricedEvent({ model: 'gpt-4o', input_tokens: 1_000, output_tokens: 1_000, given_cost: given }),
    );
    expect(again).toEqual(first);
    // Any disagreement, or another version, keeps the given amounts as they are.
    const off = pricer.price(
      unpricedEvent({
        model: 'gpt-4o',
        input_tokens: 1_000,
        output_tokens: 1_000,
        given_cost: { ...given, cost_usd: given.cost_usd + 1n },
      }),
    );
    expect([off.cost_usd, off.rates]).toEqual([given.cost_usd + 1n, null]);
    const moved = pricer.price(
      unpricedEvent({
        model: 'gpt-4o',
        input_tokens: 1_000,
        output_tokens: 1_000,
        given_cost: { ...given, cost_input: given.cost_input! + 1n, cost_output: given.cost_output! - 1n },
      }),
    );
    expect([moved.cost_usd, moved.cost_input, moved.rates]).toEqual([
      given.cost_usd,
      given.cost_input! + 1n,
      null,
    ]);
    const older = pricer.price(
      unpricedEvent({
        model: 'gpt-4o',
        input_tokens: 1_000,
        output_tokens: 1_000,
        given_cost: { ...given, price_version: 'genai-prices@0.0.1' },
      }),
    );
    expect([older.price_version, older.rates]).toEqual(['genai-prices@0.0.1', null]);
  });

  it('keeps the model_requested a source set and the provider an event carries', () => {
    const e = pricer.price(
      unpricedEvent({
        model: 'gpt-4o-2024-11-20',
        model_requested: 'my-router-default',
        provider: 'azure',
        input_tokens: 1,
      }),
    );
    expect([e.model, e.model_requested, e.provider]).toEqual(['gpt-4o', 'my-router-default', 'azure']);
  });
});

describe('audio billed by its duration, computed by hand', () => {
  // https://developers.openai.com/api/docs/models/whisper-1 — $0.006 per minute, $0.36 per hour; genai-prices
  // lists it as audio_hours and input_audio_hours, and no token price at all.
  const whisper = (fields: Parameters<typeof unpricedEvent>[0] = {}) =>
    pricer.price(
      unpricedEvent({ model: 'whisper-1', provider: 'openai', operation: 'audio.transcriptions', ...fields }),
    );

  it('a whisper-1 transcription of 9 s and no tokens costs exactly $0.0009, a fee beside the four parts', () => {
    const e = whisper({ audio_ms: 9_000 });
    // 9,000 ms × $0.36 per hour = 9 / 3,600 × $0.36 = $0.0009
    expect([e.cost_source, e.cost_usd]).toEqual(['computed', usd('0.0009')]);
    expect([e.cost_input, e.cost_cache_read, e.cost_cache_write, e.cost_output]).toEqual([0n, 0n, 0n, 0n]);
    expect(e.rates?.audio_hour).toBe(usd('0.36') * 1_000_000n);
    expect(e.audio_ms).toBe(9_000);
    // Fractions of a second count to the millisecond: 1.5 s = $0.00015; 1 ms = $0.0000001 exactly.
    expect(whisper({ audio_ms: 1_500 }).cost_usd).toBe(usd('0.00015'));
    expect(whisper({ audio_ms: 1 }).cost_usd).toBe(usd('0.0000001'));
  });

  it('Groq whisper-large-v3 at $0.111 per hour, -turbo at $0.04; no per-request minimum is applied', () => {
    const groq = (model: string, audio_ms: number) =>
      pricer.price(unpricedEvent({ model, provider: 'groq', audio_ms })).cost_usd;
    // 1 hour × $0.111; 2 s × $0.04 / 3,600 = $0.0000222… → 22,222,222.2… pico-dollars, rounded to 22,222,222
    expect(groq('whisper-large-v3', 3_600_000)).toBe(usd('0.111'));
    expect(groq('whisper-large-v3-turbo', 2_000)).toBe(22_222_222n);
  });

  it('stays unpriced where a part has no price: output tokens on whisper-1, audio_ms on a model with no hour price', () => {
    // whisper-1 lists no output price: its tokens cannot be priced, whatever the duration.
    expect(whisper({ audio_ms: 9_000, output_tokens: 10 }).cost_source).toBe('unpriced');
    expect(whisper({ output_tokens: 10 }).cost_usd).toBeNull();
    // gpt-4o bills by tokens only: audio billed by its duration has no price there, and 0 would lie.
    const gpt4o = pricer.price(
      unpricedEvent({ model: 'gpt-4o', provider: 'openai', input_tokens: 100, audio_ms: 9_000 }),
    );
    expect([gpt4o.cost_source, gpt4o.cost_usd]).toEqual(['unpriced', null]);
    // And without audio_ms it prices as before: a call of nothing on whisper-1 is $0.
    expect(whisper().cost_usd).toBe(0n);
  });

  it('the service tier leaves the rate per hour alone; a negotiated discount takes it', () => {
    expect(whisper({ audio_ms: 9_000, service_tier: 'batch' }).cost_usd).toBe(usd('0.0009'));
    const discounted = createPricer(
      catalog,
      parseOverrides('discounts:\n  - provider: openai\n    percent_off: "10"\n', 'p.yaml'),
    );
    // 10% off: 9 s × $0.324 per hour = $0.00081
    const e = discounted.price(unpricedEvent({ model: 'whisper-1', provider: 'openai', audio_ms: 9_000 }));
    expect([e.cost_usd, e.rates?.audio_hour]).toEqual([usd('0.00081'), usd('0.324') * 1_000_000n]);
  });

  it('an override sets input_audio_hours, for a model the catalog lacks or over its price', () => {
    const p = createPricer(
      catalog,
      parseOverrides(
        [
          'models:',
          '  - id: my-whisper',
          '    provider: selfhost',
          '    prices: { input_audio_hours: "0.05" }',
          '  - id: whisper-1',
          '    provider: openai',
          '    from: 2026-01-01',
          '    prices: { input_audio_hours: "0.30" }',
        ].join('\n'),
        'p.yaml',
      ),
    );
    // 72 s × $0.05 per hour = $0.001; whisper-1 from 2026: 9 s × $0.30 = $0.00075, before it the catalog's $0.0009.
    expect(
      p.price(unpricedEvent({ model: 'my-whisper', provider: 'selfhost', audio_ms: 72_000 })).cost_usd,
    ).toBe(usd('0.001'));
    const at2026 = {
      model: 'whisper-1',
      provider: 'openai',
      audio_ms: 9_000,
      ts: at('2026-02-01T00:00:00Z'),
    };
    expect(p.price(unpricedEvent(at2026)).cost_usd).toBe(usd('0.00075'));
    expect(p.price(unpricedEvent({ ...at2026, ts: at('2025-12-01T00:00:00Z') })).cost_usd).toBe(
      usd('0.0009'),
    );
  });
});

describe('overrides', () => {
  const file = (text: string) => parseOverrides(text, 'tokenledger.prices.yaml');

  // Sonnet 4.5 list price (https://platform.claude.com/docs/en/about-claude/pricing) $3 / $15 with a negotiated 10% off
  // Anthropic from 2025-09-01 until 2025-12-01 and 20% off Sonnet 4.5 itself from 2025-11-01.
  it('applies a provider discount inside its dates only, and a model discount over it', () => {
    const p = createPricer(
      catalog,
      file(`
discounts:
  - provider: anthropic
    percent_off: "10"
    from: 2025-09-01
    until: 2025-12-01
  - model: claude-sonnet-4-5
    percent_off: 20
    from: 2025-11-01
`),
    );
    // 100,000 input tokens stays under the 200k long-context threshold.
    const shape = { model: 'claude-sonnet-4-5', input_tokens: 100_000, output_tokens: 100_000 };
    // inside: 100,000 × $3 × 0.9 = $0.27; 100,000 × $15 × 0.9 = $1.35 → $1.62
    expect(p.price(unpricedEvent({ ...shape, ts: at('2025-10-15T00:00:00Z') })).cost_usd).toBe(usd('1.62'));
    // before: no discount: $0.30 + $1.50 = $1.80
    expect(p.price(unpricedEvent({ ...shape, ts: at('2025-08-31T23:59:59Z') })).cost_usd).toBe(usd('1.8'));
    // model discount wins from 2025-11-01: $0.30 × 0.8 = $0.24; $1.50 × 0.8 = $1.20 → $1.44 (also after the provider range)
    expect(p.price(unpricedEvent({ ...shape, ts: at('2025-11-15T00:00:00Z') })).cost_usd).toBe(usd('1.44'));
    expect(p.price(unpricedEvent({ ...shape, ts: at('2026-01-15T00:00:00Z') })).cost_usd).toBe(usd('1.44'));
    // other Anthropic models get the provider discount only: Haiku 4.5 $1 × 0.9 × 1M = $0.90
    expect(
      p.price(
        unpricedEvent({ model: 'claude-haiku-4-5', input_tokens: 1_000_000, ts: at('2025-10-15T00:00:00Z') }),
      ).cost_usd,
    ).toBe(usd('0.9'));
  });

  it('rejects, at file:line, a discount whose model or provider names nothing, as it could never apply', () => {
    const text = [
      'models:',
      '  - id: llama-local',
      '    provider: self-hosted',
      '    prices: { input_mtok: "0.1", output_mtok: "0.2" }',
      'discounts:',
      '  - model: claude-sonet-4-5',
      '    percent_off: 10',
      '  - provider: antropic',
      '    percent_off: 10',
      '  - provider: bedrock',
      '    model: us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      '    percent_off: 5',
      '  - provider: self-hosted',
      '    percent_off: 5',
      '',
    ].join('\n');
    let message = '';
    try {
      createPricer(catalog, file(text));
    } catch (e) {
      expect((e as { code: string }).code).toBe('PRICE_OVERRIDES_INVALID');
      message = (e as Error).message;
    }
    expect(message).toContain('tokenledger.prices.yaml has 2 problems');
    expect(message).toContain(
      'tokenledger.prices.yaml:6: discounts[0].model: no model "claude-sonet-4-5" in the catalog or this file\'s models',
    );
    expect(message).toContain(
      'tokenledger.prices.yaml:8: discounts[1].provider: no provider "antropic" in the catalog or this file\'s models',
    );
  });

  it('adds a self-hosted model with an effective range; outside it the model is unpriced', () => {
    const p = createPricer(
      catalog,
      file(`
models:
  - id: llama-3.3-70b-local
    provider: self-hosted
    names: [meta-llama/Llama-3.3-70B-Instruct-local]
    from: 2025-01-01
    prices: { input_mtok: "0.10", output_mtok: "0.30" }
`),
    );
    // 1,000,000 × $0.10 = $0.10; 500,000 × $0.30 = $0.15 → $0.25
    const e = p.price(
      unpricedEvent({
        model: 'vllm/meta-llama/Llama-3.3-70B-Instruct-local',
        input_tokens: 1_000_000,
        output_tokens: 500_000,
      }),
    );
    expect(e.model).toBe('llama-3.3-70b-local');
    expect(e.provider).toBe('self-hosted');
    expect(e.cost_usd).toBe(usd('0.25'));
    // 2024: before its range
    const early = p.price(
      unpricedEvent({ model: 'llama-3.3-70b-local', input_tokens: 1, ts: at('2024-06-01T00:00:00Z') }),
    );
    expect(early.cost_source).toBe('unpriced');
  });

  it('changes one catalog price from a date, keeping the parts it does not name', () => {
    const p = createPricer(
      catalog,
      file(
        'models:\n  - id: gpt-4o\n    provider: openai\n    from: 2025-10-01\n    prices: { input_mtok: "2.00" }\n',
      ),
    );
    const shape = { model: 'gpt-4o', input_tokens: 1_000, output_tokens: 1_000 };
    // from 2025-10-01: 1,000 × $2.00 + 1,000 × $10 (catalog) = $0.012; before: 1,000 × $2.50 + $0.01 = $0.0125
    expect(p.price(unpricedEvent({ ...shape, ts: at('2025-10-02T00:00:00Z') })).cost_usd).toBe(usd('0.012'));
    expect(p.price(unpricedEvent({ ...shape, ts: at('2025-09-30T00:00:00Z') })).cost_usd).toBe(usd('0.0125'));
  });

  it('resolves an alias to its target model and prices it there', () => {
    const p = createPricer(catalog, file('aliases:\n  sonnet: anthropic/claude-sonnet-4-5\n'));
    const e = p.price(unpricedEvent({ model: 'Sonnet', input_tokens: 1_234, output_tokens: 567 }));
    // 1,234 × $3 = $0.003702; 567 × $15 = $0.008505 → $0.012207
    expect(e.cost_usd).toBe(usd('0.012207'));
    expect(e.model).toBe('claude-sonnet-4-5');
    expect(p.resolve('sonnet')?.alias).toBe('sonnet → anthropic/claude-sonnet-4-5');
  });

  it('price_version carries a hash of the overrides that changes when they change, not when formatting does', () => {
    const a = createPricer(catalog, file('discounts:\n  - provider: openai\n    percent_off: "5"\n'));
    const b = createPricer(
      catalog,
      file('# negotiated 2025\ndiscounts: [ { percent_off: "5", provider: openai } ]\n'),
    );
    const c = createPricer(catalog, file('discounts:\n  - provider: openai\n    percent_off: "6"\n'));
    expect(a.version).toMatch(/^genai-prices@0\.1\.8\+ov:[0-9a-f]{8}$/);
    expect(b.version).toBe(a.version);
    expect(c.version).not.toBe(a.version);
    const e = a.price(unpricedEvent({ model: 'gpt-4o', input_tokens: 1 }));
    expect(e.price_version).toBe(a.version);
  });
});

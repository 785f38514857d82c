import { describe, expect, it } from 'vitest';
import { parseCanonicalFast } from './fast-schema.js';
import { canonicalRecordSchema } from './schema.js';

const base = { ts: '2026-11-03T09:12:44.120551Z', model: 'claude-sonnet-4-5' };
/** A line as `tokenledger export --format jsonl` writes it. */
const exported = JSON.parse(
  '{"event_id":"20647dc7931072cf","source":"demo","source_ref":null,"ingested_at":"2026-11-28T19:36:06.341000Z","ts":"2026-10-29T19:36:06.425003Z","duration_ms":2169.0,"ttft_ms":537.0,"org":"acme","team":"support","user":null,"project":"support-bot","agent":"support-bot","session_id":"73578b54","task_id":null,"environment":"prod","api_key_id":"ak_support_bot_prod","tags":{"app_version":"3.2.4"},"provider":"anthropic","model":"claude-haiku-4-5","model_requested":"claude-haiku-4-5","operation":"messages","service_tier":null,"route_id":null,"requests":1,"input_tokens":560,"cache_read_tokens":8311,"cache_write_5m_tokens":1585,"cache_write_1h_tokens":0,"output_tokens":235,"reasoning_tokens":0,"cost_usd":"0.004547350000","cost_input":"0.000560000000","cost_cache_read":"0.000831100000","cost_cache_write":"0.001981250000","cost_output":"0.001175000000","cost_source":"computed","price_version":"genai-prices@0.1.8","provider_cost_usd":null,"energy_j":null,"energy_source":null,"status":"ok","error_type":null}',
) as Record<string, unknown>;

/** Valid records the fast path must take itself (else it buys nothing). */
const common: Record<string, unknown>[] = [
  base,
  exported,
  { ...exported, user: 'ana', tags: { n: 3, b: true, s: 'x' }, duration_ms: 12.5, energy_j: 0 },
  {
    ...base,
    ts: 1_780_000_000_000,
    cost_usd: 0.25,
    cost_input: '',
    status: 'error',
    error_type: 'rate_limit',
  },
  { ...base, ingested_at: 5, energy_source: null, cost_source: null, tags: null, provider_cost_usd: '1.5' },
];

/** Records that are wrong, odd or borderline: whatever zod says, the fast path must not say otherwise. */
const odd: Record<string, unknown>[] = [
  { model: 'x' },
  { ts: base.ts },
  { ...base, model: '' },
  { ...base, model: null },
  { ...base, inputTokens: 5 },
  { ...base, input_tokens: -1 },
  { ...base, input_tokens: 1.5 },
  { ...base, input_tokens: 2 ** 60 },
  { ...base, input_tokens: '5' },
  { ...base, output_tokens: 3, reasoning_tokens: 4 },
  { ...base, reasoning_tokens: 1 },
  { ...base, ts: 'yesterday' },
  { ...base, ts: null },
  { ...base, ts: ' 1780000000000 ' },
  { ...base, cost_usd: 'ten dollars' },
  { ...base, cost_usd: '1e3' },
  { ...base, cost_usd: -1 },
  { ...base, cost_usd: true },
  { ...base, duration_ms: '12' },
  { ...base, duration_ms: -1 },
  { ...base, duration_ms: Number.POSITIVE_INFINITY },
  { ...base, status: 'weird' },
  { ...base, cost_source: 'unpriced' },
  { ...base, energy_source: 'guess' },
  { ...base, tags: [] },
  { ...base, tags: { a: { b: 1 } } },
  { ...base, tags: { a: null } },
  { ...base, user: 5 },
  { ...base, ingested_at: true },
  JSON.parse('{"ts":"2026-11-03T09:12:44Z","model":"m","__proto__":{"x":1}}'),
];

describe('parseCanonicalFast', () => {
  it('takes the common valid records itself, with exactly what zod outputs', () => {
    for (const raw of common) {
      const z = canonicalRecordSchema.safeParse(raw);
      expect(z.success).toBe(true);
      expect(parseCanonicalFast(raw)).toEqual(z.data);
    }
  });

  it('accepts only what zod accepts, and then with the same output', () => {
    let taken = 0;
    for (const raw of [...common, ...odd]) {
      const fast = parseCanonicalFast(raw);
      const z = canonicalRecordSchema.safeParse(raw);
      if (fast !== null) {
        taken++;
        expect(z.success, JSON.stringify(raw)).toBe(true);
        expect(fast).toEqual(z.data);
      }
      if (!z.success) expect(fast, JSON.stringify(raw)).toBeNull();
    }
    expect(taken).toBeGreaterThanOrEqual(common.length);
  });

  it('judges each record by its own keys when key orders change from one record to the next', () => {
    // The fast path remembers the last record's key order: a key moved, added, dropped or unknown at any place
    // must still be checked as what it is.
    const keys = Object.keys(exported);
    const reordered = Object.fromEntries([...keys].reverse().map((k) => [k, exported[k]]));
    const prefix = Object.fromEntries(keys.slice(0, 20).map((k) => [k, exported[k]]));
    const swapped = { ...prefix, duration_ms: 'slow' }; // a text where a number goes, same order as before
    const unknown = { ...prefix, colour: 'red' };
    const sequence = [
      exported,
      reordered,
      exported,
      prefix,
      exported,
      swapped,
      prefix,
      unknown,
      prefix,
      exported,
    ];
    for (const raw of sequence) {
      const z = canonicalRecordSchema.safeParse(raw);
      const fast = parseCanonicalFast(raw);
      if (z.success) expect(fast, JSON.stringify(raw)).toEqual(z.data);
      else expect(fast, JSON.stringify(raw)).toBeNull();
    }
    expect(parseCanonicalFast(swapped)).toBeNull();
    expect(parseCanonicalFast(unknown)).toBeNull();
    expect(parseCanonicalFast(reordered)).not.toBeNull();
  });
});

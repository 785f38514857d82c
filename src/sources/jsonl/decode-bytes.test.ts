import { beforeAll, describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../../ledger/event.js';
import { eventToRecord } from '../../ledger/serialize.js';
import { loadBundledCatalog } from '../../pricing/bundled-catalog.js';
import { createPricer } from '../../pricing/pricer.js';
import { DEMO_DEFAULTS, generateDemo } from '../demo/generate.js';
import type { ParseContext, Skip } from '../source.js';
import { CanonicalByteDecoder } from './decode-bytes.js';
import { jsonlSource } from './parse.js';

/**
 * The byte decoder is a fast path for the text path (JSON.parse, then fast-schema or zod): on every line it must
 * either hand the line back or give exactly the event the text path gives. These tests run both on the same lines.
 */
const ctx: ParseContext = {
  path: 'usage.jsonl',
  ingestedAt: 1_764_000_000_000_000,
  defaults: { team: 'default-team' },
};

function viaText(line: string, lineNo: number): { event?: UnpricedEvent; skip?: Skip } {
  const out: { event?: UnpricedEvent; skip?: Skip } = {};
  const parser = jsonlSource.open(ctx, { event: (e) => (out.event = e), skip: (s) => (out.skip = s) });
  parser.line(line, lineNo);
  return out;
}

/** One decoder for all lines, as in an import: its key order, string table and day cache carry from line to line. */
let decoder = new CanonicalByteDecoder(ctx);

/** Runs both paths on `line` (placed mid-buffer, between other bytes); fails if the decoder gives another event. */
function agree(line: string, lineNo = 7): 'fast' | 'declined' {
  const before = Buffer.from('{"junk": [1, 2]}\n');
  const bytes = Buffer.concat([before, Buffer.from(line), Buffer.from('\n{"more": "junk"}')]);
  const fast = decoder.decode(bytes, before.length, before.length + Buffer.byteLength(line), lineNo);
  if (fast === null) return 'declined';
  expect(viaText(line, lineNo), line).toEqual({ event: fast });
  return 'fast';
}

const exported =
  '{"event_id":"20647dc7931072cf","source":"demo","source_ref":null,"ingested_at":"2026-11-28T19:36:06.341000Z","ts":"2026-10-29T19:36:06.425003Z","duration_ms":2169.0,"ttft_ms":537.0,"org":"acme","team":"support","user":null,"project":"support-bot","agent":"support-bot","session_id":"73578b54","task_id":null,"environment":"prod","api_key_id":"ak_support_bot_prod","tags":{"app_version":"3.2.4"},"provider":"anthropic","model":"claude-haiku-4-5","model_requested":"claude-haiku-4-5","operation":"messages","service_tier":null,"route_id":null,"requests":1,"input_tokens":560,"cache_read_tokens":8311,"cache_write_5m_tokens":1585,"cache_write_1h_tokens":0,"output_tokens":235,"reasoning_tokens":0,"cost_usd":"0.004547350000","cost_input":"0.000560000000","cost_cache_read":"0.000831100000","cost_cache_write":"0.001981250000","cost_output":"0.001175000000","cost_source":"computed","price_version":"genai-prices@0.1.8","provider_cost_usd":null,"energy_j":null,"energy_source":null,"status":"ok","error_type":null}';
const base = '"event_id":"req-1","ts":"2026-11-03T09:12:44.120551Z","model":"claude-sonnet-4-5"';
const line = (fields: string) => `{${base}${fields ? `,${fields}` : ''}}`;

/** Lines in forms real files have: the decoder must take them itself, or it buys nothing. */
const common = [
  exported,
  line(''),
  `{ "event_id" : "req-2" ,\t"ts": "2026-11-03T09:12:44Z", "model":"gpt-5" }\r`,
  line('"user":"zoë.müller@example.com","project":"数据"'),
  line('"tags":{"n":3,"b":true,"f":false,"s":"x","e":1.5e2}'),
  line('"tags":{},"duration_ms":12.5,"ttft_ms":1e3,"energy_j":0'),
  line('"input_tokens":123456789012345,"output_tokens":10,"reasoning_tokens":10,"requests":0'),
  line(
    '"input_tokens":10,"input_audio_tokens":4,"input_image_tokens":6,"output_tokens":9,"output_image_tokens":9',
  ),
  line('"audio_ms":9000,"provider":"openai","operation":"audio.transcriptions"'),
  line('"cost_usd":"1.5","cost_input":"-0.25","cost_output":"","provider_cost_usd":0.25'),
  line('"cost_usd":"12345.123456789012","cost_input":"1e-7"'),
  line('"status":"error","error_type":"rate_limit","cost_source":"provider","energy_source":"measured"'),
  line('"ingested_at":5,"tags":null,"team":null,"org":""'),
  '{"event_id":"req-3","ts":"2026-11-03T09:12:44.1+02:00","model":"m"}',
  '{"event_id":"req-4","ts":"2026-11-03T09:12:44.123456789-05:30","model":"m"}',
  '{"event_id":"req-5","ts":"2026-11-03T09:12:44","model":"m"}',
  '{"event_id":"req-6","ts":"2026-02-28T23:59:59.999999Z","model":"m"}',
  '{"model":"m","ts":1780000000123.5,"event_id":"req-7"}',
  '{"event_id":"req-8","model":"m","ts":"2026-11-03 09:12:44Z"}',
];

/** Lines that are wrong, odd or borderline: whatever the text path says, the decoder must not say otherwise. */
const odd = [
  '',
  '   ',
  '[]',
  'null',
  '{}',
  '{"ts":"2026-11-03T09:12:44Z"}',
  '{"model":"m"}',
  line('"user":"a\\"b"'),
  line('"user":"\\u00e9"'),
  line('"user":"tab\there"'),
  line('"inputTokens":5'),
  line('"user":"a","user":"b"'),
  line('"input_tokens":-1'),
  line('"input_tokens":-0'),
  line('"input_tokens":1.5'),
  line('"input_tokens":1.0'),
  line('"input_tokens":01'),
  line('"input_tokens":2e0'),
  line(`"input_tokens":${2 ** 60}`),
  line('"input_tokens":"5"'),
  line('"output_tokens":3,"reasoning_tokens":4'),
  line('"input_tokens":10,"input_audio_tokens":4,"input_image_tokens":7'),
  line('"output_tokens":3,"output_audio_tokens":2,"output_image_tokens":2'),
  line('"reasoning_tokens":1'),
  line('"audio_ms":1.5'),
  line('"audio_ms":-1'),
  line('"duration_ms":-5'),
  line('"duration_ms":.5'),
  line('"duration_ms":5.'),
  line('"duration_ms":1e'),
  line('"team":{"a":1}'),
  line('"team":7'),
  line('"team":true'),
  line('"tags":{"a":{"b":1}}'),
  line('"tags":{"a":null}'),
  line('"tags":{"__proto__":"x"}'),
  line('"tags":{"a":"1","a":"2"}'),
  line('"tags":{"a":"1",}'),
  line('"tags":[]'),
  line('"cost_usd":"12"'),
  line('"cost_usd":" 1.0 "'),
  line('"cost_usd":"0.0000000000005"'),
  line('"cost_usd":"1,5"'),
  line('"cost_usd":true'),
  line('"status":"weird"'),
  line('"cost_source":"unpriced","cost_usd":"1.0"'),
  line('"energy_source":"x"'),
  line('"ingested_at":true'),
  line('"extra":1'),
  line(','),
  `${line('')} x`,
  `${line('')}}`,
  line('').slice(0, -1),
  `\ufeff${line('')}`,
  '{"event_id":null,"ts":"2026-11-03T09:12:44Z","model":"m"}',
  '{"event_id":"","ts":"2026-11-03T09:12:44Z","model":"m"}',
  '{"ts":"2026-11-03T09:12:44Z","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03T09:12:44Z","model":""}',
  '{"event_id":"x","ts":"2026-11-03T09:12:44Z","model":null}',
  '{"event_id":"x","ts":"yesterday","model":"m"}',
  '{"event_id":"x","ts":"2026-13-03T09:12:44Z","model":"m"}',
  '{"event_id":"x","ts":"2026-00-03T09:12:44Z","model":"m"}',
  '{"event_id":"x","ts":"2026-02-30T23:59:59.999999Z","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03T24:00:00Z","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03T23:59:60Z","model":"m"}',
  '{"event_id":"x","ts":"0099-11-03T09:12:44Z","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03t09:12:44z","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03T09:12:44.Z","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03T09:12:44.1234567890Z","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03T09:12:44+0200","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03T09:12:44+02:0x","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03","model":"m"}',
  '{"event_id":"x","ts":null,"model":"m"}',
  '{"event_id":"x","ts":"2026-11-03T09:12:44Z","model":"m"',
  '{"event_id":"x" "ts":"2026-11-03T09:12:44Z","model":"m"}',
  '{"event_id":"x","ts":"2026-11-03T09:12:44Z","model":"m",}',
  '{"event_id":"x","ts":"2026-11-03T09:12:44Z","model":nul}',
];

describe('decoding canonical lines from their bytes', () => {
  const demoLines: string[] = [];
  beforeAll(async () => {
    const pricer = createPricer(await loadBundledCatalog(), null);
    const end = Date.UTC(2025, 10, 21) * 1000;
    for (const u of generateDemo({ ...DEMO_DEFAULTS, people: 40, days: 3, end, ingestedAt: end })) {
      demoLines.push(JSON.stringify(eventToRecord(pricer.price(u))));
      if (demoLines.length === 3000) break;
    }
  });

  it('takes every line of a demo export itself, with the event the text path gives', () => {
    expect(demoLines).toHaveLength(3000);
    expect(demoLines.map((l, i) => agree(l, i + 1)).filter((r) => r === 'fast')).toHaveLength(3000);
  });

  it('takes lines in the other forms files have (spacing, zones, numbers, tags, non-ASCII text, other key orders)', () => {
    for (const l of common) expect(agree(l), l).toBe('fast');
  });

  it('gives an empty attribution field as none, the default filling it, as the text path does', () => {
    const l = '{"ts":"2026-11-03T09:12:44Z","model":"m","team":"","user":"","input_tokens":5}';
    agree(l); // taken or handed back, never another event
    expect(viaText(l, 1).event).toMatchObject({ team: 'default-team', user: null });
  });

  it('never gives another event than the text path on wrong or borderline lines', () => {
    const outcomes = odd.map((l) => agree(l));
    // Most of them the decoder must hand back: it judges nothing.
    expect(outcomes.filter((o) => o === 'declined').length).toBeGreaterThan(odd.length * 0.8);
  });

  it('agrees with the text path on 20,000 random corruptions of real lines', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const alphabet = '"\\{}[],: \t0123456789.eE+-ntrufalsZT\u00e9\u0000';
    const seen = { fast: 0, declined: 0 };
    decoder = new CanonicalByteDecoder(ctx);
    const samples = [exported, ...demoLines.slice(0, 20), ...common];
    for (let i = 0; i < 20_000; i++) {
      let l = samples[rand(samples.length)]!;
      for (let edits = 1 + rand(3); edits > 0; edits--) {
        const at = rand(l.length + 1);
        const ch = alphabet[rand(alphabet.length)]!;
        const op = rand(3);
        l =
          op === 0
            ? l.slice(0, at) + ch + l.slice(at)
            : op === 1
              ? l.slice(0, at) + l.slice(at + 1)
              : l.slice(0, at) + ch + l.slice(at + 1);
      }
      seen[agree(l, i + 1)]++;
    }
    // Both outcomes happen, so the comparison was not vacuous either way.
    expect(seen.fast).toBeGreaterThan(1000);
    expect(seen.declined).toBeGreaterThan(1000);
  });
});

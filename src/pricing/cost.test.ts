import { describe, expect, it } from 'vitest';
import type { RateCard, Usage } from '../ledger/event.js';
import { parseDecimal } from '../money/money.js';
import { audioFee, costMatches, costOf, RATE_SCALE, webSearchFee } from './cost.js';

const r = (s: string) => parseDecimal(s, RATE_SCALE);
const usage = (u: Partial<Usage>): Usage => ({
  requests: 1,
  input_tokens: 0,
  cache_read_tokens: 0,
  cache_write_5m_tokens: 0,
  cache_write_1h_tokens: 0,
  output_tokens: 0,
  reasoning_tokens: 0,
  web_search_requests: 0,
  input_audio_tokens: 0,
  output_audio_tokens: 0,
  input_image_tokens: 0,
  output_image_tokens: 0,
  audio_ms: 0,
  ...u,
});
const card = (c: Partial<RateCard>): RateCard => ({
  input: 0n,
  cache_read: 0n,
  cache_write_5m: 0n,
  cache_write_1h: 0n,
  output: 0n,
  web_search: 0n,
  input_audio: 0n,
  output_audio: 0n,
  input_image: 0n,
  output_image: 0n,
  audio_hour: 0n,
  ...c,
});

describe('costOf', () => {
  it('rounds each part once, half-to-even, to the pico-dollar', () => {
    // 1 token × $0.0000015/MTok = 1.5 pico-USD → 2; 1 token × $0.0000025/MTok = 2.5 pico-USD → 2
    const a = costOf(
      usage({ input_tokens: 1, output_tokens: 1 }),
      card({ input: r('0.0000015'), output: r('0.0000025') }),
    );
    expect([a.cost_input, a.cost_output, a.cost_usd]).toEqual([2n, 2n, 4n]);
  });

  it('sums 5m and 1h cache writes before rounding them', () => {
    // 1 × 0.0000005 + 1 × 0.000001 = 1.5 pico-USD → 2 (rounding each first would give 0 + 1 = 1)
    const c = costOf(
      usage({ cache_write_5m_tokens: 1, cache_write_1h_tokens: 1 }),
      card({ cache_write_5m: r('0.0000005'), cache_write_1h: r('0.000001') }),
    );
    expect(c.cost_cache_write).toBe(2n);
  });
});

describe('image tokens', () => {
  it('are priced at the image rates inside the input and output parts, beside audio, each part rounded once', () => {
    // gpt-image-1.5 at $5 / $10 per 1M text tokens, $8 image input, $32 image output: 1,000 input of which 600 image,
    // 4,200 output of which 4,160 image: input 400 × 5 + 600 × 8 = $0.0068, output 40 × 10 + 4,160 × 32 = $0.13352.
    const gptImage = card({ input: r('5'), output: r('10'), input_image: r('8'), output_image: r('32') });
    const c = costOf(
      usage({
        input_tokens: 1_000,
        input_image_tokens: 600,
        output_tokens: 4_200,
        output_image_tokens: 4_160,
      }),
      gptImage,
    );
    expect([c.cost_input, c.cost_output, c.cost_usd]).toEqual([
      6_800_000_000n,
      133_520_000_000n,
      140_320_000_000n,
    ]);
    // Text, audio and image halves of a pico-dollar add up before rounding: 0.5 + 0.5 + 0.5 = 1.5 → 2.
    const thirds = costOf(
      usage({ input_tokens: 3, input_audio_tokens: 1, input_image_tokens: 1 }),
      card({ input: r('0.0000005'), input_audio: r('0.0000005'), input_image: r('0.0000005') }),
    );
    expect(thirds.cost_input).toBe(2n);
  });

  it('are part of what costMatches checks: images priced as text do not match the card', () => {
    const u = usage({
      input_tokens: 1_000,
      input_image_tokens: 600,
      output_tokens: 4_200,
      output_image_tokens: 4_160,
    });
    const c = card({ input: r('5'), output: r('10'), input_image: r('8'), output_image: r('32') });
    expect(costMatches(costOf(u, c), u, c)).toBe(true);
    expect(costMatches(costOf({ ...u, input_image_tokens: 0, output_image_tokens: 0 }, c), u, c)).toBe(false);
  });
});

describe('audio tokens', () => {
  it('are priced at the audio rates inside the input and output parts, each part rounded once', () => {
    // gpt-audio at $2.50 / $10 per 1M text tokens and $32 / $64 audio: 12,000 input of which 8,000 audio,
    // 3,000 output of which 2,000 audio: input 4,000 × 2.5 + 8,000 × 32 = $0.266, output 1,000 × 10 + 2,000 × 64 = $0.138.
    const gptAudio = card({ input: r('2.5'), output: r('10'), input_audio: r('32'), output_audio: r('64') });
    const c = costOf(
      usage({
        input_tokens: 12_000,
        input_audio_tokens: 8_000,
        output_tokens: 3_000,
        output_audio_tokens: 2_000,
      }),
      gptAudio,
    );
    expect([c.cost_input, c.cost_output, c.cost_usd]).toEqual([
      266_000_000_000n,
      138_000_000_000n,
      404_000_000_000n,
    ]);
    // Text and audio halves of a pico-dollar add up before rounding: 1 × 0.0000005 + 1 × 0.000001 = 1.5 → 2.
    const halves = costOf(
      usage({ input_tokens: 2, input_audio_tokens: 1 }),
      card({ input: r('0.0000005'), input_audio: r('0.000001') }),
    );
    expect(halves.cost_input).toBe(2n);
  });

  it('are part of what costMatches checks: audio priced as text does not match the card', () => {
    const u = usage({
      input_tokens: 12_000,
      input_audio_tokens: 8_000,
      output_tokens: 3_000,
      output_audio_tokens: 2_000,
    });
    const c = card({ input: r('2.5'), output: r('10'), input_audio: r('32'), output_audio: r('64') });
    expect(costMatches(costOf(u, c), u, c)).toBe(true);
    const asText = costOf({ ...u, input_audio_tokens: 0, output_audio_tokens: 0 }, c);
    expect(costMatches(asText, u, c)).toBe(false);
  });
});

describe('the audio fee (audio billed by its duration)', () => {
  it('is audio_ms × the rate per hour / 3.6·10^12, in cost_usd beside the parts, rounded once half-to-even', () => {
    // whisper-1, $0.36 per hour, 9 s: 9,000 × 0.36·10^18 / 3.6·10^12 = 900,000,000 pico-dollars, $0.0009.
    const whisper = card({ audio_hour: r('0.36') });
    const c = costOf(usage({ audio_ms: 9_000 }), whisper);
    expect([c.cost_usd, c.cost_input, c.cost_output]).toEqual([900_000_000n, 0n, 0n]);
    // Beside tokens: the fee adds to their parts, which it leaves alone.
    const both = costOf(usage({ input_tokens: 1_000, audio_ms: 9_000 }), { ...whisper, input: r('2.5') });
    expect([both.cost_input, both.cost_usd]).toEqual([2_500_000_000n, 3_400_000_000n]);
    // A rate of 27·10^12 (7.5 × the divisor per ms): an odd count lands exactly half-way, rounded to even.
    const tie = card({ audio_hour: 27n * 10n ** 12n });
    expect([1, 3, 5, 7].map((ms) => audioFee({ audio_ms: ms }, tie))).toEqual([8n, 22n, 38n, 52n]);
    // The smallest rate: 1.8·10^12 ms is half a pico-dollar (→ 0), 5.4·10^12 one and a half (→ 2).
    const least = card({ audio_hour: 1n });
    expect(audioFee({ audio_ms: 1_800_000_000_000 }, least)).toBe(0n);
    expect(audioFee({ audio_ms: 5_400_000_000_000 }, least)).toBe(2n);
    expect(audioFee({ audio_ms: 1_800_000_000_001 }, least)).toBe(1n);
    // None without audio, or at a rate of 0 (the pricer leaves such an event unpriced instead: pricer.test.ts).
    expect(audioFee({ audio_ms: 0 }, whisper)).toBe(0n);
    expect(audioFee({ audio_ms: 9_000 }, card({}))).toBe(0n);
  });

  it('is part of what costMatches checks: a cost without the fee does not match the card', () => {
    const u = usage({ input_tokens: 1_000, audio_ms: 9_000 });
    const c = card({ input: r('2.5'), audio_hour: r('0.36') });
    expect(costMatches(costOf(u, c), u, c)).toBe(true);
    expect(costMatches(costOf({ ...u, audio_ms: 0 }, c), u, c)).toBe(false);
  });
});

describe('the web search fee', () => {
  it('is searches × the rate per 1,000, in cost_usd beside the parts, rounded once half-to-even', () => {
    // Sonnet 4.5 at $3 / $15 per 1M tokens and $10 per 1,000 searches: 10,000 + 2,000 tokens = $0.06, 3 searches $0.03.
    const c = costOf(
      usage({ input_tokens: 10_000, output_tokens: 2_000, web_search_requests: 3 }),
      card({ input: r('3'), output: r('15'), web_search: r('10') }),
    );
    expect([c.cost_input, c.cost_output, c.cost_usd]).toEqual([
      30_000_000_000n,
      30_000_000_000n,
      90_000_000_000n,
    ]);
    // 1 search at $0.0000000015 per 1,000 = 1.5 pico-USD → 2; 5 searches = 7.5 → 8; 3 at 0.0000000025 = 7.5 → 8
    const fee = (n: number, rate: string) =>
      costOf(usage({ web_search_requests: n }), card({ web_search: r(rate) })).cost_usd;
    expect([fee(1, '0.0000000015'), fee(5, '0.0000000015'), fee(1, '0.0000000025')]).toEqual([2n, 8n, 2n]);
    expect(webSearchFee(usage({ web_search_requests: 0 }), card({ web_search: r('10') }))).toBe(0n);
  });

  it('is part of what costMatches checks: a cost without its fee does not match the card', () => {
    const u = usage({ input_tokens: 10_000, output_tokens: 2_000, web_search_requests: 3 });
    const c = card({ input: r('3'), output: r('15'), web_search: r('10') });
    const exact = costOf(u, c);
    expect(costMatches(exact, u, c)).toBe(true);
    expect(costMatches({ ...exact, cost_usd: exact.cost_usd - 30_000_000_000n }, u, c)).toBe(false);
  });
});

describe('costMatches', () => {
  it('holds for exactly what costOf gives, ties included, and for no part one pico-dollar off', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    // Half the rates are an odd multiple of 10^12 / 2: with an odd token count the part is an exact tie.
    const rate = () =>
      rand(4) === 0
        ? 0n
        : rand(2) === 0
          ? BigInt(2 * rand(100) + 1) * 5n * 10n ** 11n
          : BigInt(1 + rand(40)) * 10n ** BigInt(5 + rand(8));
    const parts = ['cost_input', 'cost_cache_read', 'cost_cache_write', 'cost_output'] as const;
    let ties = 0;
    for (let i = 0; i < 5_000; i++) {
      const u = usage({
        input_tokens: rand(3) === 0 ? 0 : rand(1_000_000),
        cache_read_tokens: rand(500_000),
        cache_write_5m_tokens: rand(2) * rand(50_000),
        cache_write_1h_tokens: rand(2) * rand(50_000),
        output_tokens: rand(30_000),
      });
      const c = card({
        input: rate(),
        cache_read: rate(),
        cache_write_5m: rate(),
        cache_write_1h: rate(),
        output: rate(),
      });
      if ((BigInt(u.input_tokens) * c.input) % 10n ** 12n === 5n * 10n ** 11n) ties++;
      const exact = costOf(u, c);
      expect(costMatches(exact, u, c)).toBe(true);
      for (const p of parts) {
        for (const d of [1n, -1n]) {
          // The part moved, and cost_usd moved with it (else the sum alone would catch it).
          const off = { ...exact, [p]: exact[p] + d, cost_usd: exact.cost_usd + d };
          expect(costMatches(off, u, c)).toBe(false);
        }
      }
      expect(costMatches({ ...exact, cost_usd: exact.cost_usd + 1n }, u, c)).toBe(false);
      expect(costMatches({ ...exact, cost_output: null }, u, c)).toBe(false);
    }
    expect(ties).toBeGreaterThan(50);
  });
});

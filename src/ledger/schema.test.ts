import { describe, expect, it } from 'vitest';
import { canonicalRecordSchema, describeIssues } from './schema.js';

const base = { ts: '2026-11-01T00:00:00Z', model: 'gpt-4o-mini', output_tokens: 20 };

/** What an import prints for a record: the issues zod found, field by field. */
function said(record: Record<string, unknown>): string {
  const r = canonicalRecordSchema.safeParse({ ...base, ...record }, { reportInput: true });
  return r.success ? 'ok' : describeIssues(r.error);
}

describe('canonical records: what a wrong field name is told', () => {
  it('points a field written in another case or with other separators to its name', () => {
    expect(said({ inputTokens: 5 })).toBe('unknown key "inputTokens" (did you mean "input_tokens"?)');
    expect(said({ colour: 'blue' })).toBe('unknown key "colour"');
  });
});

describe('canonical records: what a bad measure is told', () => {
  it('says what it got where a duration or an energy is not a number, 0 or more', () => {
    expect(said({ energy_j: 'x' })).toBe('energy_j: expected a number, 0 or more, got "x"');
    expect(said({ duration_ms: -1 })).toBe('duration_ms: expected a number, 0 or more, got -1');
    expect(said({ duration_ms: '12.5', ttft_ms: null })).toBe('ok');
  });
});

describe('canonical records: what a bad count is told', () => {
  it('says once what is wrong with a count', () => {
    expect(said({ input_tokens: -5 })).toBe('input_tokens: cannot be negative');
    expect(said({ input_tokens: 1.5 })).toBe('input_tokens: expected a whole number');
    // Past 2^53 a count is also not a safe integer: the size is the one thing to say.
    expect(said({ input_tokens: 1e30 })).toBe('input_tokens: too large to be exact');
    // A CSV cell that is not a number stays text; a JSON string is not taken for a number either.
    expect(said({ input_tokens: 'abc' })).toBe('input_tokens: expected a number of tokens, got "abc"');
    expect(said({ output_tokens: '5' })).toBe('output_tokens: expected a number of tokens, got "5"');
  });

  it('does not blame a part (audio, reasoning) for a total that is itself invalid', () => {
    expect(said({ input_tokens: -5 })).not.toContain('input_audio_tokens');
    expect(said({ output_tokens: -1 })).toBe('output_tokens: cannot be negative');
  });

  it('still refuses a part larger than its valid total', () => {
    expect(said({ input_tokens: 5, input_audio_tokens: 9 })).toBe(
      'input_audio_tokens: input_audio_tokens is part of input_tokens, so it cannot exceed it',
    );
    expect(said({ output_tokens: 5, reasoning_tokens: 9 })).toBe(
      'reasoning_tokens: reasoning_tokens is part of output_tokens, so it cannot exceed it',
    );
    expect(said({ input_tokens: 5, input_audio_tokens: 5 })).toBe('ok');
  });

  it('refuses image tokens that, with the audio beside them, exceed their whole', () => {
    expect(said({ input_tokens: 10, input_audio_tokens: 4, input_image_tokens: 7 })).toBe(
      'input_image_tokens: input_image_tokens is part of input_tokens beside input_audio_tokens, so the two cannot exceed it',
    );
    expect(said({ output_tokens: 10, output_image_tokens: 11 })).toBe(
      'output_image_tokens: output_image_tokens is part of output_tokens beside output_audio_tokens, so the two cannot exceed it',
    );
    expect(
      said({
        input_tokens: 10,
        input_audio_tokens: 4,
        input_image_tokens: 6,
        output_tokens: 3,
        output_image_tokens: 3,
      }),
    ).toBe('ok');
  });
});

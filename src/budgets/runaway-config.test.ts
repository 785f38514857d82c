import { describe, expect, it } from 'vitest';
import { RUNAWAY_DEFAULTS, runawayConfigSchema } from './runaway-config.js';

describe('runawayConfigSchema', () => {
  it('fills the documented defaults', () => {
    expect(RUNAWAY_DEFAULTS).toEqual({
      max_usd: '20',
      window_minutes: 10,
      loop_repeats: 12,
      block: false,
      block_minutes: 30,
    });
  });

  it('accepts a number or a decimal string for max_usd', () => {
    expect(runawayConfigSchema.parse({ max_usd: 7.5, block: true }).max_usd).toBe('7.5');
    expect(runawayConfigSchema.parse({ max_usd: '100.25' }).max_usd).toBe('100.25');
  });

  it('names every bad field', () => {
    const r = runawayConfigSchema.safeParse({ max_usd: '0', window_minutes: 0, loop_repeats: 1, extra: 1 });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.') || i.code);
    expect(paths).toEqual(expect.arrayContaining(['max_usd', 'window_minutes', 'loop_repeats']));
    expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModelPrices, parseRoutingCases } from './dataset.js';
import { evaluateRouters } from './evaluate.js';
import type { PolicyResult } from './policy.js';
import { learnableCases } from './synthetic.test-data.js';

const byName = (rows: PolicyResult[], name: string) => rows.find((r) => r.policy === name) as PolicyResult;

describe('evaluateRouters on prompts whose words decide the model', () => {
  const cases = learnableCases(3000);
  const e = evaluateRouters({ cases, models: ['small', 'large'], skipped: [] }, new Map(), { targets: [1] });
  const rows = e.targets[0]!.rows;

  it('splits by id into train, validation and test, and reports every model alone on test', () => {
    expect(e.sizes.train + e.sizes.validation + e.sizes.test).toBe(3000);
    expect(e.sizes.test).toBeGreaterThan(500);
    expect(e.models[e.strongest]).toBe('large');
    expect(e.models[e.cheapest]).toBe('small');
    expect(e.singles.map((r) => r.calls)).toEqual([
      [e.sizes.test, 0],
      [0, e.sizes.test],
    ]);
  });

  it('routes nearly as the oracle does: every proof to the large model, the questions to the small one', () => {
    const learned = byName(rows, 'learned router');
    expect(learned.quality).toBe(1);
    expect(Number(learned.cost)).toBeLessThanOrEqual(Number(e.oracle.cost) * 1.01);
    // About a third of the calls at 10x and two thirds at 1x: ~10/4 = 2.5x cheaper than always large.
    expect(Number(e.singles[1]!.cost) / Number(learned.cost)).toBeGreaterThan(2.3);
  });

  it('keeps full quality by random mixing only by sending everything to the strongest model', () => {
    expect(byName(rows, 'random mix').calls).toEqual([0, e.sizes.test]);
  });
});

const DATA = join(import.meta.dirname, '../../../shared/data/routing');
describe.skipIf(!existsSync(DATA))(
  'evaluateRouters on the public routing datasets in ../shared/data/routing',
  () => {
    const prices = parseModelPrices(readFileSync(join(DATA, 'models.json'), 'utf8'), 'models.json');
    const evaluate = (file: string) =>
      evaluateRouters(parseRoutingCases(readFileSync(join(DATA, file), 'utf8'), file, prices), prices);

    it('GSM8K: keeps ≥ 90% of GPT-4’s quality for under 60% of its cost, beating a random mix', () => {
      const e = evaluate('routellm-gsm8k.jsonl');
      const gpt4 = e.singles[e.strongest]!;
      expect(e.models[e.strongest]).toBe('gpt-4-1106-preview');
      const at95 = e.targets.find((t) => t.target === 0.95)!.rows;
      const learned = byName(at95, 'learned router');
      const mix = byName(at95, 'random mix');
      expect(learned.quality / gpt4.quality).toBeGreaterThan(0.9);
      expect(Number(learned.cost) / Number(gpt4.cost)).toBeLessThan(0.6);
      expect(learned.quality).toBeGreaterThanOrEqual(mix.quality);
      expect(learned.cost).toBeLessThan(mix.cost);
    });

    it('MMLU-Pro (11 models): at every target, costs less than a random mix of the strongest and cheapest', () => {
      const e = evaluate('mmlu-pro.jsonl');
      expect(e.models[e.strongest]).toBe('gemini-1.5-pro-002');
      const strongest = e.singles[e.strongest]!;
      for (const { rows } of e.targets) {
        const learned = byName(rows, 'learned router');
        const mix = byName(rows, 'random mix');
        expect(learned.cost).toBeLessThan(mix.cost);
        expect(learned.quality).toBeGreaterThan(mix.quality - 0.01);
        expect(learned.quality / strongest.quality).toBeGreaterThan(0.9);
      }
      // Never better than the oracle, which knows every answer before choosing.
      for (const r of e.singles) expect(r.quality).toBeLessThanOrEqual(e.oracle.quality);
    });
  },
);

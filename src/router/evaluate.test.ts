import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModelPrices, parseRoutingCases } from './dataset.js';
import { type Evaluation, evaluateRouters } from './evaluate.js';
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
    // Questions sent to the large model as well, needlessly: at most 1% of the calls.
    expect(learned.calls[1]! - e.oracle.calls[1]!).toBeLessThanOrEqual(0.01 * e.sizes.test);
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

    /**
     * Mixing the cheapest and the strongest model at random buys quality on the straight line between them: what the
     * learned router keeps at its cost must lie above that line, by `margin`, or routing reads no better than a coin.
     */
    function aboveTheMixLine(e: Evaluation, r: PolicyResult, margin: number) {
      const cheap = e.singles[e.cheapest]!;
      const strong = e.singles[e.strongest]!;
      const share = Number(r.cost - cheap.cost) / Number(strong.cost - cheap.cost);
      expect(r.quality).toBeGreaterThan(cheap.quality + share * (strong.quality - cheap.quality) + margin);
    }

    it('GSM8K: above the random mix at every target; at 95%, over 90% of GPT-4 for under 75% of its cost', () => {
      const e = evaluate('routellm-gsm8k.jsonl');
      expect(e.models[e.strongest]).toBe('gpt-4-1106-preview');
      for (const { rows } of e.targets) aboveTheMixLine(e, byName(rows, 'learned router'), 0.02);
      const gpt4 = e.singles[e.strongest]!;
      const at95 = byName(e.targets.find((t) => t.target === 0.95)!.rows, 'learned router');
      expect(at95.quality / gpt4.quality).toBeGreaterThan(0.9);
      expect(Number(at95.cost) / Number(gpt4.cost)).toBeLessThan(0.75);
    });

    it('MMLU-Pro (11 models): above the random mix, and ≥ 90% of the strongest quality, at every target', () => {
      const e = evaluate('mmlu-pro.jsonl');
      expect(e.models[e.strongest]).toBe('gemini-1.5-pro-002');
      const strongest = e.singles[e.strongest]!;
      for (const { rows } of e.targets) {
        const learned = byName(rows, 'learned router');
        aboveTheMixLine(e, learned, 0.05);
        expect(learned.quality / strongest.quality).toBeGreaterThan(0.9);
        expect(learned.cost).toBeLessThan(byName(rows, 'random mix').cost);
      }
      // Never better than the oracle, which knows every answer before choosing.
      for (const r of e.singles) expect(r.quality).toBeLessThanOrEqual(e.oracle.quality);
    });
  },
);

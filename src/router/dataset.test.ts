import { describe, expect, it } from 'vitest';
import { TokenledgerError } from '../errors.js';
import { parseModelPrices, parseRoutingCases } from './dataset.js';

const prices = parseModelPrices(
  JSON.stringify({
    _note: 'notes are not models',
    strong: { input_per_mtok: 10, output_per_mtok: 30 },
    cheap: { input_per_mtok: 0.075, output_per_mtok: '0.3' },
  }),
  'models.json',
);
const line = (o: object) => JSON.stringify({ id: 'q1', category: 'math', prompt: 'abcd'.repeat(100), ...o });

describe('parseModelPrices', () => {
  it('reads USD per 1M tokens as the decimals written, numbers or strings, and skips notes', () => {
    expect([...prices.keys()]).toEqual(['strong', 'cheap']);
    expect(prices.get('cheap')).toEqual({ input: 75_000_000_000n, output: 300_000_000_000n });
  });

  it('names the file and the model of a bad entry', () => {
    const bad = JSON.stringify({ m: { input_per_mtok: -1, output_per_mtok: 1 } });
    expect(() => parseModelPrices(bad, 'p.json')).toThrow(/p\.json: m\.input_per_mtok: /);
    expect(() => parseModelPrices('{', 'p.json')).toThrow(TokenledgerError);
    expect(() =>
      parseModelPrices('{"m": {"input_per_mtok": "1,5", "output_per_mtok": 1}}', 'p.json'),
    ).toThrow(/a decimal such as "2\.5"/);
  });
});

describe('parseRoutingCases', () => {
  it('prices an outcome from list prices by the dataset rule: ceil(characters / 4) tokens', () => {
    const d = parseRoutingCases(
      line({ outcomes: { strong: { score: 1, output_chars: 81 }, cheap: { score: 0 } } }),
      'd.jsonl',
      prices,
    );
    const c = d.cases[0]!;
    expect(c.inputTokens).toBe(100);
    // strong: 100 × $10/M + ceil(81/4) = 21 × $30/M = $0.00163; cheap: 100 × $0.075/M + 1 token × $0.3/M.
    expect(c.outcomes.get('strong')).toEqual({ score: 1, cost: 1_630_000_000n, outputTokens: 21 });
    expect(c.outcomes.get('cheap')).toEqual({ score: 0, cost: 7_800_000n, outputTokens: 1 });
    expect(d.models).toEqual(['strong', 'cheap']);
  });

  it('counts characters, not UTF-16 units: an emoji is one', () => {
    const d = parseRoutingCases(
      line({ prompt: '😀😀😀😀😀', outcomes: { cheap: { score: 1 } } }),
      'd',
      prices,
    );
    expect(d.cases[0]!.inputTokens).toBe(2);
  });

  it('takes a measured cost_usd as the decimal it is written as, over list prices', () => {
    const d = parseRoutingCases(line({ outcomes: { other: { score: 0.5, cost_usd: 0.0012 } } }), 'd', prices);
    expect(d.cases[0]!.outcomes.get('other')!.cost).toBe(1_200_000_000n);
  });

  it('skips a bad line with file:line and why, and reads the rest', () => {
    const text = [
      line({ id: 'a', outcomes: { strong: { score: 1 }, cheap: { score: 0 } } }),
      '{not json',
      line({ id: 'b', outcomes: { strong: { score: 2 }, cheap: { score: 0 } } }),
      line({ id: 'c', outcomes: { strong: { score: 1 } } }),
      line({ id: 'a', outcomes: { strong: { score: 1 }, cheap: { score: 1 } } }),
      '',
      line({ id: 'd', outcomes: { strong: { score: 0 }, cheap: { score: 1 } } }),
    ].join('\n');
    const d = parseRoutingCases(text, 'data.jsonl', prices);
    expect(d.cases.map((c) => c.id)).toEqual(['a', 'd']);
    expect(d.skipped.map((s) => s.at)).toEqual([
      'data.jsonl:2',
      'data.jsonl:3',
      'data.jsonl:4',
      'data.jsonl:5',
    ]);
    expect(d.skipped[0]!.reason).toMatch(/^not JSON/);
    expect(d.skipped[1]!.reason).toMatch(/^outcomes\.strong\.score: /);
    expect(d.skipped[2]!.reason).toBe("outcomes for strong; the file's first case has strong, cheap");
    expect(d.skipped[3]!.reason).toBe('id "a" appears earlier in the file');
  });

  it('refuses a model it cannot price rather than costing its calls at zero', () => {
    expect(() => parseRoutingCases(line({ outcomes: { unknown: { score: 1 } } }), 'd', prices)).toThrow(
      expect.objectContaining({ code: 'ROUTER_UNPRICED_MODEL' }),
    );
  });
});

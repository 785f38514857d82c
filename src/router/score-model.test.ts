import { describe, expect, it } from 'vitest';
import { featuresOf } from './features.js';
import { predictScores, trainScoreModel } from './score-model.js';
import { learnableCases } from './synthetic.test-data.js';

describe('trainScoreModel', () => {
  const cases = learnableCases(600);
  const model = trainScoreModel(cases, ['small', 'large']);
  const predict = (p: string) => predictScores(model.weights, featuresOf(p));

  it('learns from the words which prompts a model gets right, on prompts it has not seen', () => {
    const [smallOnProof, largeOnProof] = predict('write a rigorous proof about law number 9999');
    const [smallOnQuestion, largeOnQuestion] = predict('a short question on music 9999');
    expect(smallOnProof).toBeLessThan(0.2);
    expect(largeOnProof).toBeGreaterThan(0.8);
    expect(smallOnQuestion).toBeGreaterThan(0.8);
    expect(largeOnQuestion).toBeGreaterThan(0.8);
  });

  it('learns the same weights from the same data and seed', () => {
    const bytes = (m: typeof model) => Buffer.concat(m.weights.map((w) => Buffer.from(w.buffer)));
    expect(bytes(trainScoreModel(cases, ['small', 'large'])).equals(bytes(model))).toBe(true);
    expect(bytes(trainScoreModel(cases, ['small', 'large'], { seed: 2 })).equals(bytes(model))).toBe(false);
  });
});

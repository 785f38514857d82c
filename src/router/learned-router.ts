import type { ModelPrice, RoutingCase } from './dataset.js';
import { featuresOf } from './features.js';
import { bestTrade, mean } from './policy.js';
import { predictScores, type TrainOptions, trainScoreModel } from './score-model.js';

/**
 * A trained router: the models it routes among, and for each how likely it is to answer a prompt well (score-model.ts)
 * and what a call to it is expected to cost. It sends a prompt to the model with the best predicted score less
 * `lambda` × expected cost in USD; `lambda` is chosen for a target share of the strongest model's quality
 * (evaluate.ts). This is what `tokenledger route train` writes to a file and the gateway routes with.
 */
export interface LearnedRouter {
  models: readonly RouteModel[];
  lambda: number;
}

export interface RouteModel {
  name: string;
  weights: Float32Array;
  /** List prices (pico-dollars per 1M tokens); null for a model priced only by measured outcomes. */
  price: ModelPrice | null;
  /** The answer's mean length in training, in tokens: an answer's length is not known before the call. */
  meanOutputTokens: number;
  /** The mean cost of a call in training, USD: the expected cost of a model without list prices. */
  meanCostUsd: number;
}

/**
 * Trains a router on `train` with `lambda` 0. Only the models no other beats on both mean score and mean cost in
 * training are routed to: a model dominated on average is best for some prompts, but a prediction noisy enough to
 * pick those picks it for others too (on MMLU-Pro, routing among all eleven models cost twice as much at 90%, kept
 * less quality for more at 95%, and missed 100% by three points: docs/router.md, Which models).
 */
export function fitRouter(
  train: readonly RoutingCase[],
  models: readonly string[],
  prices: ReadonlyMap<string, ModelPrice>,
  options: TrainOptions = {},
): LearnedRouter {
  const scores = models.map((m) => mean(train, (c) => c.outcomes.get(m)?.score ?? 0));
  const costs = models.map((m) => mean(train, (c) => Number(c.outcomes.get(m)?.cost ?? 0n) / 1e12));
  const kept = models.filter((_, m) =>
    scores.every(
      (t, o) =>
        o === m || !(t >= scores[m]! && costs[o]! <= costs[m]! && (t > scores[m]! || costs[o]! < costs[m]!)),
    ),
  );
  const scoreModel = trainScoreModel(train, kept, options);
  return {
    lambda: 0,
    models: kept.map((name, i) => ({
      name,
      weights: scoreModel.weights[i] as Float32Array,
      price: prices.get(name) ?? null,
      meanOutputTokens: mean(train, (c) => c.outcomes.get(name)?.outputTokens ?? 0),
      meanCostUsd: costs[models.indexOf(name)]!,
    })),
  };
}

/** Each model's predicted score for a prompt and the call's expected cost in USD, in the router's model order. */
export function assess(r: LearnedRouter, prompt: string): { scores: Float64Array; costs: Float64Array } {
  // UTF-16 units, not characters as the datasets count them: this only steers, and a megabyte's count of code points
  // would cost milliseconds a call.
  const inputTokens = Math.max(1, Math.ceil(prompt.length / 4));
  return {
    scores: predictScores(
      r.models.map((m) => m.weights),
      featuresOf(prompt),
    ),
    // Expected cost only steers the choice (a float is fine here); what a call cost is always what it used.
    costs: Float64Array.from(r.models, (m) =>
      m.price === null
        ? m.meanCostUsd
        : (Number(m.price.input) * inputTokens + Number(m.price.output) * m.meanOutputTokens) / 1e18,
    ),
  };
}

/** The model a prompt goes to. */
export function routeOf(r: LearnedRouter, prompt: string): string {
  const { scores, costs } = assess(r, prompt);
  return (r.models[bestTrade(scores, costs, r.lambda)] as RouteModel).name;
}

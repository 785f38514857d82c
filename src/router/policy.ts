import type { RoutingCase } from './dataset.js';

/** A routing policy: which model (an index into the dataset's models) answers a case. */
export type Policy = (c: RoutingCase) => number;

export interface PolicyResult {
  policy: string;
  /** Mean score of the chosen answers. */
  quality: number;
  /** Sum of their scores: with right/wrong scores, the right answers. */
  points: number;
  /** What the chosen calls cost, pico-dollars, summed exactly. */
  cost: bigint;
  /** Calls per model, in the dataset's model order. */
  calls: number[];
}

export function run(name: string, policy: Policy, cases: readonly RoutingCase[], models: readonly string[]) {
  const calls = models.map(() => 0);
  let score = 0;
  let cost = 0n;
  for (const c of cases) {
    const m = policy(c);
    const o = c.outcomes.get(models[m] as string);
    if (!o) throw new Error(`case ${c.id} has no outcome for ${models[m]}`);
    calls[m]!++;
    score += o.score;
    cost += o.cost;
  }
  return {
    policy: name,
    quality: cases.length === 0 ? 0 : score / cases.length,
    points: score,
    cost,
    calls,
  } as PolicyResult;
}

/**
 * The index of the best trade: the highest predicted score less `lambda` × expected cost in USD. Expected cost only
 * steers the choice (a float is fine here); what a call cost is always the exact outcome.
 */
export function bestTrade(scores: ArrayLike<number>, costs: ArrayLike<number>, lambda: number): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let m = 0; m < scores.length; m++) {
    if (!Number.isFinite(costs[m]!)) continue; // a model left out of the choice
    // At lambda 0, equal scores go to the cheaper model.
    const value = scores[m]! - lambda * costs[m]! - (lambda === 0 ? costs[m]! * 1e-12 : 0);
    if (value > bestValue) {
      bestValue = value;
      best = m;
    }
  }
  return best;
}

export function mean<T>(xs: readonly T[], f: (x: T) => number): number {
  let s = 0;
  for (const x of xs) s += f(x);
  return xs.length === 0 ? 0 : s / xs.length;
}

import type { ModelPrice, ParsedDataset, RoutingCase } from './dataset.js';
import { assess, fitRouter, type LearnedRouter } from './learned-router.js';
import { bestTrade, mean, type Policy, type PolicyResult, run } from './policy.js';
import type { TrainOptions } from './score-model.js';
import { partOf, unitOf } from './split.js';

/**
 * A router measured offline on a dataset of prompts scored for every model (docs/router.md): trained on the train
 * part, its cost/quality trade-off chosen on the validation part to keep a target share of the strongest model's
 * quality, and reported on the test part beside the baselines chosen the same way.
 */
export interface Evaluation {
  models: readonly string[];
  sizes: { train: number; validation: number; test: number };
  /** The model with the best mean score in training, and the one cheapest on average. */
  strongest: number;
  cheapest: number;
  /** Every model alone, on the test part. */
  singles: PolicyResult[];
  /** Each case's cheapest best-scoring model: what no router can beat. */
  oracle: PolicyResult;
  /** Per target: the learned router with the trade-off chosen for it (what `route train` saves), and each policy. */
  targets: { target: number; router: LearnedRouter; rows: PolicyResult[] }[];
}

export interface EvaluateOptions extends TrainOptions {
  /** Shares of the strongest model's validation quality to keep, e.g. 0.95. */
  targets?: readonly number[];
}

/** λ, quality given up per USD saved: 0 (best predicted score) then 10^-2 … 10^10 in steps of 10^0.05. */
const LAMBDAS = [0, ...Array.from({ length: 241 }, (_, k) => 10 ** (-2 + k * 0.05))];
const SHARES = Array.from({ length: 101 }, (_, k) => k / 100);

export function evaluateRouters(
  data: ParsedDataset,
  prices: ReadonlyMap<string, ModelPrice>,
  { targets = [0.9, 0.95, 1], ...train }: EvaluateOptions = {},
): Evaluation {
  const { models } = data;
  const parts = { train: [] as RoutingCase[], validation: [] as RoutingCase[], test: [] as RoutingCase[] };
  for (const c of data.cases) parts[partOf(c.id)].push(c);
  const strongest = argmax(models.map((m) => mean(parts.train, (c) => c.outcomes.get(m)?.score ?? 0)));
  const cheapest = argmax(
    models.map((m) => -mean(parts.train, (c) => Number(c.outcomes.get(m)?.cost ?? 0n))),
  );

  const router = fitRouter(parts.train, models, prices, train);
  const routed = router.models.map((m) => models.indexOf(m.name));
  const assessed = new Map<RoutingCase, { scores: Float64Array; costs: Float64Array }>();
  for (const c of [...parts.validation, ...parts.test]) assessed.set(c, assess(router, c.prompt));
  const learned =
    (lambda: number): Policy =>
    (c) => {
      const a = assessed.get(c) as { scores: Float64Array; costs: Float64Array };
      return routed[bestTrade(a.scores, a.costs, lambda)]!;
    };
  const perCategory = categoryPolicy(parts.train, models);
  const mix =
    (share: number): Policy =>
    (c) =>
      unitOf(c.id) < share ? strongest : cheapest;

  const single =
    (m: number): Policy =>
    () =>
      m;
  const goal = run('', single(strongest), parts.validation, models).quality;
  const tuned = <T>(family: (x: T) => Policy, grid: readonly T[], target: number) =>
    cheapestReaching(family, grid, parts.validation, models, target * goal);
  const chosen = <T>(name: string, family: (x: T) => Policy, grid: readonly T[], target: number) =>
    run(name, family(tuned(family, grid, target)), parts.test, models);

  return {
    models,
    sizes: { train: parts.train.length, validation: parts.validation.length, test: parts.test.length },
    strongest,
    cheapest,
    singles: models.map((m, i) => run(m, single(i), parts.test, models)),
    oracle: run('oracle', (c) => oracleChoice(c, models), parts.test, models),
    targets: targets.map((target) => {
      const lambda = tuned(learned, LAMBDAS, target);
      return {
        target,
        router: { ...router, lambda },
        rows: [
          run('learned router', learned(lambda), parts.test, models),
          chosen('best model per category', perCategory, LAMBDAS, target),
          chosen('random mix', mix, SHARES, target),
        ],
      };
    }),
  };
}

/**
 * The setting whose validation quality reaches `goal` at the least cost; when none reaches it, the one of best
 * quality. Chosen on validation, never on test: a router tuned on the cases it is scored on flatters itself.
 */
function cheapestReaching<T>(
  family: (x: T) => Policy,
  grid: readonly T[],
  validation: readonly RoutingCase[],
  models: readonly string[],
  goal: number,
): T {
  let best: { x: T; r: PolicyResult } | null = null;
  for (const x of grid) {
    const r = run('', family(x), validation, models);
    if (best === null) best = { x, r };
    const reaches = r.quality >= goal;
    const bestReaches = best.r.quality >= goal;
    if (reaches ? !bestReaches || r.cost < best.r.cost : !bestReaches && r.quality > best.r.quality)
      best = { x, r };
  }
  return (best as { x: T }).x;
}

/**
 * The baseline a team could set by hand: for each category, the model with the best trade of mean score and mean
 * cost in training. It knows each prompt's category, which a router at request time does not.
 */
function categoryPolicy(
  train: readonly RoutingCase[],
  models: readonly string[],
): (lambda: number) => Policy {
  const byCategory = new Map<string, RoutingCase[]>();
  for (const c of train) {
    const cases = byCategory.get(c.category);
    if (cases === undefined) byCategory.set(c.category, [c]);
    else cases.push(c);
  }
  const statsOf = (cases: readonly RoutingCase[]) => ({
    scores: models.map((m) => mean(cases, (c) => c.outcomes.get(m)?.score ?? 0)),
    costs: models.map((m) => mean(cases, (c) => Number(c.outcomes.get(m)?.cost ?? 0n) / 1e12)),
  });
  const stats = new Map([...byCategory].map(([k, cases]) => [k, statsOf(cases)]));
  const overall = statsOf(train);
  return (lambda) => (c) => {
    const s = stats.get(c.category) ?? overall;
    return bestTrade(s.scores, s.costs, lambda);
  };
}

function oracleChoice(c: RoutingCase, models: readonly string[]): number {
  let best = 0;
  for (let m = 1; m < models.length; m++) {
    const o = c.outcomes.get(models[m] as string)!;
    const b = c.outcomes.get(models[best] as string)!;
    if (o.score > b.score || (o.score === b.score && o.cost < b.cost)) best = m;
  }
  return best;
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

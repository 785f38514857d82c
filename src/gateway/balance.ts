/** A model's share of its calls per target (`models.balance` of the config), in the config's order. */
export type BalanceGroups = Readonly<Record<string, readonly BalanceTarget[]>>;

export interface BalanceTarget {
  /** Where a share goes: a model name as a request or a fallback names one (`openai-eu/gpt-4o`, an alias). */
  model: string;
  /** Its share: with weights 3 and 1, three calls of every four. */
  weight: number;
}

/**
 * Spreads a model's calls over its targets by weight, with smooth weighted round robin as nginx's upstream module
 * does it: each pick adds every target's weight to its score, takes the highest (the first of equals) and takes the
 * weights' total off it. Over any run of total-weight picks each target is taken exactly its weight's times, spread
 * through the run rather than in bursts (weights 3 and 1: a a b a, a a b a, …), and the same on every start. Not
 * random, so a test can say which call goes where; each gateway instance keeps its own turn.
 *
 * A target that refused a call (429, 5xx, no connection) rests (`rest`): until then the others share its turns, and
 * it is tried only after them, so its share of the calls does not each pay a refused attempt first.
 */
export class Balancer {
  private readonly scores = new Map<string, number[]>();
  /** Epoch ms until which a target rests, by `${model} ${target}`. */
  private readonly resting = new Map<string, number>();

  constructor(private readonly groups: BalanceGroups) {}

  /**
   * `model`'s targets for this call: the one it goes to first, then the others in the config's order, the resting
   * ones last (tried next on 429, 5xx or a connection error, as fallbacks are). Null when `model` is not balanced.
   */
  next(model: string, now = Date.now()): string[] | null {
    const group = this.groups[model];
    if (group === undefined) return null;
    const score = this.scores.get(model) ?? group.map(() => 0);
    this.scores.set(model, score);
    const awake = group.map((t) => !this.rests(model, t.model, now));
    // All resting: none is better than another, and each is still tried.
    if (!awake.includes(true)) awake.fill(true);
    let total = 0;
    let pick = -1;
    for (let i = 0; i < group.length; i++) {
      if (!awake[i]) continue;
      score[i]! += group[i]!.weight;
      total += group[i]!.weight;
      if (pick < 0 || score[i]! > score[pick]!) pick = i;
    }
    score[pick]! -= total;
    const others = (up: boolean) => group.filter((_, i) => i !== pick && awake[i] === up).map((t) => t.model);
    return [group[pick]!.model, ...others(true), ...others(false)];
  }

  /** `model`'s `target` refused a call: it rests for `ms` (a `retry-after`), else for REST_MS, at most MAX_REST_MS. */
  rest(model: string, target: string, ms: number | null, now = Date.now()): void {
    this.resting.set(`${model} ${target}`, now + Math.min(ms ?? REST_MS, MAX_REST_MS));
  }

  private rests(model: string, target: string, now: number): boolean {
    return (this.resting.get(`${model} ${target}`) ?? 0) > now;
  }
}

/** How long a target that refused a call without saying how long rests. */
export const REST_MS = 10_000;
/**
 * The longest rest: a `retry-after` of an hour (a quota used up) would otherwise keep a target out that may be back
 * sooner; once a minute it is tried again, at the cost of one refused attempt.
 */
export const MAX_REST_MS = 60_000;

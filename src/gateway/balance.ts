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
 */
export class Balancer {
  private readonly scores = new Map<string, number[]>();

  constructor(private readonly groups: BalanceGroups) {}

  /**
   * `model`'s targets for this call: the one it goes to first, then the others in the config's order (tried next on
   * 429, 5xx or a connection error, as fallbacks are). Null when `model` is not balanced.
   */
  next(model: string): string[] | null {
    const group = this.groups[model];
    if (group === undefined) return null;
    const score = this.scores.get(model) ?? group.map(() => 0);
    this.scores.set(model, score);
    let total = 0;
    let pick = 0;
    for (let i = 0; i < group.length; i++) {
      score[i]! += group[i]!.weight;
      total += group[i]!.weight;
      if (score[i]! > score[pick]!) pick = i;
    }
    score[pick]! -= total;
    return [group[pick]!.model, ...group.filter((_, i) => i !== pick).map((t) => t.model)];
  }
}

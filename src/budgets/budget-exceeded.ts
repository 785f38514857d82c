import { TokenledgerError } from '../errors.js';
import { formatUsdOf } from '../money/money.js';
import { type Budget, formatPeriod } from './budget.js';
import { nanoToUsd } from './nano.js';

/**
 * A call refused because a block budget (or a downgrade budget with nowhere cheaper to go) has no room for its
 * worst-case cost. The gateway answers HTTP 429 with `fields()` in its error body and a `retry-after` of `retryAfterSeconds`.
 */
export class BudgetExceededError extends TokenledgerError {
  readonly status = 429;
  readonly retryAfterSeconds: number;

  constructor(
    readonly budget: Budget,
    /** Nano-dollars counted in the window (spend plus calls in flight), before this call. */
    readonly spendNano: bigint,
    readonly limitNano: bigint,
    /** Epoch ms. */
    readonly resetsAt: number,
    now: number,
  ) {
    const scope = scopeText(budget.scope);
    super(
      'GW_BUDGET_EXCEEDED',
      `budget ${budget.id} (${scope}, ${formatPeriod(budget.period)}) has ${formatUsdOf(nanoToUsd(spendNano), budget.limit_usd)} spent or reserved, not enough for this call's worst case; it resets at ${new Date(resetsAt).toISOString()}. Lower max_tokens, wait, or raise the limit (${raise(budget)})`,
    );
    this.retryAfterSeconds = Math.max(1, Math.ceil((resetsAt - now) / 1000));
  }

  /** What the error body tells beside the code and message (gateway/errors.ts errorBody): the budget's numbers. */
  fields(): Record<string, unknown> {
    const b = this.budget;
    return {
      budget: {
        id: b.id,
        name: b.name,
        scope: b.scope,
        period: formatPeriod(b.period),
        action: b.action,
        spend_usd: nanoToUsd(this.spendNano),
        limit_usd: b.limit_usd,
        resets_at: new Date(this.resetsAt).toISOString(),
      },
    };
  }
}

export function scopeText(scope: Readonly<Record<string, string>>): string {
  const parts = Object.entries(scope).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? 'whole organisation' : parts.join(' ');
}

/** Where the limit is raised: a virtual key's budget is the key's own, not in the budgets file. */
function raise(b: Budget): string {
  const key = b.scope.api_key_id;
  return b.id === `key:${key}` ? `tokenledger keys update ${key} --budget USD` : 'tokenledger budgets';
}

import type { Budget } from './budget.js';

/** The period a virtual key's budget counts over: the calendar month, in UTC. */
export const KEY_BUDGET_PERIOD: Pick<Budget, 'period' | 'tz'> = { period: { kind: 'monthly' }, tz: 'UTC' };

/** A virtual key's `budget_usd`: a monthly block budget on its api_key_id, in UTC. */
export function keyBudget(id: string, budgetUsd: string): Budget {
  return {
    id: `key:${id}`,
    name: `virtual key ${id}`,
    scope: { api_key_id: id },
    ...KEY_BUDGET_PERIOD,
    limit_usd: budgetUsd,
    thresholds: [50, 80, 100],
    action: 'block',
    downgrade_to: null,
    origin: 'config',
    created_at: '1970-01-01T00:00:00.000Z',
  };
}

import { BudgetExceededError } from '../budgets/budget-exceeded.js';
import { CountersUnavailableError } from '../budgets/counters/guarded.js';
import { RateLimitedError } from '../budgets/rate-limited.js';
import { TokenledgerError } from '../errors.js';
import { GatewayError } from './errors.js';

/** What the caller is told of an error the gateway raised (or one it did not expect): status, stable code, message. */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  /** A refused budget's or rate limit's numbers, for the error object. */
  refusal: BudgetExceededError | RateLimitedError | null;
}

export function errorAnswer(e: unknown): ErrorAnswer {
  const refusal = e instanceof BudgetExceededError || e instanceof RateLimitedError ? e : null;
  return {
    status:
      refusal !== null
        ? refusal.status
        : e instanceof GatewayError || e instanceof CountersUnavailableError
          ? e.status
          : 500,
    code: e instanceof TokenledgerError ? e.code : 'GW_INTERNAL',
    message: e instanceof TokenledgerError ? e.message : 'internal error in the gateway; see the server log',
    refusal,
  };
}

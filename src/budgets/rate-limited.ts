import { TokenledgerError } from '../errors.js';
import { scopeText } from './budget-exceeded.js';

/**
 * A call refused by a rate limit (requests or tokens per minute). The gateway answers HTTP 429 with `fields()` in its error body, the
 * `headers` (x-ratelimit-* for the exhausted limit) and `retry-after: retryAfterSeconds`.
 */
export class RateLimitedError extends TokenledgerError {
  readonly status = 429;

  constructor(
    readonly rule: {
      id: string;
      name: string | null;
      scope: Readonly<Record<string, string>>;
      per: string | null;
      perValue: string | null;
    },
    readonly unit: 'requests' | 'tokens',
    readonly limit: number,
    /** Used in this minute before this call (tokens include calls in flight, at their estimate). */
    readonly used: number,
    readonly retryAfterSeconds: number,
    readonly headers: Readonly<Record<string, string>>,
  ) {
    const who =
      rule.per === null ? scopeText(rule.scope) : `${scopeText(rule.scope)}, ${rule.per}=${rule.perValue}`;
    super(
      'GW_RATE_LIMITED',
      `rate limit ${rule.name ?? rule.id} (${who}) allows ${limit} ${unit} per minute and ${used} are used in this minute, not enough for this call; retry in ${retryAfterSeconds}s, or raise rate_limits in the config`,
    );
  }

  fields(): Record<string, unknown> {
    return {
      rate_limit: {
        id: this.rule.id,
        name: this.rule.name,
        scope: this.rule.scope,
        per: this.rule.per,
        per_value: this.rule.perValue,
        unit: this.unit,
        limit: this.limit,
        used: this.used,
        retry_after_seconds: this.retryAfterSeconds,
      },
    };
  }
}

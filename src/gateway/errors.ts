import { TokenledgerError } from '../errors.js';

/**
 * The gateway's error catalog: every error a caller can get from the gateway itself (upstream errors pass through
 * untouched), with its HTTP status. Codes are stable and documented in docs/gateway.md.
 */
const GATEWAY_ERRORS = {
  GW_NOT_FOUND: 404,
  GW_METHOD_NOT_ALLOWED: 405,
  GW_BODY_TOO_LARGE: 413,
  GW_UNSUPPORTED_ENCODING: 415,
  GW_BAD_JSON: 400,
  GW_BAD_REQUEST: 400,
  GW_BAD_ATTRIBUTION: 400,
  GW_UNKNOWN_UPSTREAM: 400,
  GW_KEY_REQUIRED: 401,
  GW_KEY_INVALID: 401,
  GW_ATTRIBUTION_CONFLICT: 403,
  // Raised by src/budgets (BudgetExceededError, RateLimitedError, CountersUnavailableError); listed for the docs.
  GW_BUDGET_EXCEEDED: 429,
  GW_RATE_LIMITED: 429,
  GW_COUNTERS_UNAVAILABLE: 503,
  GW_SESSION_BLOCKED: 429,
  GW_PROVIDER_KEY_MISSING: 500,
  GW_UPSTREAM_UNREACHABLE: 502,
  GW_UPSTREAM_TIMEOUT: 504,
  GW_NOT_RECORDED: 503,
  // The client closed the connection before its request was whole: counted in the metrics, never sent (nginx's 499).
  GW_CLIENT_CLOSED: 499,
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

export class GatewayError extends TokenledgerError {
  readonly status: number;
  constructor(code: GatewayErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = GATEWAY_ERRORS[code];
  }
}

/** The JSON body of a gateway error, shaped like OpenAI's (`error.message`), which both SDKs surface. */
export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { type: 'tokenledger_error', code, message } });
}

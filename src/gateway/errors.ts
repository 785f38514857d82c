import { TokenledgerError } from '../errors.js';
import type { ApiType } from './providers/provider.js';

/**
 * The gateway's error catalog: every error a caller can get from the gateway itself (upstream errors pass through
 * untouched), with its HTTP status. Codes are stable and documented in docs/gateway.md.
 */
const GATEWAY_ERRORS = {
  GW_NOT_FOUND: 404,
  GW_METHOD_NOT_ALLOWED: 405,
  GW_BODY_TOO_LARGE: 413,
  GW_UNSUPPORTED_ENCODING: 415,
  GW_BAD_ENCODING: 400,
  GW_BAD_JSON: 400,
  GW_BAD_REQUEST: 400,
  GW_BAD_ATTRIBUTION: 400,
  GW_UNKNOWN_UPSTREAM: 400,
  GW_KEY_REQUIRED: 401,
  GW_KEY_INVALID: 401,
  GW_KEY_EXPIRED: 401,
  GW_ATTRIBUTION_CONFLICT: 403,
  GW_MODEL_NOT_ALLOWED: 403,
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

/**
 * The JSON body of a gateway error, in the shape the caller's SDK reads on the route it called. OpenAI's routes get
 * OpenAI's `{"error":{"type","code","message"}}`. Anthropic's get Anthropic's `{"type":"error","error":{"type",
 * "message"}}` with the type Anthropic gives that status (https://platform.claude.com/docs/en/api/errors), which its
 * SDKs surface as `APIError.type` and its tools branch on; the stable code stays beside it as `error.code`, a field
 * Anthropic's clients ignore. `extra` (a refused budget's numbers) goes into the error object in both shapes.
 */
export function errorBody(
  api: ApiType,
  status: number,
  code: string,
  message: string,
  extra: Readonly<Record<string, unknown>> = {},
): string {
  if (api === 'openai') return JSON.stringify({ error: openAiError(code, message, extra) });
  return JSON.stringify({
    type: 'error',
    error: { type: anthropicErrorType(status), code, message, ...extra },
  });
}

/**
 * A gateway error as an `error` event of the Responses API's WebSocket mode: the status an HTTP call would have got,
 * the error object of OpenAI's shape, and the lane (`stream_id`) of the `response.create` it answers, when it named
 * one, as OpenAI's own error events on a socket carry them.
 */
export function socketErrorEvent(
  status: number,
  code: string,
  message: string,
  streamId: string | null,
  extra: Readonly<Record<string, unknown>> = {},
): string {
  const event = { type: 'error', status, error: openAiError(code, message, extra) };
  return JSON.stringify(streamId === null ? event : { ...event, stream_id: streamId });
}

function openAiError(code: string, message: string, extra: Readonly<Record<string, unknown>>) {
  return { type: 'tokenledger_error', code, message, ...extra };
}

/** Anthropic's error type for an HTTP status; "other 4XX status codes" are invalid_request_error, as Anthropic's are. */
function anthropicErrorType(status: number): string {
  if (status >= 500) return 'api_error';
  return ANTHROPIC_ERROR_TYPES[status] ?? 'invalid_request_error';
}

const ANTHROPIC_ERROR_TYPES: Readonly<Record<number, string>> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
};

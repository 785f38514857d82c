import { TokenledgerError } from '../../errors.js';

/**
 * The HTTP API's error catalog: code → status. Codes are stable and documented in docs/api.md; bodies have the
 * gateway's shape (`{ error: { type, code, message } }`) so one client parses both.
 */
export const API_ERRORS = {
  API_BAD_PARAM: 400,
  API_UNAUTHORIZED: 401,
  API_FORBIDDEN: 403,
  API_NOT_FOUND: 404,
  API_METHOD_NOT_ALLOWED: 405,
  API_CONFLICT: 409,
  API_INTERNAL: 500,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends TokenledgerError {
  readonly status: number;
  constructor(code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = API_ERRORS[code];
  }
}

export function badParam(name: string, message: string): ApiError {
  return new ApiError('API_BAD_PARAM', `parameter "${name}": ${message}`);
}

import { TokenledgerError } from '../../errors.js';

/** A worker's failure as posted to the main thread: the code survives, so a TokenledgerError stays one. */
export interface ErrorMessage {
  type: 'error';
  code: string | null;
  message: string;
  stack?: string;
}

export function errorMessage(e: unknown): ErrorMessage {
  const err = e as { code?: unknown; message?: unknown; stack?: string };
  return {
    type: 'error',
    code: typeof err.code === 'string' ? err.code : null,
    message: String(err.message ?? e),
    stack: err.stack,
  };
}

/** The error an ErrorMessage stands for, with the worker's stack. */
export function errorOf(m: ErrorMessage): Error {
  const e = m.code ? new TokenledgerError(m.code, m.message) : new Error(m.message);
  if (m.stack) e.stack = m.stack;
  return e;
}

/**
 * Base of every error tokenledger raises on purpose. `code` is stable and documented (docs/errors.md), prefixed by
 * concept (MONEY_, LEDGER_, PRICE_, STORE_, SRC_, CLI_). Messages say what is wrong, where, and what to do; they
 * never contain API keys or prompt text. The CLI turns these into one line and a non-zero exit (cli/main.ts).
 */
export class TokenledgerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TokenledgerError';
  }
}

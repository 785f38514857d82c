/**
 * Resolves once the event loop has polled for I/O since the call. A long job on the thread that answers requests
 * awaits it between its synchronous pieces, so requests that arrived meanwhile are served in between: awaiting an
 * already settled promise (DuckDB's appender calls are synchronous under their async names) continues in the same
 * turn, and one setImmediate from an I/O callback runs right after that poll, before the next.
 */
export const nextTurn = (): Promise<void> =>
  new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/**
 * Runs the functions handed to it one at a time, each once the one before has settled (failed or not): what a
 * single connection or a single writer needs, so that two operations started together never interleave.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Settles once everything handed over so far has. */
  idle(): Promise<unknown> {
    return this.tail;
  }
}

import type { Store } from '../store/store.js';

const HOUR_MS = 3_600_000;
const DAY_US = 86_400_000_000;

/**
 * `server.content_retention_days`: deletes the stored text of calls older than that (docs/gateway.md, "Prompt and
 * completion text"), once at start and then every hour, while the server runs. Only the text goes; events, costs and
 * rollups stay. Text is written by this server alone, so a ledger not served keeps what it has until the next start.
 */
export function startContentRetention(
  store: Store,
  days: number | null,
  log: (line: string) => void,
  now: () => number = Date.now,
): { ready: Promise<void>; stop(): void } {
  if (days === null) return { ready: Promise.resolve(), stop: () => {} };
  const purge = async () => {
    try {
      const { deleted } = await store.purgeContent({ until: now() * 1000 - days * DAY_US });
      if (deleted > 0) log(`deleted the stored text of ${deleted} call(s) older than ${days} day(s)`);
    } catch (e) {
      log(
        `warning: deleting call text past its retention failed (will retry in an hour): ${(e as Error).message}`,
      );
    }
  };
  const timer = setInterval(() => void purge(), HOUR_MS);
  timer.unref();
  return { ready: purge(), stop: () => clearInterval(timer) };
}

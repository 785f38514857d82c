import { TokenledgerError } from '../errors.js';
import { DAY_US } from '../ledger/time.js';
import type { Store } from '../store/store.js';

const HOUR_MS = 3_600_000;

export interface RetentionDays {
  /** `server.content_retention_days`: stored call text; null keeps it until deleted. */
  content: number | null;
  /** `server.raw_retention_days`: single calls, whose days the rollups keep (ClickHouse); null keeps them. */
  raw: number | null;
}

/**
 * The config's retentions, applied once at start and then every hour while the server runs (docs/gateway.md,
 * "Prompt and completion text"; docs/store.md, Raw retention). A ledger not served keeps what it has until the next
 * start. A failed run is logged and tried again an hour later. `purged` is the first deletion of call text, which
 * the server waits for; it does not wait for the first retirement of calls, which builds every day of the months it
 * retires (minutes on a large ledger).
 */
export function startRetention(
  store: Store,
  days: RetentionDays,
  log: (line: string) => void,
  now: () => number = Date.now,
): { purged: Promise<void>; stop(): void } {
  if (days.raw !== null && store.retireRaw === undefined)
    throw new TokenledgerError(
      'CFG_INVALID',
      `server.raw_retention_days: a ${store.id} ledger keeps every call; raw retention needs a ClickHouse ledger ` +
        '(--db http://HOST:8123/DATABASE), whose daily sums answer the reports of what it drops',
    );
  /** One retention's run: what it did logged when it did something, a failure logged to be retried. */
  const job = (what: string, run: (nowUs: number) => Promise<string | null>) => async () => {
    try {
      const done = await run(now() * 1000);
      if (done !== null) log(done);
    } catch (e) {
      log(`warning: ${what} failed (will retry in an hour): ${(e as Error).message}`);
    }
  };
  const purge = job('deleting call text past its retention', async (nowUs) => {
    if (days.content === null) return null;
    const { deleted } = await store.purgeContent({ until: nowUs - days.content * DAY_US });
    return deleted > 0
      ? `deleted the stored text of ${deleted} call(s) older than ${days.content} day(s)`
      : null;
  });
  const retire = job('retiring calls past their retention', async (nowUs) => {
    if (days.raw === null) return null;
    const { keptFrom, events } = await store.retireRaw!(nowUs - days.raw * DAY_US);
    const from = new Date(keptFrom / 1000).toISOString().slice(0, 10);
    return events > 0 ? `retired ${events} call(s) before ${from}: their days are kept as daily sums` : null;
  });
  if (days.content === null && days.raw === null) return { purged: Promise.resolve(), stop: () => {} };
  const timer = setInterval(() => void purge().then(retire), HOUR_MS);
  timer.unref();
  const purged = purge();
  void purged.then(retire);
  return { purged, stop: () => clearInterval(timer) };
}

import { TokenledgerError } from '../errors.js';
import type { Store } from '../store/store.js';

const HOUR_MS = 3_600_000;
const DAY_US = 86_400_000_000;

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
 * the server waits for; `retired` the first retirement of calls, which it does not: a first one builds every day of
 * the months it retires, minutes on a large ledger.
 */
export function startRetention(
  store: Store,
  days: RetentionDays,
  log: (line: string) => void,
  now: () => number = Date.now,
): { purged: Promise<void>; retired: Promise<void>; stop(): void } {
  if (days.raw !== null && store.retireRaw === undefined)
    throw new TokenledgerError(
      'CFG_INVALID',
      `server.raw_retention_days: a ${store.id} ledger keeps every call; raw retention needs a ClickHouse ledger ` +
        '(--db http://HOST:8123/DATABASE), whose daily sums answer the reports of what it drops',
    );
  const purge = async () => {
    if (days.content !== null) await purgeContent(store, days.content, now(), log);
  };
  const retire = async () => {
    if (days.raw !== null) await retireRaw(store, days.raw, now(), log);
  };
  if (days.content === null && days.raw === null)
    return { purged: Promise.resolve(), retired: Promise.resolve(), stop: () => {} };
  const timer = setInterval(() => void purge().then(retire), HOUR_MS);
  timer.unref();
  const purged = purge();
  return { purged, retired: purged.then(retire), stop: () => clearInterval(timer) };
}

async function purgeContent(
  store: Store,
  days: number,
  nowMs: number,
  log: (line: string) => void,
): Promise<void> {
  try {
    const { deleted } = await store.purgeContent({ until: nowMs * 1000 - days * DAY_US });
    if (deleted > 0) log(`deleted the stored text of ${deleted} call(s) older than ${days} day(s)`);
  } catch (e) {
    log(
      `warning: deleting call text past its retention failed (will retry in an hour): ${(e as Error).message}`,
    );
  }
}

async function retireRaw(
  store: Store,
  days: number,
  nowMs: number,
  log: (line: string) => void,
): Promise<void> {
  try {
    const { keptFrom, events } = await store.retireRaw!(nowMs * 1000 - days * DAY_US);
    const from = new Date(keptFrom / 1000).toISOString().slice(0, 10);
    if (events > 0) log(`retired ${events} call(s) before ${from}: their days are kept as daily sums`);
  } catch (e) {
    log(
      `warning: retiring calls past their retention failed (will retry in an hour): ${(e as Error).message}`,
    );
  }
}

import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenledgerError } from '../../errors.js';
import type { UsageEvent } from '../event.js';
import { eventToRecord } from '../serialize.js';
import type { SinkAppend, WalSink } from './wal.js';

/** Where the log keeps the events the store refused, in its own folder. */
export const REFUSED_FILE = 'refused.jsonl';

/** The store's word for an event it will never take as given: retrying it cannot succeed. */
const REFUSED = 'STORE_BAD_EVENT';

/** Events the store refused, and where they were set aside. */
export interface Refusal {
  count: number;
  path: string;
  /** The store's reason for the first of them. */
  reason: string;
}

/**
 * Appends `events` to the store, setting aside the ones it refuses (STORE_BAD_EVENT: a token count past 2^53, a
 * time no calendar holds) instead of failing the batch. An acknowledged event the store refuses would otherwise be
 * retried at every drain and at every start-up, holding back every event behind it: one bad upstream usage block
 * would stop the ledger. A refused batch is halved until each refused event stands alone (about 2·log2(n) appends
 * for one bad event in n); each is written to `<dir>/refused.jsonl` with the reason, so it is kept, not lost, and
 * can be fixed and imported (docs/gateway.md, Durability). Any other failure is thrown, to be retried.
 */
export async function appendSettingAside(
  sink: WalSink,
  events: readonly UsageEvent[],
  dir: string,
  onRefused: (r: Refusal) => void,
): Promise<SinkAppend> {
  const refused: { event: UsageEvent; reason: string }[] = [];
  const result = await appendOrSplit(sink, events, refused);
  if (refused.length > 0) {
    const path = join(dir, REFUSED_FILE);
    const at = new Date().toISOString();
    const lines = refused.map(({ event, reason }) =>
      JSON.stringify({ refused_at: at, code: REFUSED, reason, record: asRecord(event) }),
    );
    await appendFile(path, `${lines.join('\n')}\n`, { mode: 0o600, flush: true });
    onRefused({ count: refused.length, path, reason: refused[0]!.reason });
  }
  return result;
}

async function appendOrSplit(
  sink: WalSink,
  events: readonly UsageEvent[],
  refused: { event: UsageEvent; reason: string }[],
): Promise<SinkAppend> {
  try {
    return await sink.append(events);
  } catch (err) {
    if (!isRefusal(err)) throw err;
    if (events.length === 1) {
      refused.push({ event: events[0]!, reason: err.message });
      return { inserted: 0, duplicates: 0 };
    }
    const half = events.length >> 1;
    const a = await appendOrSplit(sink, events.slice(0, half), refused);
    const b = await appendOrSplit(sink, events.slice(half), refused);
    const retired = (a.retired ?? 0) + (b.retired ?? 0);
    return {
      inserted: a.inserted + b.inserted,
      duplicates: a.duplicates + b.duplicates,
      ...(retired > 0 ? { retired } : {}),
    };
  }
}

/** Whether the store refused what it was handed, rather than failed to write it. */
export function isRefusal(err: unknown): err is TokenledgerError {
  return err instanceof TokenledgerError && err.code === REFUSED;
}

/**
 * The event as a canonical record (what `import jsonl` reads), or, when a field cannot be written as one (a time
 * past the year 275760), its fields as they are, big integers as strings.
 */
function asRecord(e: UsageEvent): Record<string, unknown> {
  try {
    return eventToRecord(e);
  } catch {
    return JSON.parse(JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  }
}

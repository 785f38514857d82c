import { appendFile } from 'node:fs/promises';
import type { Store } from '../store/store.js';
import type { CallContent } from './call-content.js';

/**
 * Every read of a call's kept text, append-only in `<ledger>.content-reads.jsonl` beside the ledger: who asked, when,
 * for which call, and whether there was text to give. Prompts hold whatever people paste into them; whoever may read
 * them, the company can see who did. A read that finds nothing is recorded too (someone looking is the fact), and
 * the line is written before the text is given: a read that cannot be recorded fails.
 */
export interface ContentRead {
  at: string;
  /** `cli:<os user>` (on the ledger file), `api:<token id>` (`api:server`: the server's own token, as the CLI uses it). */
  actor: string;
  event_id: string;
  /** The event's time, epoch µs. */
  ts_us: number;
  found: boolean;
}

export function contentReadsPath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.content-reads.jsonl`;
}

/** The call's text, as `store.content` answers, once the read is in the log. */
export async function readContent(
  store: Store,
  ledgerPath: string,
  actor: string,
  eventId: string,
  ts: number,
): Promise<CallContent | null> {
  const found = await store.content(eventId, ts);
  const read: ContentRead = {
    at: new Date().toISOString(),
    actor,
    event_id: eventId,
    ts_us: ts,
    found: found !== null,
  };
  await appendFile(contentReadsPath(ledgerPath), `${JSON.stringify(read)}\n`, { mode: 0o600 });
  return found;
}

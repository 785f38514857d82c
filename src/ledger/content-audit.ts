import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { RecordKind, RecordSet, SetRecord } from '../records/record-set.js';
import type { EventFilter, Store } from '../store/store.js';
import type { CallContent } from './call-content.js';

/**
 * Who read or erased calls' kept text, append-only in `<ledger>.content-audit.jsonl` beside the ledger (a ClickHouse
 * ledger: in its records, every instance's accesses together). Prompts hold
 * whatever people paste into them; whoever may read them, the company can see who did, and that an erasure asked for
 * was made. A read that finds nothing is recorded too (someone looking is the fact), and its line is written before
 * the text is given: a read that cannot be recorded fails. The server's own retention is not recorded: it is the
 * config's, and runs every hour.
 */
export type ContentAccess =
  | {
      at: string;
      /** `cli:<os user>` (on the ledger file), `api:<token id>` (`api:server`: the server's own token, as the CLI uses it). */
      actor: string;
      action: 'read';
      event_id: string;
      /** The event's time, epoch µs. */
      ts_us: number;
      found: boolean;
    }
  | {
      at: string;
      actor: string;
      action: 'purge';
      /** The calls chosen, as the store's events filter (`limit` aside). */
      filter: Omit<EventFilter, 'limit'>;
      deleted: number;
    };

export function contentAuditPath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.content-audit.jsonl`;
}

/** Where the accesses are recorded: the file above, or a ClickHouse ledger's records (every instance's in one). */
export interface ContentAudit {
  readonly where: string;
  record(access: ContentAccess): Promise<void>;
}

export function fileContentAudit(path: string): ContentAudit {
  return {
    where: path,
    record: (access) => appendFile(path, `${JSON.stringify(access)}\n`, { mode: 0o600 }),
  };
}

/** Accesses in a ClickHouse ledger: a record each, never changed. */
export const CONTENT_ACCESS_RECORDS: RecordKind = {
  name: 'content_access',
  corrupt: ['CONTENT_AUDIT_CORRUPT', 'not a record of access to call text'],
};

export function recordSetContentAudit(set: RecordSet<ContentAccess & SetRecord>): ContentAudit {
  return {
    where: set.where,
    record: (access) =>
      set.put({ id: `${access.at}-${randomBytes(6).toString('hex')}`, created_at: access.at, ...access }),
  };
}

/** The call's text, as `store.content` answers, once the read is in the audit log. */
export async function readContent(
  store: Store,
  audit: ContentAudit,
  actor: string,
  eventId: string,
  ts: number,
): Promise<CallContent | null> {
  const found = await store.content(eventId, ts);
  await audit.record({
    at: new Date().toISOString(),
    actor,
    action: 'read',
    event_id: eventId,
    ts_us: ts,
    found: found !== null,
  });
  return found;
}

/** Deletes the text of the calls `filter` chooses (store.purgeContent), then records that it did. */
export async function purgeContent(
  store: Store,
  audit: ContentAudit,
  actor: string,
  filter: EventFilter,
): Promise<{ deleted: number }> {
  const { limit: _, ...chosen } = filter;
  const { deleted } = await store.purgeContent(chosen);
  await audit.record({ at: new Date().toISOString(), actor, action: 'purge', filter: chosen, deleted });
  return { deleted };
}

import type { ClickHouseSql } from './clickhouse-sql.js';
import { EVENT_SELECT, type JsonRow } from './rows.js';

/** Events read per round trip by a pass over many of them (reprice, export). */
const PAGE = 10_000;

/**
 * The events matching `where` (SQL on `events` with named parameters `params`), oldest first, a page at a time:
 * paged by the sort key, so each page starts where the last ended however many events share a time, and memory
 * stays one page whatever the range.
 */
export async function* eventPages(
  sql: ClickHouseSql,
  what: string,
  where: readonly string[],
  params: Record<string, unknown>,
): AsyncGenerator<JsonRow[]> {
  let after: Record<string, unknown> | null = null;
  for (;;) {
    const conditions = [...where];
    if (after !== null)
      conditions.push(
        `(ts, event_id) > (fromUnixTimestamp64Micro({after_ts:Int64}, 'UTC'), {after_id:String})`,
      );
    const rows = await sql.rows(
      what,
      `SELECT ${EVENT_SELECT} FROM events FINAL${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY ts, event_id LIMIT ${PAGE}`,
      { ...params, ...after },
    );
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE) return;
    const last = rows.at(-1)!;
    after = { after_ts: last.ts_us, after_id: last.event_id };
  }
}

import type { DuckDBType } from '@duckdb/node-api';
import type { UsageEvent } from '../../ledger/event.js';
import { MONEY_MEASURES } from '../query.js';
import { emptyRepriceSummary, tallyReprice } from '../reprice-tally.js';
import type { RepriceAudit, RepriceSelection, RepriceSummary } from '../store.js';
import { CONTEXT_COLUMNS, resolveContexts, sameContext } from './contexts.js';
import { costStorage } from './cost-storage.js';
import { duckdb } from './duckdb-api.js';
import { type RateCardRegistry, writeNewRateCards } from './rate-cards.js';
import { EVENT_READ_SQL, micros, rowToEvent } from './read.js';
import { rebuildRollupDays } from './rollup.js';
import { EVENT_COLUMNS, q } from './schema.js';
import type { DuckDbSession, SqlParam } from './session.js';

const { DuckDBDataChunk, HUGEINT, INTEGER, TIMESTAMP, UBIGINT, VARCHAR } = duckdb;

const CHANGE_COLUMNS: [string, DuckDBType, string][] = [
  ['event_id', UBIGINT, 'UBIGINT'],
  ['ts', TIMESTAMP, 'TIMESTAMP'],
  ['rate_id', INTEGER, 'INTEGER'],
  ...MONEY_MEASURES.map((m): [string, DuckDBType, string] => [`given_${m}`, HUGEINT, 'HUGEINT']),
  ['cost_source', VARCHAR, 'VARCHAR'],
  ['model', VARCHAR, 'VARCHAR'],
  ['provider', VARCHAR, 'VARCHAR'],
  ['old_price_version', VARCHAR, 'VARCHAR'],
  ['new_price_version', VARCHAR, 'VARCHAR'],
  ['old_cost_usd', HUGEINT, 'HUGEINT'],
  ['new_cost_usd', HUGEINT, 'HUGEINT'],
];

/**
 * Reprices the selection: events are streamed from a second connection (a snapshot, so memory stays flat), changed
 * ones are staged in a temp table, and one transaction updates them, writes the audit rows and rebuilds the rollup
 * days they fall in. `billed_cost_usd` keeps the cost from before the first reprice; an event unpriced then keeps
 * `billed_unpriced` instead, as what it was billed is unknown (a $0 there read as a free call).
 */
export async function repriceEvents(
  s: DuckDbSession,
  rates: RateCardRegistry,
  sel: RepriceSelection,
  price: (e: UsageEvent) => UsageEvent,
  now: number,
): Promise<RepriceSummary> {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (sel.since !== undefined) {
    where.push('ts >= make_timestamp(?::BIGINT)');
    params.push(BigInt(sel.since));
  }
  if (sel.model !== undefined) {
    // An unpriced event keeps the name it came with as its model (`Acme/LLM-Large`), so one the model's new
    // override or alias now prices is found by what it reprices as, below, not by its stored model.
    where.push(`(model = ? OR cost_source = 'unpriced')`);
    params.push(sel.model);
  }
  await s.run(
    'preparing the reprice',
    `CREATE OR REPLACE TEMP TABLE reprice_changes (${CHANGE_COLUMNS.map(([n, , t]) => `${n} ${t}`).join(', ')})`,
  );
  const summary = emptyRepriceSummary();
  const reader = await s.connect();
  const appender = await s.conn.createAppender('reprice_changes', 'main', 'temp');
  try {
    const result = await reader.stream(
      `SELECT ${EVENT_READ_SQL} FROM ledger_pico ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
      params as never,
    );
    for await (const rows of result.yieldRows()) {
      const out: unknown[][] = CHANGE_COLUMNS.map(() => []);
      for (const row of rows) {
        const before = rowToEvent(row, rates);
        const after = price(before);
        if (sel.model !== undefined && before.model !== sel.model && after.model !== sel.model) continue;
        if (!tallyReprice(summary, before, after)) continue;
        const { rateId, given } = costStorage(after, rates, false);
        const values = [
          BigInt(`0x${before.event_id}`),
          { micros: BigInt(before.ts) },
          rateId === 0 ? null : rateId,
          ...MONEY_MEASURES.map((m) => given?.[m] ?? null),
          after.cost_source,
          after.model,
          after.provider,
          before.price_version,
          after.price_version,
          before.cost_usd,
          after.cost_usd,
        ];
        for (let i = 0; i < values.length; i++) out[i]!.push(values[i]);
      }
      // A data chunk holds at most 2048 rows (DuckDB's vector size).
      for (let start = 0; start < out[0]!.length; start += 2048) {
        const n = Math.min(2048, out[0]!.length - start);
        const chunk = DuckDBDataChunk.create(
          CHANGE_COLUMNS.map(([, t]) => t),
          n,
        );
        out.forEach((col, i) => {
          chunk.setColumnValues(i, col.slice(start, start + n) as never);
        });
        appender.appendDataChunk(chunk);
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
    reader.closeSync();
  }
  if (summary.changed === 0) return summary;
  const written = await s.transaction('repricing events', async () => {
    const ids = await writeNewRateCards(s, rates);
    await moveToRepricedContexts(s);
    await s.run(
      'repricing events',
      `UPDATE events SET context_id = c.new_context_id,
           ${MONEY_MEASURES.map((m) => `given_${m} = c.given_${m}`).join(', ')},
           billed_cost_usd = CASE WHEN events.billed_unpriced THEN NULL
             ELSE coalesce(events.billed_cost_usd, c.old_cost_usd) END,
           billed_unpriced = CASE WHEN events.billed_unpriced
             OR (events.billed_cost_usd IS NULL AND c.old_cost_usd IS NULL) THEN TRUE END
         FROM reprice_moved c WHERE events.event_id = c.event_id AND events.ts = c.ts`,
    );
    await s.run(
      'writing the reprice audit',
      `INSERT INTO reprice_audit SELECT make_timestamp(?::BIGINT), event_id, ts, old_price_version,
           new_price_version, old_cost_usd, new_cost_usd FROM reprice_changes`,
      [BigInt(now)],
    );
    await s.run(
      'rebuilding the rollup',
      `CREATE OR REPLACE TEMP TABLE reprice_days AS SELECT DISTINCT date_trunc('day', ts) AS day FROM reprice_changes`,
    );
    await rebuildRollupDays(s, 'reprice_days');
    return ids;
  });
  rates.markWritten(written);
  return summary;
}

const COST_SOURCE_TYPE = EVENT_COLUMNS.find(([n]) => n === 'cost_source')![1].replace(' NOT NULL', '');

/**
 * rate_id, cost_source, price_version, model and provider are part of an event's context: a repriced event moves to
 * the context that differs from its old one only in those (created if new). Leaves `reprice_moved`: reprice_changes
 * plus new_context_id.
 */
async function moveToRepricedContexts(s: DuckDbSession): Promise<void> {
  const cols = CONTEXT_COLUMNS.map(q).join(', ');
  await s.run(
    'repricing contexts',
    `CREATE OR REPLACE TEMP TABLE reprice_targets AS
     SELECT ch.* EXCLUDE (cost_source), c.* EXCLUDE (context_id, rate_id, cost_source, price_version, model, provider),
       ch.cost_source::${COST_SOURCE_TYPE} AS cost_source, ch.new_price_version AS price_version
     FROM reprice_changes ch JOIN events e ON e.event_id = ch.event_id AND e.ts = ch.ts
     JOIN contexts c ON c.context_id = e.context_id`,
  );
  await s.run(
    'repricing contexts',
    `CREATE OR REPLACE TEMP TABLE reprice_ctx AS SELECT ${cols}, min(ts) AS first FROM reprice_targets GROUP BY ALL`,
  );
  await resolveContexts(s, 'reprice_ctx');
  await s.run(
    'repricing contexts',
    `CREATE OR REPLACE TEMP TABLE reprice_moved AS
     SELECT t.*, k.context_id AS new_context_id FROM reprice_targets t JOIN ctx_ids k ON ${sameContext('k', 't')}`,
  );
}

export async function readAudit(s: DuckDbSession, limit?: number): Promise<RepriceAudit[]> {
  const rows = await s.rows(
    'reading the reprice audit',
    `SELECT repriced_at, event_id, ts, old_price_version, new_price_version, old_cost_usd, new_cost_usd
     FROM reprice_audit ORDER BY repriced_at DESC, ts DESC, event_id DESC ${limit === undefined ? '' : 'LIMIT ?'}`,
    limit === undefined ? [] : [limit],
  );
  return rows.map((r) => ({
    repriced_at: micros(r[0]!),
    event_id: (r[1] as bigint).toString(16).padStart(16, '0'),
    ts: micros(r[2]!),
    old_price_version: r[3] === null ? null : String(r[3]),
    new_price_version: r[4] === null ? null : String(r[4]),
    old_cost_usd: r[5] === null ? null : (r[5] as bigint),
    new_cost_usd: r[6] === null ? null : (r[6] as bigint),
  }));
}

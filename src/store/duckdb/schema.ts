import { createHash } from 'node:crypto';
import {
  ATTRIBUTION_FIELDS,
  COST_SOURCES,
  ENERGY_SOURCES,
  STATUSES,
  TOKEN_FIELDS,
  USAGE_FIELDS,
} from '../../ledger/event.js';
import { MONEY_MEASURES } from '../query.js';
import { billedCostSql, type SessionRows } from '../sql/compile-query.js';
import { ROLLUP_DIMENSIONS, ROLLUPS, type RollupKind, type RollupName } from '../sql/rollup-dims.js';
import { callContentSchemaSql } from './call-content.js';
import { CONTEXT_COLUMNS, isContextColumn } from './contexts.js';
import { picoToDecimalSql, pricedSelectSql, summedCostSql, wholeRatesSql } from './cost-sql.js';
import { importRecordsSchemaSql } from './import-records.js';
import { RATE_COLUMNS } from './rate-cards.js';

/**
 * The DuckDB ledger schema, designed for size (docs/store.md): ~10M events must fit in 32 bytes each.
 * - event_id is the 64-bit id as UBIGINT (8.6 B/row random; as text it would be ~17 B).
 * - Costs from a rate card are not stored: the event keeps a small rate_id and the `ledger` view recomputes the parts
 *   with the formula of pricing/cost.ts (cost-sql.ts). Given costs (provider exports, canonical imports) sit in
 *   nullable given_* columns, NULL (free) for every other event.
 * - No primary key: an ART index would cost more than the table. Appends dedupe on (event_id, ts) with an
 *   anti-join limited to the batch's ts range, which zone maps keep cheap on time-ordered data.
 * - The columns constant within a session live once per distinct combination in `contexts` (contexts.ts); events
 *   hold a context_id. EVENT_COLUMNS is the logical event, as the views show it.
 * Bump SCHEMA_VERSION with a migration when a table changes (migrate.ts; 2: contexts split out of events; 3: the
 * rollup keeps cost_usd_extra in place of cost_usd, and rollup_dirty names days with pending rollup rows; 4: the
 * session rollup, rollup_session, and the rollup without people, rollup_team; 5: rollup_session_split; 6: events and
 * rollups count web_search_requests, rate cards carry the web_search rate; 7: audio tokens and rates; 8: events mark
 * billed_unpriced, rollups keep billed_unpriced_delta; 9: image tokens and rates; 10: events and rollups count
 * audio_ms, audio billed by its duration, and rate cards carry its rate per hour, audio_hour).
 */
export const SCHEMA_VERSION = 10;

/**
 * Columns a migration added to tables that already held rows (migrate.ts, migrateAddedColumns). ALTER TABLE … ADD COLUMN
 * appends them, so tables created new put them last too: a migrated file and a new one then have one layout, which
 * matters because events and rollup rows are inserted, and the rollup's two tables unioned, by position.
 */
const ADDED_COLUMNS = [
  'web_search_requests',
  'input_audio_tokens',
  'output_audio_tokens',
  'billed_unpriced',
  'billed_unpriced_delta',
  'input_image_tokens',
  'output_image_tokens',
  'audio_ms',
] as const;
const added = (n: string) => (ADDED_COLUMNS as readonly string[]).includes(n);
// In the order the migrations added them, which is not always the order of the tables' other columns (the image
// counts follow the audio ones in USAGE_FIELDS but were added after billed_unpriced).
const addedLast = (cols: readonly (readonly [string, string])[]) => [
  ...cols.filter(([n]) => !added(n)),
  ...ADDED_COLUMNS.flatMap((a) => cols.filter(([n]) => n === a)),
];

/** Money in tables is HUGEINT pico-dollars: exact, summed natively, and read back as bigint with no scaling. */
const PICO = 'HUGEINT';

/**
 * Closed lists (ledger/event.ts) are ENUMs: stored as small integers, a batch of one value costs nothing, where a
 * one-value VARCHAR dictionary still cost ~0.2 B/event. Views turn them back into VARCHAR.
 */
const enumOf = (values: readonly string[]) => `ENUM(${values.map((v) => `'${v}'`).join(', ')})`;
const ENUM_COLUMNS = ['cost_source', 'energy_source', 'status'] as const;

export const EVENT_COLUMNS: readonly (readonly [string, string])[] = [
  ['event_id', 'UBIGINT NOT NULL'],
  ['ts', 'TIMESTAMP NOT NULL'],
  ['ingested_at', 'TIMESTAMP NOT NULL'],
  ['source', 'VARCHAR NOT NULL'],
  ['source_ref', 'VARCHAR'],
  ['duration_ms', 'DOUBLE'],
  ['ttft_ms', 'DOUBLE'],
  ...ATTRIBUTION_FIELDS.map((f) => [f, 'VARCHAR'] as const),
  ['tags', 'MAP(VARCHAR, VARCHAR)'],
  ['provider', 'VARCHAR'],
  ['model', 'VARCHAR NOT NULL'],
  ['model_requested', 'VARCHAR'],
  ['operation', 'VARCHAR'],
  ['service_tier', 'VARCHAR'],
  ['route_id', 'VARCHAR'],
  ...USAGE_FIELDS.map((f) => [f, 'BIGINT NOT NULL'] as const),
  ['rate_id', 'INTEGER'],
  ...MONEY_MEASURES.map((m) => [`given_${m}`, PICO] as const),
  ['cost_source', `${enumOf(COST_SOURCES)} NOT NULL`],
  ['price_version', 'VARCHAR'],
  ['provider_cost_usd', PICO],
  // What the event cost before its first reprice; NULL until then, and NULL after it when the event had no price
  // then: billed_unpriced is TRUE for those (NULL otherwise), as that cost is unknown, not $0 (billedCostSql).
  ['billed_cost_usd', PICO],
  ['billed_unpriced', 'BOOLEAN'],
  ['energy_j', 'DOUBLE'],
  ['energy_source', enumOf(ENERGY_SOURCES)],
  ['status', `${enumOf(STATUSES)} NOT NULL`],
  ['error_type', 'VARCHAR'],
];

/** The contexts table: context_id, then the context columns with their types from EVENT_COLUMNS. */
export const CONTEXT_TABLE_COLUMNS: readonly (readonly [string, string])[] = [
  ['context_id', 'INTEGER NOT NULL'],
  ...CONTEXT_COLUMNS.map((c) => EVENT_COLUMNS.find(([n]) => n === c)!),
];

/**
 * The events table as stored: the per-call columns, with context_id in place of the context columns, and the
 * columns migrations added last (ADDED_COLUMNS).
 */
export const STORED_EVENT_COLUMNS: readonly (readonly [string, string])[] = addedLast([
  ...EVENT_COLUMNS.slice(0, 3),
  ['context_id', 'INTEGER NOT NULL'],
  ...EVENT_COLUMNS.slice(3).filter(([n]) => !isContextColumn(n)),
]);

export const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;

const columnsDdl = (cols: readonly (readonly [string, string])[]) =>
  cols.map(([n, t]) => `${q(n)} ${t}`).join(', ');

/** Columns of a rollup table keyed by `dims`: the day, the dimensions, then the summed measures. */
function rollupColumns(dims: readonly string[]): readonly (readonly [string, string])[] {
  return [
    ['day', 'TIMESTAMP NOT NULL'],
    ...dims.map((d) => [d, 'VARCHAR'] as const),
    ...ROLLUP_MEASURE_COLUMNS,
  ];
}

/** The rollups' measures; the columns migrations added last (ADDED_COLUMNS). */
const ROLLUP_MEASURE_COLUMNS: readonly (readonly [string, string])[] = addedLast([
  ['events', 'BIGINT NOT NULL'],
  ...USAGE_FIELDS.map((f) => [f, 'BIGINT NOT NULL'] as const),
  ...MONEY_MEASURES.map((m) => [m === 'cost_usd' ? 'cost_usd_extra' : m, PICO] as const),
  ['billed_delta_usd', PICO],
  // Events whose billed cost is unknown less those whose cost is (unpriced_events): 0 until a reprice, like
  // billed_delta_usd, so appends write 0 and the column compresses away.
  ['billed_unpriced_delta', 'BIGINT NOT NULL'],
  ['unpriced_events', 'BIGINT NOT NULL'],
  ['unpriced_tokens', 'BIGINT NOT NULL'],
]);

export const ROLLUP_COLUMNS = rollupColumns(ROLLUP_DIMENSIONS);

/**
 * A rollup as stored: compacted days in `table` (in the file), rows appended since in `pending` (a temp table of the
 * store's connection, see rollup.ts). Both rollups share rollup_dirty and are compacted together.
 */
export interface RollupTable extends RollupKind {
  readonly table: string;
  readonly pending: string;
  readonly columns: readonly (readonly [string, string])[];
}

export const ROLLUP_TABLES: readonly RollupTable[] = ROLLUPS.map((k) => ({
  ...k,
  table: k.name === 'day' ? 'rollup_day' : `rollup_${k.name}`,
  pending: k.name === 'day' ? 'rollup_pending' : `rollup_${k.name}_pending`,
  columns: rollupColumns(k.dimensions),
}));

const GIVEN = MONEY_MEASURES.map((m) => `given_${m}`).join(', ');

/** Events joined to their contexts: every column of EVENT_COLUMNS, in its order. */
export function wideEventsSql(where = ''): string {
  const cols = EVENT_COLUMNS.map(([n]) => `${isContextColumn(n) ? 'c' : 'e'}.${q(n)}`).join(', ');
  return `SELECT ${cols} FROM events e JOIN contexts c ON c.context_id = e.context_id ${where}`;
}

/** The priced form of an events-shaped relation: every column, minus given_*, plus the five cost columns. */
export function pricedRelationSql(table: string): string {
  const enums = ENUM_COLUMNS.map((c) => `e.${c}::VARCHAR AS ${c}`).join(', ');
  return pricedSelectSql({
    keep: `e.* EXCLUDE (${GIVEN}, ${ENUM_COLUMNS.join(', ')}), ${enums}`,
    from: `${table} e LEFT JOIN rate_cards r ON e.rate_id = r.rate_id`,
    e: 'e',
    r: 'r',
    given: (m) => `e.given_${m}`,
  });
}

/** The parts of cost_usd: a rollup keeps cost_usd as what it has beyond them (rollupMoneySql). */
export const COST_PARTS = MONEY_MEASURES.filter((m) => m !== 'cost_usd');

/**
 * The rollup's money sums from a relation with the five cost columns. cost_usd is kept as what it has beyond its
 * parts (`cost_usd_extra`): 0 wherever costs come from rates and no web search or audio duration was paid for, so
 * the column compresses to nearly nothing, where a second copy of the total cost ~0.25 B/event at 10M demo events;
 * the web search and audio fees are in it (pricing/cost.ts). NULL exactly when every event is unpriced. All of it is
 * linear, so rows of one key still sum.
 */
export function rollupMoneySql(): string {
  const parts = COST_PARTS.map((m) => `coalesce(sum(${m}), 0)`).join(' - ');
  return [`sum(cost_usd) - ${parts} AS cost_usd_extra`, ...COST_PARTS.map((m) => `sum(${m}) AS ${m}`)].join(
    ', ',
  );
}

/**
 * What reports read as a rollup: the compacted days and the rows appended since, with cost_usd. `stored` replaces
 * the compacted rows' SELECT (to add a row id, or keep some rows only).
 */
function rollupSourceSql(
  t: RollupTable,
  stored = `SELECT * FROM ${t.table}`,
  pending = `SELECT * FROM ${t.pending}`,
): string {
  return `(SELECT * EXCLUDE (cost_usd_extra),
  cost_usd_extra + ${COST_PARTS.map((m) => `coalesce(${m}, 0)`).join(' + ')} AS cost_usd
FROM (${stored} UNION ALL ${pending}))`;
}

/**
 * Session ids with more than one row in rollup_session (sessions that ran over several days, or under several
 * people or agents), kept with it (rollup.ts): any other session's one row there is the whole session, so a ranking
 * of sessions need not group the rollup's rows (compile-query.ts, Sources.sessions). It may list more ids than
 * that, never fewer.
 */
export const SESSION_SPLIT_TABLE = 'rollup_session_split';

/** The session rollup's tables. */
export const SESSION_ROLLUP = ROLLUP_TABLES.find((t) => t.name === 'session')!;

/**
 * The session rollup's rows with ids for compileQuery (Sources.sessions): compacted rows carry their rowid; the
 * pending ones (not yet compacted, in memory) carry none, and their sessions count as split.
 */
export const SESSION_ROWS: SessionRows = {
  split: `(SELECT session_id FROM ${SESSION_SPLIT_TABLE} UNION ALL SELECT session_id FROM ${SESSION_ROLLUP.pending})`,
  withIds: rollupSourceSql(
    SESSION_ROLLUP,
    `SELECT *, rowid AS _rid FROM ${SESSION_ROLLUP.table}`,
    `SELECT *, NULL::BIGINT AS _rid FROM ${SESSION_ROLLUP.pending}`,
  ),
  byIds: (ids) =>
    rollupSourceSql(
      SESSION_ROLLUP,
      `SELECT * FROM ${SESSION_ROLLUP.table} WHERE rowid IN (SELECT rid FROM ${ids})`,
    ),
};

/** Each rollup's source for compileQuery, by name. */
export const ROLLUP_SOURCES = Object.fromEntries(
  ROLLUP_TABLES.map((t) => [t.name, rollupSourceSql(t)]),
) as Record<RollupName, string>;

/** Every dimension some rollup is keyed by: a batch is grouped on all of them once, then per rollup. */
export const ALL_ROLLUP_DIMENSIONS = [...new Set(ROLLUP_TABLES.flatMap((t) => t.dimensions))];

/** The connection-local pending tables: created by every connection that reads a rollup (empty on readers). */
export function pendingTablesSql(): string[] {
  return ROLLUP_TABLES.map((t) => `CREATE TEMP TABLE IF NOT EXISTS ${t.pending} (${columnsDdl(t.columns)})`);
}

/** A new, empty temporary table `name` with the columns of rollup `t`'s pending table (rollup.ts rebuilds them). */
export function pendingTableLikeSql(t: RollupTable, name: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${name} (${columnsDdl(t.columns)})`;
}

/** The public view (for people opening the file): money as DECIMAL(38,12) dollars, event_id as 16 hex digits. */
function publicLedgerSql(): string {
  const money = [...MONEY_MEASURES, 'provider_cost_usd', 'billed_cost_usd'];
  return `SELECT printf('%016x', event_id) AS event_id, * EXCLUDE (event_id, ${money.join(', ')}),
  ${money.map((m) => `${picoToDecimalSql(m)} AS ${m}`).join(', ')}
FROM ledger_pico`;
}

/**
 * Rollup rows (one per day and dimension values `dimensions`) aggregated from a priced relation; `weight`, when given,
 * is the column saying how many events each row stands for (rollupFromEventsSql), else each row is one event.
 */
function rollupAggregateSql(
  priced: string,
  dimensions: readonly string[] = ROLLUP_DIMENSIONS,
  weight?: string,
): string {
  const dims = dimensions.map(q).join(', ');
  const tokens = TOKEN_FIELDS.map((f) => q(f)).join(' + ');
  const events = weight ? `sum(${weight})` : 'count(*)';
  const billed = billedCostSql();
  return `SELECT date_trunc('day', ts) AS day, ${dims},
  ${events} AS events,
  ${USAGE_FIELDS.map((f) => `sum(${q(f)}) AS ${q(f)}`).join(', ')},
  ${rollupMoneySql()},
  sum(coalesce(${billed}, 0) - coalesce(cost_usd, 0)) AS billed_delta_usd,
  coalesce(${events} FILTER (WHERE ${billed} IS NULL), 0) - coalesce(${events} FILTER (WHERE cost_usd IS NULL), 0)
    AS billed_unpriced_delta,
  coalesce(${events} FILTER (WHERE cost_usd IS NULL), 0) AS unpriced_events,
  coalesce(sum(${tokens}) FILTER (WHERE cost_usd IS NULL), 0) AS unpriced_tokens
FROM (${priced}) p
GROUP BY ALL`;
}

/**
 * Rollup rows (rollupAggregateSql) of the events passing `where` (on events' own columns) whose contexts have ids
 * `ids` (`BETWEEN …`), without pricing most of them one by one. Every rollup dimension is a context column, and so
 * is rate_id: an event's rollup row and rate card follow from its day and context. Where the card's rates are whole
 * pico-dollars per token (nearly every catalog price) and the event has no given or billed cost, its cost parts are
 * tokens × rate with nothing rounded, so a (day, context)'s summed tokens priced once cost exactly what its events
 * cost added up. The other events (given costs, a reprice's billed cost, a card with fractional pico-dollars) are
 * priced one by one, as a report prices them. 10M demo events, all 31 days at once, idle: 5.8-7.1 s → 3.5 s. So are
 * events billed audio by its duration (audio_ms > 0): their fee is rounded one by one (cost-sql.ts).
 */
export function rollupFromEventsSql(where: string, ids: string, dimensions: readonly string[]): string {
  for (const d of dimensions)
    if (!isContextColumn(d)) throw new Error(`rollup dimension ${d} is not a context column`);
  const plain =
    'e.given_cost_usd IS NULL AND e.billed_cost_usd IS NULL AND e.billed_unpriced IS NULL AND e.audio_ms = 0';
  const whole = wholeRatesSql('r');
  const fractional = `SELECT c.context_id FROM contexts c JOIN rate_cards r ON r.rate_id = c.rate_id
    WHERE c.context_id ${ids} AND NOT (${whole})`;
  const kept = ['ts', ...dimensions, ...USAGE_FIELDS].map(q).join(', ');
  // Two parts, not one filtered on `NOT plain OR context_id IN fractional`: DuckDB applied that OR only after joining
  // every event of the days to its context, while each part's filter is applied to the events first.
  const wide = (which: string) =>
    wideEventsSql(`WHERE c.context_id ${ids} AND e.context_id ${ids} AND ${where} AND ${which}`);
  const oneByOne = `SELECT ${kept}, ${MONEY_MEASURES.join(', ')}, billed_cost_usd, billed_unpriced, 1 AS _n
FROM (${pricedRelationSql(
    `(${wide(`NOT (${plain})`)}\nUNION ALL\n${wide(`${plain} AND e.context_id IN (${fractional})`)})`,
  )})`;
  const dims = dimensions.map((d) =>
    (ENUM_COLUMNS as readonly string[]).includes(d) ? `c.${q(d)}::VARCHAR AS ${q(d)}` : `c.${q(d)}`,
  );
  const summed = `SELECT a.ts, ${dims.join(', ')}, ${USAGE_FIELDS.map((f) => `a.${q(f)}`).join(', ')},
  ${summedCostSql('a', 'r').join(', ')}, NULL::HUGEINT AS billed_cost_usd, NULL::BOOLEAN AS billed_unpriced, a._n
FROM (SELECT date_trunc('day', ts) AS ts, context_id, count(*) AS _n,
        ${USAGE_FIELDS.map((f) => `sum(${q(f)}) AS ${q(f)}`).join(', ')}
      FROM events e WHERE e.context_id ${ids} AND ${where} AND ${plain} GROUP BY ALL) a
  JOIN contexts c ON c.context_id = a.context_id LEFT JOIN rate_cards r ON r.rate_id = c.rate_id
WHERE c.context_id ${ids} AND (r.rate_id IS NULL OR (${whole}))`;
  return rollupAggregateSql(`${oneByOne}\nUNION ALL BY NAME\n${summed}`, dimensions, '_n');
}

export function schemaSql(): string[] {
  return [...fileSchemaSql(), ...connectionSchemaSql()];
}

/** The tables and views kept in the ledger file. */
function fileSchemaSql(): string[] {
  const rates = RATE_COLUMNS.map(
    (c) => `${q(c)} ${c.endsWith('_a') || /_b[01]$/.test(c) ? 'BIGINT' : 'HUGEINT'} NOT NULL`,
  );
  return [
    `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS rate_cards (rate_id INTEGER PRIMARY KEY, ${rates.join(', ')})`,
    `CREATE TABLE IF NOT EXISTS contexts (${columnsDdl(CONTEXT_TABLE_COLUMNS)})`,
    `CREATE TABLE IF NOT EXISTS events (${columnsDdl(STORED_EVENT_COLUMNS)})`,
    ...ROLLUP_TABLES.map((t) => `CREATE TABLE IF NOT EXISTS ${t.table} (${columnsDdl(t.columns)})`),
    // rollup_dirty names the days the pending tables (connectionSchemaSql) hold, so a process that dies before
    // compacting them has them rebuilt.
    'CREATE TABLE IF NOT EXISTS rollup_dirty (day TIMESTAMP NOT NULL)',
    `CREATE TABLE IF NOT EXISTS ${SESSION_SPLIT_TABLE} (session_id VARCHAR NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS reprice_audit (repriced_at TIMESTAMP NOT NULL, event_id UBIGINT NOT NULL,
      ts TIMESTAMP NOT NULL, old_price_version VARCHAR, new_price_version VARCHAR, old_cost_usd ${PICO},
      new_cost_usd ${PICO})`,
    // Import state, provider costs, activity and call content: new tables only, so older files gain them on open.
    ...importRecordsSchemaSql(),
    ...callContentSchemaSql(),
    // Recreated whenever these statements change (fileSchemaHash), so the formula in the file always matches this code's.
    `CREATE OR REPLACE VIEW ledger_pico AS ${pricedRelationSql(`(${wideEventsSql()})`)}`,
    `CREATE OR REPLACE VIEW ledger AS ${publicLedgerSql()}`,
  ];
}

/**
 * The temporary tables of a connection: appended batches' rollup rows until their day is compacted into the rollup
 * table (rollup.ts); readers sum both. In memory: rows written to the file and deleted later left free blocks in it.
 */
export function connectionSchemaSql(): string[] {
  return pendingTablesSql();
}

let hash: string | undefined;
/** A hash of the file's schema statements: a ledger recording the same one needs none of them run again. */
export function fileSchemaHash(): string {
  hash ??= createHash('sha256').update(fileSchemaSql().join(';\n')).digest('hex').slice(0, 16);
  return hash;
}

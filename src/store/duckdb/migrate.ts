import { CONTEXT_COLUMNS, isContextColumn, sameContext } from './contexts.js';
import { RATE_COLUMNS } from './rate-cards.js';
import { markSplitSessions, rebuildRollupDays } from './rollup.js';
import {
  CONTEXT_TABLE_COLUMNS,
  q,
  ROLLUP_TABLES,
  SCHEMA_VERSION,
  STORED_EVENT_COLUMNS,
  schemaSql,
} from './schema.js';
import type { DuckDbSession } from './session.js';

/**
 * The end of a migration that changes the daily rollup: it is recreated under the current schema, rebuilt from the
 * events, and the version set, inside the caller's transaction.
 */
async function rebuildRollupAndBump(
  s: DuckDbSession,
  step: (sql: string) => Promise<unknown>,
): Promise<void> {
  await step('DROP TABLE rollup_day');
  for (const sql of schemaSql()) await step(sql);
  await step(
    `CREATE OR REPLACE TEMP TABLE migrate_days AS SELECT DISTINCT date_trunc('day', ts) AS day FROM events`,
  );
  await rebuildRollupDays(s, 'migrate_days');
  await step(`UPDATE meta SET value = '${SCHEMA_VERSION}' WHERE key = 'schema_version'`);
}

const ddl = (cols: readonly (readonly [string, string])[]) => cols.map(([n, t]) => `${q(n)} ${t}`).join(', ');

/**
 * Schema 1 → 2: the context columns move out of `events` into `contexts` (ids in order of first appearance, as
 * appends number them). Events are rewritten in their stored order, so ts zone maps stay as tight as they were.
 * The rollup loses its `status` key, so it is rebuilt from the events. The views are dropped first: they name the
 * old columns. All of it is one transaction with the new schema and version, so a failure leaves schema 1 intact.
 */
export async function migrateToContexts(s: DuckDbSession): Promise<void> {
  const cols = CONTEXT_COLUMNS.map(q).join(', ');
  const stored = STORED_EVENT_COLUMNS.map(([n]) => (n === 'context_id' ? 'c.context_id' : `e.${q(n)}`)).join(
    ', ',
  );
  if (STORED_EVENT_COLUMNS.some(([n]) => isContextColumn(n)))
    throw new Error('context column left in events');
  await s.transaction('migrating the ledger to schema 2', async () => {
    const step = (sql: string) => s.run('migrating the ledger to schema 2', sql);
    await step('DROP VIEW IF EXISTS ledger');
    await step('DROP VIEW IF EXISTS ledger_pico');
    await step(`CREATE TABLE contexts (${ddl(CONTEXT_TABLE_COLUMNS)})`);
    await step(
      `INSERT INTO contexts SELECT (row_number() OVER (ORDER BY first))::INTEGER, ${cols}
       FROM (SELECT ${cols}, min(rowid) AS first FROM events GROUP BY ALL) ORDER BY first`,
    );
    await step('ALTER TABLE events RENAME TO events_v1');
    await step(`CREATE TABLE events (${ddl(STORED_EVENT_COLUMNS)})`);
    await step(
      `INSERT INTO events SELECT ${stored} FROM events_v1 e JOIN contexts c ON ${sameContext('c', 'e')}
       ORDER BY e.rowid`,
    );
    await step('DROP TABLE events_v1');
    await rebuildRollupAndBump(s, step);
  });
}

/**
 * Schema 2 → 3: the rollup keeps `cost_usd_extra` (cost_usd beyond the sum of its parts) in place of `cost_usd`, and
 * `rollup_dirty` appears. The rollup is rebuilt from the events, in one transaction with the new version.
 */
export async function migrateRollupExtra(s: DuckDbSession): Promise<void> {
  await s.transaction('migrating the ledger to schema 3', async () => {
    const step = (sql: string) => s.run('migrating the ledger to schema 3', sql);
    await rebuildRollupAndBump(s, step);
  });
}

/**
 * Schema 3 → 4: the session rollup (rollup_session) and the rollup without people (rollup_team) appear, built from
 * the events in one transaction with the new version (~20 s at 10M demo events). The daily rollup is kept as it is. Built a day at a time: all 10M demo events in one aggregate ran out of
 * the 256MB buffer pool (the transaction's uncommitted rows cannot spill).
 */
export async function migrateSessionRollup(s: DuckDbSession): Promise<void> {
  const added = ROLLUP_TABLES.filter((t) => t.name !== 'day');
  await s.transaction('migrating the ledger to schema 4', async () => {
    const step = (sql: string) => s.run('migrating the ledger to schema 4', sql);
    for (const sql of schemaSql()) await step(sql);
    const days = await s.rows(
      'migrating the ledger to schema 4',
      `SELECT DISTINCT epoch_us(date_trunc('day', ts)) AS d FROM events ORDER BY d`,
    );
    for (const [day] of days) {
      await step(
        `CREATE OR REPLACE TEMP TABLE migrate_days AS SELECT make_timestamp(${BigInt(day as bigint)}::BIGINT) AS day`,
      );
      await rebuildRollupDays(s, 'migrate_days', added);
    }
    await step(`UPDATE meta SET value = '${SCHEMA_VERSION}' WHERE key = 'schema_version'`);
  });
}

/**
 * Schema 4 → 5: rollup_session_split appears, listing the sessions with more than one row in rollup_session, in one
 * transaction with the new version.
 */
export async function migrateSessionSplit(s: DuckDbSession): Promise<void> {
  await s.transaction('migrating the ledger to schema 5', async () => {
    const step = (sql: string) => s.run('migrating the ledger to schema 5', sql);
    for (const sql of schemaSql()) await step(sql);
    await markSplitSessions(s, 'TRUE');
    await step(`UPDATE meta SET value = '${SCHEMA_VERSION}' WHERE key = 'schema_version'`);
  });
}

/**
 * Schema 5 → 6 → … → 10: columns added to tables that already held rows, in one transaction with the new version.
 *
 * Schema 6: events and the rollups count `web_search_requests`, and rate cards carry the `web_search` rate (its
 * whole and split columns). Every event and card written before had no web search fee, so the columns are added
 * filled with 0 (ALTER TABLE … ADD COLUMN … DEFAULT 0, then NOT NULL and no default, as a new file declares them):
 * nothing is recomputed, and every cost and rollup row stays exactly what it was. Usage-report events, which kept
 * their searches in a tag, have the count moved into the column and their days' rollup rows rebuilt; their cost is
 * still without the fee, which `tokenledger reprice` adds (docs/pricing.md, "Web search").
 *
 * Schema 7: events and the rollups count `input_audio_tokens` and `output_audio_tokens` (parts of input and output),
 * and rate cards carry the `input_audio` and `output_audio` rates. Every event written before was priced with audio
 * at the text rates, so the counts are added as 0 and each card's audio rates are its input and output rates (what a
 * model without audio prices gets): no cost changes. OpenAI usage-export events, which kept their audio counts in
 * tags, have them moved into the columns (at most the event's input and output tokens) and their days' rollup rows
 * rebuilt; their cost is still the text-rate one until `tokenledger reprice` (docs/pricing.md, "Audio").
 *
 * Schema 8: an event a reprice found unpriced when billed keeps `billed_unpriced` (TRUE) and no billed cost, where
 * `billed_cost_usd` held 0, and the rollups keep `billed_unpriced_delta` (0 until a reprice, as billed_delta_usd).
 * Such an event is one with billed cost 0 whose oldest reprice_audit row has no old cost: it is marked, and the days
 * of every repriced event have their rollup rows rebuilt (only a reprice makes the delta other than 0). A billed 0
 * with no audit row left to tell stays $0.
 *
 * Schema 9: events and the rollups count `input_image_tokens` and `output_image_tokens` (parts of input and output,
 * beside audio), and rate cards carry the `input_image` and `output_image` rates. As for audio at schema 7: no source
 * counted images apart before, so the counts are added as 0 and each card's image rates are its input and output
 * rates; no cost changes.
 *
 * Schema 10: events and the rollups count `audio_ms` (audio billed by its duration, not tokens: a fee beside the
 * parts, as web searches are), and rate cards carry its rate per hour, `audio_hour` (whole and split). No event
 * written before counted it, and no cost included such a fee, so both are added as 0: no cost changes. A
 * transcription recorded before stays as it was (no duration, its cost what it was): importing it again adds
 * nothing, its id being the same.
 *
 * It runs first for a file of any older version too, since the older steps build today's schema (schema.ts) and
 * read these columns; IF EXISTS / IF NOT EXISTS make it a no-op on tables that step will create, and on a second
 * try. Only from schema 5, 6, 7, 8 or 9 is it the whole migration, and then it records the version itself.
 */
export async function migrateAddedColumns(s: DuckDbSession, from: number): Promise<void> {
  const what = `migrating the ledger to schema ${SCHEMA_VERSION}`;
  await s.transaction(what, async () => {
    const step = (sql: string) => s.run(what, sql);
    const tables = new Set(
      (
        await s.rows(
          what,
          `SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()`,
        )
      ).map((r) => String(r[0])),
    );
    // Every ALTER before any UPDATE: DuckDB refuses to commit a table altered after it was updated in the same
    // transaction, and to alter a table with an index (rate_cards' key) once it has updates pending.
    if (from <= 5) await addColumns(step, ['web_search_requests'], ['web_search']);
    const audioRates = ['input_audio', 'output_audio'];
    const imageRates = ['input_image', 'output_image'];
    const cardColumns = new Set(
      (
        await s.rows(
          what,
          `SELECT column_name FROM information_schema.columns
           WHERE table_catalog = current_database() AND table_name = 'rate_cards'`,
        )
      ).map((r) => String(r[0])),
    );
    // The rates this migration gives the cards (none where there is no rate_cards table yet).
    const newRates = [audioRates, imageRates]
      .filter(([rate]) => cardColumns.size > 0 && !cardColumns.has(rate!))
      .flat();
    await addColumns(step, ['input_audio_tokens', 'output_audio_tokens'], audioRates);
    await step('ALTER TABLE IF EXISTS events ADD COLUMN IF NOT EXISTS billed_unpriced BOOLEAN');
    for (const t of ROLLUP_TABLES) await addColumn(step, t.table, 'billed_unpriced_delta', 'BIGINT');
    await addColumns(step, ['input_image_tokens', 'output_image_tokens'], imageRates);
    await addColumns(step, ['audio_ms'], ['audio_hour']);
    // A card's new audio and image rates are its text rates, whole and split (rate-cards.ts RATE_COLUMNS).
    const filled = RATE_COLUMNS.filter((c) => newRates.some((r) => c === r || c.startsWith(`${r}_`)));
    if (filled.length > 0)
      await step(
        `UPDATE rate_cards SET ${filled.map((c) => `${q(c)} = ${q(c.replace(/^(input|output)_(audio|image)/, '$1'))}`).join(', ')}`,
      );
    if (from <= 5)
      await countFromTag(step, tables, USAGE_REPORT_SOURCE, [
        ['web_search_requests', LEGACY_SEARCH_TAG, null],
      ]);
    if (from <= 6)
      await countFromTag(step, tables, OPENAI_USAGE_SOURCE, [
        ['input_audio_tokens', 'input_audio_tokens', 'input_tokens'],
        ['output_audio_tokens', 'output_audio_tokens', 'output_tokens'],
      ]);
    if (from <= 7 && tables.has('reprice_audit')) await markBilledUnpriced(step, tables);
    if (from >= 5) await step(`UPDATE meta SET value = '${SCHEMA_VERSION}' WHERE key = 'schema_version'`);
  });
}

/**
 * Adds the usage columns `counts` to events and every rollup, and the rates `rates` (whole and split) to rate_cards,
 * all filled with 0 and then declared as a new file declares them.
 */
async function addColumns(
  step: (sql: string) => Promise<unknown>,
  counts: readonly string[],
  rates: readonly string[],
): Promise<void> {
  const added: [string, string, string][] = [
    ...['events', ...ROLLUP_TABLES.map((t) => t.table)].flatMap((table) =>
      counts.map((c): [string, string, string] => [table, c, 'BIGINT']),
    ),
    ...RATE_COLUMNS.filter((c) => rates.some((r) => c === r || c.startsWith(`${r}_`))).map(
      (c): [string, string, string] => ['rate_cards', c, rates.includes(c) ? 'HUGEINT' : 'BIGINT'],
    ),
  ];
  for (const [table, column, type] of added) await addColumn(step, table, column, type);
}

/** Adds `column` to `table` filled with 0, then declared NOT NULL with no default, as a new file declares it. */
async function addColumn(
  step: (sql: string) => Promise<unknown>,
  table: string,
  column: string,
  type: string,
): Promise<void> {
  await step(`ALTER TABLE IF EXISTS ${table} ADD COLUMN IF NOT EXISTS ${q(column)} ${type} DEFAULT 0`);
  await step(`ALTER TABLE IF EXISTS ${table} ALTER COLUMN ${q(column)} SET NOT NULL`);
  await step(`ALTER TABLE IF EXISTS ${table} ALTER COLUMN ${q(column)} DROP DEFAULT`);
}

/**
 * Schema 8: the events a reprice before it gave billed cost 0 for having been unpriced (their oldest audit row has
 * no old cost) lose that 0 for `billed_unpriced`, and every repriced event's day is marked for its rollup rows to be
 * rebuilt with billed_unpriced_delta.
 */
async function markBilledUnpriced(
  step: (sql: string) => Promise<unknown>,
  tables: ReadonlySet<string>,
): Promise<void> {
  await step(
    `UPDATE events SET billed_cost_usd = NULL, billed_unpriced = TRUE
     FROM (SELECT event_id, ts, old_cost_usd FROM reprice_audit
           QUALIFY row_number() OVER (PARTITION BY event_id, ts ORDER BY repriced_at) = 1) a
     WHERE a.event_id = events.event_id AND a.ts = events.ts AND a.old_cost_usd IS NULL
       AND events.billed_cost_usd = 0`,
  );
  // Schema 2 has no rollup_dirty, and schema 1 no contexts: their steps rebuild the whole rollup.
  if (tables.has('contexts') && tables.has('rollup_dirty'))
    await step(
      `INSERT INTO rollup_dirty SELECT DISTINCT date_trunc('day', ts) FROM events
       WHERE billed_cost_usd IS NOT NULL OR billed_unpriced`,
    );
}

/**
 * Moves counts a source kept in tags into their columns, `[column, tag, whole]` (the count is at most the column
 * `whole` when one is named), for the events of `source`, and marks their days for the rollup rows to be rebuilt.
 */
async function countFromTag(
  step: (sql: string) => Promise<unknown>,
  tables: ReadonlySet<string>,
  source: string,
  moves: readonly [string, string, string | null][],
): Promise<void> {
  const tag = (t: string, name: string) => `TRY_CAST(map_extract_value(${t}.tags, '${name}') AS BIGINT)`;
  const value = (t: string, name: string, whole: string | null) =>
    whole === null ? tag(t, name) : `least(${tag(t, name)}, events.${q(whole)})`;
  for (const [column, name, whole] of moves) {
    if (!tables.has('contexts'))
      // Schema 1: tags still in events; the rollup is rebuilt by the step that follows (migrateToContexts).
      await step(
        `UPDATE events SET ${q(column)} = ${value('events', name, whole)}
         WHERE source = '${source}' AND ${tag('events', name)} > 0`,
      );
    else
      await step(
        `UPDATE events SET ${q(column)} = ${value('c', name, whole)} FROM contexts c
         WHERE c.context_id = events.context_id AND c.source = '${source}' AND ${tag('c', name)} > 0`,
      );
  }
  // Schema 2 has no rollup_dirty: its step rebuilds the whole rollup.
  if (tables.has('contexts') && tables.has('rollup_dirty'))
    await step(
      `INSERT INTO rollup_dirty SELECT DISTINCT date_trunc('day', e.ts) FROM events e
       JOIN contexts c ON c.context_id = e.context_id
       WHERE c.source = '${source}' AND (${moves.map(([column]) => `e.${q(column)} > 0`).join(' OR ')})`,
    );
}

/** The tag the usage report's searches were kept in before schema 6 (sources/anthropic-usage/messages.ts). */
const LEGACY_SEARCH_TAG = 'web_search_requests';
const USAGE_REPORT_SOURCE = 'anthropic-usage';
/** OpenAI's usage export kept its audio counts in tags of the columns' names before schema 7. */
const OPENAI_USAGE_SOURCE = 'openai-usage';

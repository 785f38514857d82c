import { TokenledgerError } from '../../errors.js';
import type { RecordKind, RecordSet, SetRecord } from '../../records/record-set.js';
import type { ClickHouseSql } from './clickhouse-sql.js';

/**
 * The ledger's small sets (records/record-set.ts: keys, API tokens, budgets) in its ClickHouse database, a row per
 * record. A change inserts the record's new row, versioned by the server's clock as it arrives, as events are
 * (schema.ts); a removal inserts a row that says so. Reads keep each record's newest row (FINAL), so two instances
 * changing different records at once both keep theirs, and the last change of one record wins.
 */
export const RECORDS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS records (
  kind LowCardinality(String),
  id String,
  created_at String,
  body String,
  removed Bool,
  _version DateTime64(6) DEFAULT now64(6)
) ENGINE = ReplacingMergeTree(_version) ORDER BY (kind, id)`;

export function clickHouseRecordSet<T extends SetRecord>(sql: ClickHouseSql, kind: RecordKind): RecordSet<T> {
  const where = `the ClickHouse table records (kind ${kind.name})`;
  const insert = (row: { id: string; created_at: string; body: string; removed: boolean }) =>
    sql.insert(`writing ${kind.name}`, 'records', [{ kind: kind.name, ...row }]);
  return {
    where,
    async list() {
      const rows = await sql.rows(
        `reading ${kind.name}`,
        `SELECT id, body FROM records FINAL WHERE kind = {kind:String} AND NOT removed ORDER BY created_at, id`,
        { kind: kind.name },
      );
      return rows.map((r) => {
        try {
          return JSON.parse(String(r.body)) as T;
        } catch (e) {
          throw new TokenledgerError(
            kind.corrupt[0],
            `${where}, id ${String(r.id)}: ${(e as Error).message}`,
            {
              cause: e,
            },
          );
        }
      });
    },
    put: (record) =>
      insert({ id: record.id, created_at: record.created_at, body: JSON.stringify(record), removed: false }),
    remove: (id) => insert({ id, created_at: '', body: '', removed: true }),
    async signature() {
      // Every change is a new row with a later version: the newest version and the row count move with any of them.
      const [row] = await sql.rows(
        `reading ${kind.name}`,
        'SELECT toString(max(_version)) AS at, count() AS n FROM records WHERE kind = {kind:String}',
        { kind: kind.name },
      );
      return `${String(row?.at)}:${String(row?.n)}`;
    },
  };
}

import type { DuckDBValue } from '@duckdb/node-api';
import type { UsageEvent } from '../../ledger/event.js';
import type { ImportRecords } from '../import-records.js';
import type { Measures, Query, QueryResult, Row } from '../query.js';
import { COUNT_MEASURES, MONEY_MEASURES } from '../query.js';
import { compileQuery, filtersSql, type Param, rangeSql } from '../sql/compile-query.js';
import { planRead, validateQuery } from '../sql/plan.js';
import type {
  AppendResult,
  EventFilter,
  ExportOptions,
  RepriceAudit,
  RepriceSelection,
  RepriceSummary,
  Store,
} from '../store.js';
import { appendBatch } from './append.js';
import { DUCKDB_DIALECT } from './dialect.js';
import { exportLedger } from './export.js';
import { createDuckDbImportRecords } from './import-records.js';
import { type DuckDbOptions, openLedger } from './open.js';
import type { RateCardRegistry } from './rate-cards.js';
import { EVENT_READ_SQL, micros, rowToEvent } from './read.js';
import { readAudit, repriceEvents } from './reprice.js';
import { finishRollupDays, recoverDirtyRollupDays } from './rollup.js';
import { ROLLUP_SOURCE } from './schema.js';
import type { DuckDbSession } from './session.js';

export const DUCKDB_STORE = 'duckdb';

/**
 * The embedded ledger: one DuckDB file, no server.
 *
 * @example
 * const store = await createDuckDbStore('.tokenledger/ledger.duckdb');
 * await store.append(events);
 * const { rows, totals } = await store.query({ dimensions: ['team'], bucket: 'day' });
 * await store.close();
 */
export async function createDuckDbStore(path: string, options: DuckDbOptions = {}): Promise<Store> {
  const { session, rates } = await openLedger(path, options);
  await recoverDirtyRollupDays(session);
  return new DuckDbStore(session, rates);
}

class DuckDbStore implements Store {
  readonly id = DUCKDB_STORE;
  readonly records: ImportRecords;
  /** Rollup days with appended rows not yet compacted (rollup.ts), and how many appends each took. */
  private readonly rollupPending = new Map<number, number>();

  constructor(
    private readonly s: DuckDbSession,
    private readonly rates: RateCardRegistry,
  ) {
    this.records = createDuckDbImportRecords(s);
  }

  append(events: readonly UsageEvent[]): Promise<AppendResult> {
    return this.s.exclusive(() => appendBatch(this.s, this.rates, events, this.rollupPending));
  }

  async query(q: Query): Promise<QueryResult> {
    validateQuery(q);
    return this.s.exclusive(async () => {
      const compiled = compileQuery(q, DUCKDB_DIALECT, planRead(q), {
        raw: 'ledger_pico',
        rollup: ROLLUP_SOURCE,
      });
      const result = await this.s.conn
        .runAndReadAll(compiled.sql, compiled.params as DuckDBValue[])
        .catch((err: unknown) => {
          throw this.s.wrap('running a report query', err);
        });
      const names = result.columnNames();
      const rows: Row[] = [];
      const totals = zeroMeasures(q.billed === true);
      const unpriced = { events: 0, tokens: 0 };
      for (const values of result.getRows()) {
        const v = Object.fromEntries(names.map((n, i) => [n, values[i] ?? null]));
        const row = { ...zeroMeasures(q.billed === true), dims: {} } as Row;
        for (const m of MONEY_MEASURES) row[m] = BigInt(v[m] as bigint);
        for (const m of COUNT_MEASURES) row[m] = Number(v[m]);
        if (q.billed) row.billed_cost_usd = BigInt(v.billed_cost_usd as bigint);
        if (row.events === 0) continue;
        if (q.bucket) row.bucket = new Date(micros(v.bucket!) / 1000).toISOString();
        q.dimensions.forEach((dim, i) => {
          const d = v[compiled.dimAliases[i]!];
          row.dims[dim] = d === null || d === undefined ? null : String(d);
        });
        addMeasures(totals, row);
        unpriced.events += Number(v.unpriced_events);
        unpriced.tokens += Number(v.unpriced_tokens);
        rows.push(row);
      }
      return { rows, totals, unpriced };
    });
  }

  async events(f: EventFilter): Promise<UsageEvent[]> {
    validateQuery({ dimensions: [], filters: f.filters, since: f.since, until: f.until });
    return this.s.exclusive(async () => {
      const params: Param[] = [];
      const where = [
        rangeSql('ts', { from: f.since, to: f.until }, DUCKDB_DIALECT, params),
        ...filtersSql(f.filters, DUCKDB_DIALECT, params),
      ];
      let sql = `SELECT ${EVENT_READ_SQL} FROM ledger_pico WHERE ${where.join(' AND ')} ORDER BY ts DESC, event_id DESC`;
      if (f.limit !== undefined) {
        sql += ' LIMIT ?';
        params.push(f.limit);
      }
      const rows = await this.s.rows('reading events', sql, params);
      return rows.map((r) => rowToEvent(r, this.rates));
    });
  }

  count(): Promise<number> {
    return this.s.exclusive(async () => {
      const rows = await this.s.rows('counting events', 'SELECT count(*) FROM events');
      return Number(rows[0]![0]);
    });
  }

  export(o: ExportOptions): Promise<{ rows: number }> {
    return this.s.exclusive(() => exportLedger(this.s, o));
  }

  reprice(sel: RepriceSelection, price: (e: UsageEvent) => UsageEvent, now: number): Promise<RepriceSummary> {
    return this.s.exclusive(() => repriceEvents(this.s, this.rates, sel, price, now));
  }

  repriceAudit(limit?: number): Promise<RepriceAudit[]> {
    return this.s.exclusive(() => readAudit(this.s, limit));
  }

  async close(): Promise<void> {
    if (this.rollupPending.size > 0) {
      const days = [...this.rollupPending.keys()].sort((a, b) => a - b);
      this.rollupPending.clear();
      await this.s.exclusive(() =>
        this.s.transaction('compacting the rollup', () => finishRollupDays(this.s, days)),
      );
    }
    return this.s.close();
  }
}

function zeroMeasures(billed: boolean): Measures {
  const m = Object.fromEntries([
    ...MONEY_MEASURES.map((k) => [k, 0n]),
    ...COUNT_MEASURES.map((k) => [k, 0]),
  ]) as unknown as Measures;
  if (billed) m.billed_cost_usd = 0n;
  return m;
}

function addMeasures(into: Measures, r: Measures): void {
  for (const m of MONEY_MEASURES) into[m] += r[m];
  for (const m of COUNT_MEASURES) into[m] += r[m];
  if (into.billed_cost_usd !== undefined) into.billed_cost_usd += r.billed_cost_usd ?? 0n;
}

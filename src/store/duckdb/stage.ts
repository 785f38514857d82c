import {
  BIGINT,
  DOUBLE,
  type DuckDBAppender,
  DuckDBDataChunk,
  type DuckDBType,
  INTEGER,
  UINTEGER,
  VARCHAR,
} from '@duckdb/node-api';
import {
  ATTRIBUTION_FIELDS,
  COST_SOURCES,
  ENERGY_SOURCES,
  STATUSES,
  USAGE_FIELDS,
  type UsageEvent,
} from '../../ledger/event.js';
import { storeError } from '../errors.js';
import { MONEY_MEASURES } from '../query.js';
import { CONTEXT_COLUMNS } from './contexts.js';
import { costStorage } from './cost-storage.js';
import type { RateCardRegistry } from './rate-cards.js';
import { EVENT_COLUMNS, q, STORED_EVENT_COLUMNS } from './schema.js';

/**
 * Moving a batch of events into DuckDB through data chunks. The staging table holds only numbers, the cheapest
 * thing to fill from JS: every text value (and every given cost, as its decimal string, and tags, as JSON) becomes a
 * code into a per-batch dictionary of distinct strings, and nullable numbers use NaN for null. Setting strings and
 * null bits value by value made staging ~5x slower. One INSERT … SELECT then decodes into the stored types.
 */

type Kind = 'u32' | 'i32' | 'code' | 'i64' | 'f64';
const TYPE_OF: Record<Kind, DuckDBType> = {
  u32: UINTEGER,
  i32: INTEGER,
  code: INTEGER,
  i64: BIGINT,
  f64: DOUBLE,
};
const SQL_TYPE_OF: Record<Kind, string> = {
  u32: 'UINTEGER',
  i32: 'INTEGER',
  code: 'INTEGER',
  i64: 'BIGINT',
  f64: 'DOUBLE',
};

/** What `prepare` works out once per event. */
interface Prepared {
  hi: number;
  lo: number;
  rateId: number;
  given: UsageEvent | null;
  /** The event's context within the batch (1-based), from its context columns' staged values. */
  ctx: number;
}

type Value = number | string | bigint | null | undefined;
interface StageColumn {
  name: string;
  kind: Kind;
  get(e: UsageEvent, p: Prepared): Value;
  /** SQL turning the staged value into the stored column (`d.l` is the dictionary list). */
  load: string;
  /** For dictionary codes: the stored type the decoded string is cast to. */
  castTo?: string;
}

const str = (name: keyof UsageEvent): StageColumn => ({
  name,
  kind: 'code',
  get: (e) => e[name] as Value,
  load: `d.l[s.${q(name)}]`,
  castTo: 'VARCHAR',
});
/** Pico-dollars travel as their decimal digits through the dictionary (rare: only given costs). */
const money = (name: string, get: StageColumn['get']): StageColumn => ({
  name,
  kind: 'code',
  get: (e, p) => {
    const v = get(e, p);
    return typeof v === 'bigint' ? v.toString() : null;
  },
  load: `d.l[s.${q(name)}]::HUGEINT`,
  castTo: 'HUGEINT',
});
const nullableNumber = (name: keyof UsageEvent): StageColumn => ({
  name,
  kind: 'f64',
  get: (e) => e[name] as Value,
  load: `CASE WHEN isnan(s.${q(name)}) THEN NULL ELSE s.${q(name)} END`,
});

const STAGE_COLUMNS: StageColumn[] = [
  { name: 'id_hi', kind: 'u32', get: (_, p) => p.hi, load: '(s.id_hi::UBIGINT << 32) | s.id_lo::UBIGINT' },
  { name: 'id_lo', kind: 'u32', get: (_, p) => p.lo, load: '' },
  { name: 'ts', kind: 'f64', get: (e) => e.ts, load: 'make_timestamp(s.ts::BIGINT)' },
  {
    name: 'ingested_at',
    kind: 'f64',
    get: (e) => e.ingested_at,
    load: 'make_timestamp(s.ingested_at::BIGINT)',
  },
  str('source'),
  str('source_ref'),
  nullableNumber('duration_ms'),
  nullableNumber('ttft_ms'),
  ...ATTRIBUTION_FIELDS.map(str),
  {
    name: 'tags',
    kind: 'code',
    get: (e) => (e.tags && Object.keys(e.tags).length > 0 ? JSON.stringify(e.tags) : null),
    load: 'd.l[s.tags]::JSON::MAP(VARCHAR, VARCHAR)',
    castTo: 'JSON::MAP(VARCHAR, VARCHAR)',
  },
  str('provider'),
  str('model'),
  str('model_requested'),
  str('operation'),
  str('service_tier'),
  str('route_id'),
  ...USAGE_FIELDS.map((f): StageColumn => ({ name: f, kind: 'i64', get: (e) => e[f], load: `s.${q(f)}` })),
  { name: 'rate_id', kind: 'i32', get: (_, p) => p.rateId, load: 'nullif(s.rate_id, 0)' },
  { name: 'ctx', kind: 'i32', get: (_, p) => p.ctx, load: '' },
  ...MONEY_MEASURES.map((m) => money(`given_${m}`, (_, p) => p.given?.[m])),
  str('cost_source'),
  str('price_version'),
  money('provider_cost_usd', (e) => e.provider_cost_usd),
  { name: 'billed_cost_usd', kind: 'i32', get: () => 0, load: 'NULL::HUGEINT' },
  nullableNumber('energy_j'),
  str('energy_source'),
  str('status'),
  str('error_type'),
];

const STORED = STAGE_COLUMNS.filter((c) => c.name !== 'id_lo' && c.name !== 'ctx');
const CONTEXT_STAGED = CONTEXT_COLUMNS.map((n) => STAGE_COLUMNS.find((c) => c.name === n)!);
if (
  STORED.map((c) => (c.name === 'id_hi' ? 'event_id' : c.name)).join() !==
  EVENT_COLUMNS.map(([n]) => n).join()
) {
  throw new Error('stage.ts columns are out of step with schema.ts EVENT_COLUMNS');
}

export const STAGE_TABLE = 'stage';
export const STAGE_DICT_TABLE = 'stage_dict';

/** Recreated for every batch: cheaper than deleting, and row ids restart. */
export function stageTablesSql(): string[] {
  return [
    `CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} (${STAGE_COLUMNS.map((c) => `${q(c.name)} ${SQL_TYPE_OF[c.kind]}`).join(', ')})`,
    `CREATE OR REPLACE TEMP TABLE ${STAGE_DICT_TABLE} (code INTEGER, s VARCHAR)`,
  ];
}

/** `FROM` clause giving staged rows as `s` and the batch dictionary as the list `d.l` (code 0 → NULL). */
export const DICT_LIST = `(SELECT list(s ORDER BY code) AS l FROM ${STAGE_DICT_TABLE})`;
export const STAGE_FROM = `${STAGE_TABLE} s, ${DICT_LIST} d`;

/**
 * Dictionary columns whose value is the same for the whole batch (null or not), by column name. Most columns of a
 * batch are (org, environment, cost_source, price_version, every unused field): loading them as one bound value
 * instead of decoding each row halves the cost of the INSERT.
 */
export type BatchConstants = ReadonlyMap<string, string | null>;

/** The stored value of staged column `c` in row `s` (or `alias`), and the parameters it binds. */
function valueSql(c: StageColumn, constants: BatchConstants, params: string[], alias = 's'): string {
  if (c.kind === 'code' && constants.has(c.name)) {
    const v = constants.get(c.name);
    if (v === null || v === undefined)
      return `NULL::${c.castTo === 'VARCHAR' ? 'VARCHAR' : c.castTo!.replace('JSON::', '')}`;
    params.push(v);
    return `?::VARCHAR::${c.castTo}`;
  }
  return alias === 's' ? c.load : c.load.replaceAll('s.', `${alias}.`);
}

/** Staged column name standing for the stored column `name` (event_id is staged as id_hi and id_lo). */
const stagedName = (name: string) => (name === 'event_id' ? 'id_hi' : name);

/**
 * SELECT list that turns staged rows (`s`, `d`) into the events table's stored columns, in its order; `m.ids` is the
 * list of context ids by batch context number (contextIdsSql).
 */
export function stageLoadSql(constants: BatchConstants): { sql: string; params: string[] } {
  const params: string[] = [];
  const sql = STORED_EVENT_COLUMNS.map(([n]) => {
    if (n === 'context_id') return 'm.ids[s.ctx] AS context_id';
    return `${valueSql(STORED.find((c) => c.name === stagedName(n))!, constants, params)} AS ${q(n)}`;
  }).join(', ');
  return { sql, params };
}

/**
 * The batch's distinct contexts (rows passing `where`): grouped on the batch context number `ctx` (with the codes,
 * which it determines), then decoded to the stored types; `first` is the first staged row using each.
 */
export function stageContextsSql(
  where: string,
  constants: BatchConstants,
): { sql: string; params: string[] } {
  const params: string[] = [];
  const codes = CONTEXT_COLUMNS.map((c) => `s.${q(c)}`).join(', ');
  const decoded = CONTEXT_COLUMNS.map((c) => {
    const type = EVENT_COLUMNS.find(([n]) => n === c)![1].replace(' NOT NULL', '');
    return `(${stageValueSql(c, constants, params, 'k')})::${type} AS ${q(c)}`;
  });
  return {
    sql: `SELECT k.ctx, k.first, ${decoded.join(', ')}
FROM (SELECT s.ctx, ${codes}, min(s.rowid) AS first FROM ${STAGE_TABLE} s ${where} GROUP BY ALL) k, ${DICT_LIST} d`,
    params,
  };
}

/**
 * `m.ids`: the context id of each batch context number 1..count (NULL for those only held rows use), read from
 * ctx_ids. A list lookup, where joining 50k staged rows to their contexts cost ~120 ms a batch.
 */
export function contextIdsSql(count: number): string {
  return `(SELECT list(k.context_id ORDER BY g.i) AS ids FROM range(1, ${count + 1}) g(i)
    LEFT JOIN ctx_ids k ON k.ctx = g.i) m`;
}

/** The stored value of `column` decoded from a staged (or grouped, `alias`) row. */
export function stageValueSql(
  column: string,
  constants: BatchConstants,
  params: string[],
  alias = 's',
): string {
  const c = STORED.find((x) => x.name === column);
  if (!c) throw new Error(`no staged column ${column}`);
  return valueSql(c, constants, params, alias);
}

const HEX16 = /^[0-9a-f]{16}$/;
function prepare(e: UsageEvent, index: number, rates: RateCardRegistry, added: number[]): Prepared {
  const where = () =>
    `event ${index} of the batch (event_id ${JSON.stringify(e.event_id)}, source_ref ${JSON.stringify(e.source_ref)})`;
  if (typeof e.event_id !== 'string' || !HEX16.test(e.event_id)) {
    throw storeError(
      'STORE_BAD_EVENT',
      `${where()}: event_id must be 16 lowercase hex digits (ledger/event-id.ts)`,
    );
  }
  if (!Number.isSafeInteger(e.ts) || !Number.isSafeInteger(e.ingested_at)) {
    throw storeError('STORE_BAD_EVENT', `${where()}: ts and ingested_at must be integer epoch microseconds`);
  }
  for (const f of USAGE_FIELDS) {
    const v = e[f];
    if (!Number.isSafeInteger(v) || v < 0) {
      throw storeError('STORE_BAD_EVENT', `${where()}: ${f} must be a non-negative integer (got ${v})`);
    }
  }
  if (!STATUSES.includes(e.status) || !COST_SOURCES.includes(e.cost_source)) {
    throw storeError(
      'STORE_BAD_EVENT',
      `${where()}: status must be one of ${STATUSES.join(', ')} and cost_source one of ${COST_SOURCES.join(', ')}`,
    );
  }
  if (e.energy_source !== null && !ENERGY_SOURCES.includes(e.energy_source)) {
    throw storeError(
      'STORE_BAD_EVENT',
      `${where()}: energy_source must be null or one of ${ENERGY_SOURCES.join(', ')}`,
    );
  }
  const { rateId, given } = costStorage(e, rates, added);
  return {
    hi: Number.parseInt(e.event_id.slice(0, 8), 16),
    lo: Number.parseInt(e.event_id.slice(8), 16),
    rateId,
    given,
    ctx: 0,
  };
}

/**
 * Validates `events` and appends them to the staging tables. Returns the rate-card ids first used by this batch
 * (they must be written before the events) and the batch's ts range.
 */
export function fillStage(
  stage: DuckDBAppender,
  dict: DuckDBAppender,
  events: readonly UsageEvent[],
  rates: RateCardRegistry,
): { newRateIds: number[]; minTs: number; maxTs: number; constants: BatchConstants; contexts: number } {
  const newRateIds: number[] = [];
  const prepared = events.map((e, i) => prepare(e, i, rates, newRateIds));
  // Batch context numbers, from exactly the values the context columns stage (so equal numbers decode equal).
  const contextOf = new Map<string, number>();
  for (const [i, e] of events.entries()) {
    const p = prepared[i]!;
    const key = CONTEXT_STAGED.map((c) => c.get(e, p) ?? '\u0000').join('\u0001');
    let n = contextOf.get(key);
    if (n === undefined) {
      n = contextOf.size + 1;
      contextOf.set(key, n);
    }
    p.ctx = n;
  }
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    if (e.ts < minTs) minTs = e.ts;
    if (e.ts > maxTs) maxTs = e.ts;
  }
  const codes = new Map<string, number>();
  const strings: string[] = [];
  const code = (v: Value): number => {
    if (v === null || v === undefined) return 0;
    const s = typeof v === 'string' ? v : String(v);
    let c = codes.get(s);
    if (c === undefined) {
      strings.push(s);
      c = strings.length;
      codes.set(s, c);
    }
    return c;
  };
  const types = STAGE_COLUMNS.map((c) => TYPE_OF[c.kind]);
  // Per dictionary column: the one code seen so far, or -1 once two differ.
  const only = STAGE_COLUMNS.map(() => -2);
  const CHUNK = 2048;
  for (let start = 0; start < events.length; start += CHUNK) {
    const n = Math.min(CHUNK, events.length - start);
    const chunk = DuckDBDataChunk.create(types, n);
    STAGE_COLUMNS.forEach((col, ci) => {
      // Numeric vectors expose their typed array; writing it directly skips a per-value validity check (every
      // staged value is non-null by construction).
      const vector = chunk.getColumnVector(ci) as unknown as {
        items: Float64Array | Int32Array;
        flush(): void;
      };
      const items = vector.items;
      const get = col.get;
      if (col.kind === 'code') {
        let same = only[ci]!;
        for (let i = 0; i < n; i++) {
          const c = code(get(events[start + i]!, prepared[start + i]!));
          items[i] = c;
          if (same !== c) same = same === -2 ? c : -1;
        }
        only[ci] = same;
      } else if (col.kind === 'i64') {
        const big = items as unknown as BigInt64Array;
        for (let i = 0; i < n; i++) big[i] = BigInt(get(events[start + i]!, prepared[start + i]!) as number);
      } else {
        for (let i = 0; i < n; i++) {
          const v = get(events[start + i]!, prepared[start + i]!);
          items[i] = v === null || v === undefined ? Number.NaN : (v as number);
        }
      }
      vector.flush();
    });
    stage.appendDataChunk(chunk);
  }
  stage.flushSync();
  for (let start = 0; start < strings.length; start += CHUNK) {
    const n = Math.min(CHUNK, strings.length - start);
    const chunk = DuckDBDataChunk.create([INTEGER, VARCHAR], n);
    chunk.setColumnValues(
      0,
      Array.from({ length: n }, (_, i) => start + i + 1),
    );
    chunk.setColumnValues(1, strings.slice(start, start + n));
    dict.appendDataChunk(chunk);
  }
  dict.flushSync();
  const constants = new Map<string, string | null>();
  STAGE_COLUMNS.forEach((col, ci) => {
    const c = only[ci]!;
    if (col.kind === 'code' && c >= 0) constants.set(col.name, c === 0 ? null : strings[c - 1]!);
  });
  return { newRateIds, minTs, maxTs, constants, contexts: contextOf.size };
}

import { ATTRIBUTION_FIELDS, USAGE_FIELDS, type UsageEvent } from '../../ledger/event.js';
import { MONEY_MEASURES } from '../query.js';
import { CONTEXT_COLUMNS } from './contexts.js';
import { EVENT_COLUMNS, q } from './schema.js';

/**
 * The staging table's columns: only numbers, the cheapest thing to fill from JS. Every text value (and every given
 * cost, as its decimal digits, and tags, as JSON) becomes a code into a per-batch dictionary of distinct strings;
 * nullable doubles use NaN for null. `load` is the SQL turning the staged value in row `s` into the stored column
 * (`d.l` is the dictionary list).
 */
export type Kind = 'u32' | 'i32' | 'code' | 'i64' | 'f64';
export const SQL_TYPE_OF: Record<Kind, string> = {
  u32: 'UINTEGER',
  i32: 'INTEGER',
  code: 'INTEGER',
  i64: 'BIGINT',
  f64: 'DOUBLE',
};

/**
 * A batch read once: every event field as an array (batch-fields.ts), plus what encoding works out per event (its
 * id's two halves, its rate card id, and the event itself when it carries given cost parts).
 */
export interface BatchFields {
  field: FieldArrays;
  hi: Uint32Array;
  lo: Uint32Array;
  rateId: Int32Array;
  given: (UsageEvent | null)[];
}
export type FieldArrays = { readonly [K in Exclude<keyof UsageEvent, 'rates'>]: readonly UsageEvent[K][] };

type Value = number | string | bigint | null | undefined;
export interface StageColumn {
  name: string;
  kind: Kind;
  /** The column's source values, one per event of the batch. */
  values(b: BatchFields): ArrayLike<Value>;
  load: string;
  /** For dictionary codes: the stored type the decoded string is cast to. */
  castTo?: string;
  /** Never staged: its stored value does not come from the event (load names no staged column). */
  unstaged?: true;
  /**
   * For source_ref: a value of the form `PREFIX:LINE` (an import's file and line, distinct for every event) is
   * staged as the code of PREFIX and the line number in `source_ref_line`, so a batch's dictionary holds its file
   * once instead of a string per event; other values are staged whole, with line -1.
   */
  ref?: true;
}

const str = (name: keyof FieldArrays): StageColumn => ({
  name,
  kind: 'code',
  values: (b) => b.field[name] as ArrayLike<Value>,
  load: `d.l[s.${q(name)}]`,
  castTo: 'VARCHAR',
});
const decimal = (v: bigint | null | undefined) => (typeof v === 'bigint' ? v.toString() : null);
/** Pico-dollars travel as their decimal digits through the dictionary (rare: only given costs). */
const money = (name: string, values: StageColumn['values']): StageColumn => ({
  name,
  kind: 'code',
  values,
  load: `d.l[s.${q(name)}]::HUGEINT`,
  castTo: 'HUGEINT',
});
const nullableNumber = (name: keyof FieldArrays): StageColumn => ({
  name,
  kind: 'f64',
  values: (b) => b.field[name] as ArrayLike<Value>,
  load: `CASE WHEN isnan(s.${q(name)}) THEN NULL ELSE s.${q(name)} END`,
});

/** Tags as JSON text (null when empty); the importer hands many events the same tags object, stringified once. */
function tagsJson(tags: readonly UsageEvent['tags'][]): (string | null)[] {
  let last: unknown = {};
  let lastJson: string | null = null;
  return tags.map((t) => {
    if (t !== last) {
      last = t;
      lastJson = t && Object.keys(t).length > 0 ? JSON.stringify(t) : null;
    }
    return lastJson;
  });
}

export const STAGE_COLUMNS: StageColumn[] = [
  { name: 'id_hi', kind: 'u32', values: (b) => b.hi, load: '(s.id_hi::UBIGINT << 32) | s.id_lo::UBIGINT' },
  { name: 'id_lo', kind: 'u32', values: (b) => b.lo, load: '' },
  { name: 'ts', kind: 'f64', values: (b) => b.field.ts, load: 'make_timestamp(s.ts::BIGINT)' },
  {
    name: 'ingested_at',
    kind: 'f64',
    values: (b) => b.field.ingested_at,
    load: 'make_timestamp(s.ingested_at::BIGINT)',
  },
  str('source'),
  {
    ...str('source_ref'),
    ref: true,
    load: `CASE WHEN s.source_ref_line < 0 THEN d.l[s.source_ref] ELSE concat(d.l[s.source_ref], ':', s.source_ref_line) END`,
  },
  { name: 'source_ref_line', kind: 'i32', values: () => [], load: '' },
  nullableNumber('duration_ms'),
  nullableNumber('ttft_ms'),
  ...ATTRIBUTION_FIELDS.map(str),
  {
    name: 'tags',
    kind: 'code',
    values: (b) => tagsJson(b.field.tags),
    load: 'd.l[s.tags]::JSON::MAP(VARCHAR, VARCHAR)',
    castTo: 'JSON::MAP(VARCHAR, VARCHAR)',
  },
  str('provider'),
  str('model'),
  str('model_requested'),
  str('operation'),
  str('service_tier'),
  str('route_id'),
  ...USAGE_FIELDS.map(
    (f): StageColumn => ({ name: f, kind: 'i64', values: (b) => b.field[f], load: `s.${q(f)}` }),
  ),
  { name: 'rate_id', kind: 'i32', values: (b) => b.rateId, load: 'nullif(s.rate_id, 0)' },
  { name: 'ctx', kind: 'i32', values: () => [], load: '' },
  ...MONEY_MEASURES.map((m) => money(`given_${m}`, (b) => b.given.map((g) => decimal(g?.[m])))),
  str('cost_source'),
  str('price_version'),
  money('provider_cost_usd', (b) => b.field.provider_cost_usd.map(decimal)),
  { name: 'billed_cost_usd', kind: 'i32', values: () => [], load: 'NULL::HUGEINT', unstaged: true },
  { name: 'billed_unpriced', kind: 'i32', values: () => [], load: 'NULL::BOOLEAN', unstaged: true },
  nullableNumber('energy_j'),
  str('energy_source'),
  str('status'),
  str('error_type'),
];

/** The columns a batch stages: all but those constant over it (bound once instead), in STAGE_COLUMNS order. */
export function stagedColumns(constants: ReadonlyMap<string, unknown>): StageColumn[] {
  return STAGE_COLUMNS.filter((c) => !c.unstaged && !constants.has(c.name));
}

/**
 * The staged columns standing for stored event columns (event_id is id_hi with id_lo, source_ref is itself with
 * source_ref_line; ctx is the batch's).
 */
export const STORED = STAGE_COLUMNS.filter(
  (c) => c.name !== 'id_lo' && c.name !== 'ctx' && c.name !== 'source_ref_line',
);
export const CONTEXT_STAGED = CONTEXT_COLUMNS.map((n) => STAGE_COLUMNS.find((c) => c.name === n)!);
if (
  STORED.map((c) => (c.name === 'id_hi' ? 'event_id' : c.name)).join() !==
  EVENT_COLUMNS.map(([n]) => n).join()
) {
  throw new Error('stage-columns.ts columns are out of step with schema.ts EVENT_COLUMNS');
}

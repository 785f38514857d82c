import {
  COST_FIELDS,
  EVENT_FIELDS,
  type RateCard,
  USAGE_FIELDS,
  type UsageEvent,
} from '../../ledger/event.js';

/**
 * Priced events as columns, for posting from the worker. Structured clone of 20k event objects cost ~4 µs an
 * event to receive, and the objects it rebuilt were slow to read (the store's staging of a cloned batch took 40%
 * longer than of the same events built in-thread: 200k events, 3.5 s against 2.5 s). Arrays of primitives clone
 * cheaply, and `fromColumns` rebuilds each event from one literal, so all share one shape.
 */
/** Every field of the event but `rates`, in the ledger's canonical order. */
export const COLUMN_KEYS = EVENT_FIELDS;

type ColumnKey = (typeof COLUMN_KEYS)[number];
// Every field but `rates` is a column: adding a field to UsageEvent without a column here fails to compile.
const _complete: Record<Exclude<keyof UsageEvent, 'rates'>, true> = Object.fromEntries(
  COLUMN_KEYS.map((k) => [k, true]),
) as Record<ColumnKey, true>;
void _complete;

const NUM = new Set<ColumnKey>(['ingested_at', 'ts', 'duration_ms', 'ttft_ms', ...USAGE_FIELDS, 'energy_j']);
const BIG = new Set<ColumnKey>([...COST_FIELDS, 'provider_cost_usd']);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * One column on the wire. Numbers (NaN for null: validated fields are never NaN) and bigints go as typed arrays,
 * which clone as one copy; strings and objects as an index into the distinct values of the batch (-1 for null) —
 * most columns (model, team, price_version …) hold a few values, and even a unique one clones faster as an array.
 * A bigint column with a value outside int64 goes as a plain array.
 */
type Column =
  | { k: 'num'; v: Float64Array }
  | { k: 'big'; v: BigInt64Array; isNull: Uint8Array }
  | { k: 'raw'; v: unknown[] }
  | { k: 'dict'; idx: Int32Array; values: unknown[] };

export interface EventColumns {
  n: number;
  cols: Column[];
  rates: Column;
}

/** Most events have no tags: their fresh `{}` each would otherwise be stringified. */
function tagsKey(tags: Record<string, string>): string {
  for (const _ in tags) return JSON.stringify(tags);
  return '{}';
}

function encode(key: ColumnKey | 'rates', values: unknown[]): Column {
  const n = values.length;
  if (key !== 'rates' && NUM.has(key)) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = values[i] === null ? Number.NaN : (values[i] as number);
    return { k: 'num', v };
  }
  if (key !== 'rates' && BIG.has(key)) {
    const v = new BigInt64Array(n);
    const isNull = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = values[i] as bigint | null;
      if (x === null) isNull[i] = 1;
      else if (x < INT64_MIN || x > INT64_MAX) return { k: 'raw', v: values };
      else v[i] = x;
    }
    return { k: 'big', v, isNull };
  }
  // One value per event: a dictionary only adds a map entry each; the array clones as cheaply.
  if (key === 'event_id') return { k: 'raw', v: values };
  // Tags are keyed by their JSON (equal content, one copy); strings and rate cards by identity.
  const byJson = key === 'tags';
  const idx = new Int32Array(n);
  const distinct: unknown[] = [];
  const seen = new Map<unknown, number>();
  // Most columns repeat the previous event's value (a session's calls are adjacent): no map lookup then.
  let last: unknown = null;
  let lastAt = -1;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x === null) {
      idx[i] = -1;
      continue;
    }
    if (x === last) {
      idx[i] = lastAt;
      continue;
    }
    const id = byJson ? tagsKey(x as Record<string, string>) : x;
    let at = seen.get(id);
    if (at === undefined) {
      at = distinct.push(x) - 1;
      seen.set(id, at);
    }
    idx[i] = at;
    last = x;
    lastAt = at;
  }
  return { k: 'dict', idx, values: distinct };
}

function decode(c: Column, n: number): unknown[] {
  const out = new Array<unknown>(n);
  switch (c.k) {
    case 'raw':
      return c.v;
    case 'num':
      for (let i = 0; i < n; i++) out[i] = Number.isNaN(c.v[i]!) ? null : c.v[i];
      return out;
    case 'big':
      for (let i = 0; i < n; i++) out[i] = c.isNull[i] ? null : c.v[i];
      return out;
    case 'dict':
      for (let i = 0; i < n; i++) out[i] = c.idx[i]! < 0 ? null : c.values[c.idx[i]!];
      return out;
  }
}

/**
 * Each field read by name in one pass: reading `events[i][key]` for each of the 42 keys in turn was a megamorphic
 * keyed load, ~100 ns apiece (the worker spent a fifth of its time there).
 */
export function toColumns(events: readonly UsageEvent[]): EventColumns {
  const n = events.length;
  const v = COLUMN_KEYS.map(() => new Array<unknown>(n));
  const rates = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    v[0]![i] = e.event_id;
    v[1]![i] = e.source;
    v[2]![i] = e.source_ref;
    v[3]![i] = e.ingested_at;
    v[4]![i] = e.ts;
    v[5]![i] = e.duration_ms;
    v[6]![i] = e.ttft_ms;
    v[7]![i] = e.org;
    v[8]![i] = e.team;
    v[9]![i] = e.user;
    v[10]![i] = e.project;
    v[11]![i] = e.agent;
    v[12]![i] = e.session_id;
    v[13]![i] = e.task_id;
    v[14]![i] = e.environment;
    v[15]![i] = e.api_key_id;
    v[16]![i] = e.tags;
    v[17]![i] = e.provider;
    v[18]![i] = e.model;
    v[19]![i] = e.model_requested;
    v[20]![i] = e.operation;
    v[21]![i] = e.service_tier;
    v[22]![i] = e.route_id;
    v[23]![i] = e.requests;
    v[24]![i] = e.input_tokens;
    v[25]![i] = e.cache_read_tokens;
    v[26]![i] = e.cache_write_5m_tokens;
    v[27]![i] = e.cache_write_1h_tokens;
    v[28]![i] = e.output_tokens;
    v[29]![i] = e.reasoning_tokens;
    v[30]![i] = e.cost_usd;
    v[31]![i] = e.cost_input;
    v[32]![i] = e.cost_cache_read;
    v[33]![i] = e.cost_cache_write;
    v[34]![i] = e.cost_output;
    v[35]![i] = e.cost_source;
    v[36]![i] = e.price_version;
    v[37]![i] = e.provider_cost_usd;
    v[38]![i] = e.energy_j;
    v[39]![i] = e.energy_source;
    v[40]![i] = e.status;
    v[41]![i] = e.error_type;
    rates[i] = e.rates;
  }
  return { n, cols: COLUMN_KEYS.map((k, j) => encode(k, v[j]!)), rates: encode('rates', rates) };
}

/** The typed arrays of a batch, to transfer rather than copy. */
export function transferList(c: EventColumns): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const col of [...c.cols, c.rates]) {
    if (col.k === 'num') out.push(col.v.buffer as ArrayBuffer);
    else if (col.k === 'big') out.push(col.v.buffer as ArrayBuffer, col.isNull.buffer as ArrayBuffer);
    else if (col.k === 'dict') out.push(col.idx.buffer as ArrayBuffer);
  }
  return out;
}

export function fromColumns({ n, cols, rates }: EventColumns): UsageEvent[] {
  const c = Object.fromEntries(COLUMN_KEYS.map((k, i) => [k, decode(cols[i]!, n)])) as {
    [K in ColumnKey]: UsageEvent[K][];
  };
  const rate = decode(rates, n) as (RateCard | null)[];
  const out = new Array<UsageEvent>(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      event_id: c.event_id[i]!,
      source: c.source[i]!,
      source_ref: c.source_ref[i]!,
      ingested_at: c.ingested_at[i]!,
      ts: c.ts[i]!,
      duration_ms: c.duration_ms[i]!,
      ttft_ms: c.ttft_ms[i]!,
      org: c.org[i]!,
      team: c.team[i]!,
      user: c.user[i]!,
      project: c.project[i]!,
      agent: c.agent[i]!,
      session_id: c.session_id[i]!,
      task_id: c.task_id[i]!,
      environment: c.environment[i]!,
      api_key_id: c.api_key_id[i]!,
      tags: c.tags[i]!,
      provider: c.provider[i]!,
      model: c.model[i]!,
      model_requested: c.model_requested[i]!,
      operation: c.operation[i]!,
      service_tier: c.service_tier[i]!,
      route_id: c.route_id[i]!,
      requests: c.requests[i]!,
      input_tokens: c.input_tokens[i]!,
      cache_read_tokens: c.cache_read_tokens[i]!,
      cache_write_5m_tokens: c.cache_write_5m_tokens[i]!,
      cache_write_1h_tokens: c.cache_write_1h_tokens[i]!,
      output_tokens: c.output_tokens[i]!,
      reasoning_tokens: c.reasoning_tokens[i]!,
      cost_usd: c.cost_usd[i]!,
      cost_input: c.cost_input[i]!,
      cost_cache_read: c.cost_cache_read[i]!,
      cost_cache_write: c.cost_cache_write[i]!,
      cost_output: c.cost_output[i]!,
      cost_source: c.cost_source[i]!,
      price_version: c.price_version[i]!,
      rates: rate[i]!,
      provider_cost_usd: c.provider_cost_usd[i]!,
      energy_j: c.energy_j[i]!,
      energy_source: c.energy_source[i]!,
      status: c.status[i]!,
      error_type: c.error_type[i]!,
    };
  }
  return out;
}

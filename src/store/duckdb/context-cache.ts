import { CONTEXT_COLUMNS, CONTEXT_REUSE_WINDOW } from './contexts.js';
import { duckdb } from './duckdb-api.js';
import { q } from './schema.js';
import type { DuckDbSession } from './session.js';
import type { EncodedBatch } from './stage-encode.js';

/**
 * How many contexts the cache holds, least recently used out first: as many as SQL matching looked back over
 * (CONTEXT_REUSE_WINDOW). At 25k the demo fill wrote enough contexts again to take it from 31.67 to 31.93 B/event.
 * 100k flat keys are ~25 MB of heap (built as ropes they were ~150 MB: peak RSS 1004 MB at 10M events).
 */
const CACHED = CONTEXT_REUSE_WINDOW;

/**
 * The context ids of the contexts a store has written or found, by a key of their values, so that a batch finds its
 * contexts in JS instead of joining its distinct contexts to the table's last 100k rows on all 27 columns: with the
 * statements around it, that was ~4 s of a 1M-event import's ~13 s in DuckDB, on the import's critical path.
 *
 * Sound because `contexts` rows are never changed or deleted once written (a reprice moves events to other rows),
 * and a key is only ever taken in after the transaction that wrote or found it committed: a cached id always names a
 * row with exactly these values. Equal keys mean equal values (each value is written with its length, null apart).
 * A context the cache does not know is written again under a new id, like one outside the reuse window: a few extra
 * rows, never a wrong event. The last contexts written are read once, at the store's first append, so a new process
 * reuses what the last one wrote.
 */
export class ContextCache {
  private readonly ids = new Map<string, number>();
  /** Sources whose recent contexts are loaded: a context's source is part of it, so no other source's can match. */
  private readonly sources = new Set<string>();

  /**
   * Reads the last CACHED contexts written of each of `sources` not read yet. By source: a small import into a large
   * ledger of other sources (a day of Claude Code logs into a demo organisation of 950k events) read all 100k
   * recent contexts, 2.7M strings, before its first append (~2 s), and needs none of them.
   */
  async load(s: DuckDbSession, sources: readonly string[]): Promise<void> {
    const fresh = sources.filter((x) => !this.sources.has(x));
    if (fresh.length === 0) return;
    const text = CONTEXT_COLUMNS.map((c) =>
      c === 'rate_id' ? 'rate_id' : c === 'tags' ? 'tags::JSON::VARCHAR' : `${q(c)}::VARCHAR`,
    );
    const rows = await s.rows(
      'reading recent contexts',
      `SELECT context_id, ${text.join(', ')} FROM contexts
       WHERE context_id > (SELECT coalesce(max(context_id), 0) FROM contexts) - ?::INTEGER
         AND source IN (SELECT unnest(?::VARCHAR[]))
       ORDER BY context_id`,
      [CACHED, duckdb.listValue(fresh)],
    );
    for (const r of rows)
      this.ids.set(
        contextKey((i) => r[i + 1] as string | number | null),
        Number(r[0]),
      );
    for (const x of fresh) this.sources.add(x);
  }

  get(key: string): number | undefined {
    return this.ids.get(key);
  }

  /** Takes in contexts a committed transaction wrote or found; the least recently used go beyond CACHED. */
  remember(entries: Iterable<readonly [string, number]>): void {
    for (const [key, id] of entries) {
      this.ids.delete(key);
      this.ids.set(key, id);
    }
    const over = this.ids.size - CACHED;
    if (over <= 0) return;
    let n = 0;
    for (const key of this.ids.keys()) {
      if (n++ >= over) break;
      this.ids.delete(key);
    }
  }
}

/**
 * The key of a context from its values in CONTEXT_COLUMNS order (`value(i)`): strings as they are stored, as text
 * (tags as their JSON), rate_id as its number, null (or rate id 0, stored as null) apart from every value.
 */
function contextKey(value: (i: number) => string | number | null): string {
  // Joined, not `+=`: a key built by concatenation stays a rope of ~50 nodes in V8 (a Map hashes it without
  // flattening it), ~1.5 KB a key instead of ~250 bytes.
  const parts: string[] = [];
  for (let i = 0; i < CONTEXT_COLUMNS.length; i++) {
    const v = value(i);
    if (v === null || v === 0) parts.push('-');
    else {
      const t = String(v);
      parts.push(`${t.length}:${t}`);
    }
  }
  return parts.join('');
}

/** The sources of a batch's rows. */
export function batchSources(b: EncodedBatch): string[] {
  const constant = b.constants.get('source');
  if (constant !== undefined) return constant === null ? [] : [String(constant)];
  const codes = b.arrays.get('source') as Int32Array;
  const seen = new Set<number>();
  for (let r = 0; r < b.rows; r++) seen.add(codes[r]!);
  return [...seen].filter((c) => c !== 0).map((c) => b.strings[c - 1]!);
}

/** Each batch context's key (index = batch context number, 1..contexts) and its first staged row. */
export function batchContexts(b: EncodedBatch): { keys: string[]; first: Int32Array } {
  const ctx = b.arrays.get('ctx') as Int32Array;
  const first = new Int32Array(b.contexts + 1).fill(-1);
  for (let r = 0; r < b.rows; r++) if (first[ctx[r]!] === -1) first[ctx[r]!] = r;
  const columns = CONTEXT_COLUMNS.map((c) => ({
    constant: b.constants.has(c),
    value: b.constants.get(c) ?? null,
    codes: b.arrays.get(c) as Int32Array | undefined,
    rate: c === 'rate_id',
  }));
  const keys: string[] = [''];
  for (let k = 1; k <= b.contexts; k++) {
    const r = first[k]!;
    keys.push(
      contextKey((i) => {
        const c = columns[i]!;
        if (c.constant) return c.value;
        const code = c.codes![r]!;
        if (c.rate) return code;
        return code === 0 ? null : b.strings[code - 1]!;
      }),
    );
  }
  return { keys, first };
}

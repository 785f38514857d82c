import {
  bucketZone,
  COUNT_MEASURES,
  type Dimension,
  type Filter,
  MONEY_MEASURES,
  type Query,
} from '../query.js';
import type { SqlDialect } from './dialect.js';
import type { Range, ReadPlan } from './plan.js';
import type { RollupName } from './rollup-dims.js';

export type Param = string | number | bigint;

/**
 * Where the compiled query reads: a priced raw-events relation (one row per event) and the daily rollups, by name
 * (a single relation stands for whichever rollup the plan picked).
 */
export interface Sources {
  raw: string;
  rollup: string | Readonly<Record<RollupName, string>>;
  /** The session rollup's rows with ids, for ranking sessions without grouping them (wholeSessions). */
  sessions?: SessionRows;
}

/**
 * The session rollup as rows with ids. One row per session is the rule (most sessions run on one day, by one
 * person and agent): `split` lists the session ids for which it is not (a column `session_id`; it may list more,
 * never fewer), and any other id's one row is its session.
 */
export interface SessionRows {
  split: string;
  /** The session rollup source (as in Sources.rollup) with a column `_rid`: a row id, or NULL for a row not stored. */
  withIds: string;
  /** The same holding only the stored rows whose id is in relation `ids` (column `rid`), and every unstored one. */
  byIds: (ids: string) => string;
}

export interface CompiledQuery {
  sql: string;
  params: Param[];
  /** Result column alias of each dimension, in query order. */
  dimAliases: string[];
  /**
   * With buckets in a zone other than UTC: the events summed by quarter hour (and dimensions), to be stored first in
   * temp table SLOTS_TABLE, which `sql` reads, in the same snapshot. Run within `sql`, this sum's hash table shared the
   * memory limit with the later aggregations' (each reserves memory from the start, by its width) and sent the hash
   * join of every event to its context out of core: at 10M demo events under the store's 256MB, ~1 GB of temp files
   * and 4.6–7.8 s for a month of local days by model.
   */
  slots?: { sql: string; params: Param[] };
}

/** The temp table holding CompiledQuery.slots. */
export const SLOTS_TABLE = 'zone_slots';

/** Columns every branch yields, summed by the outer query. `unpriced_*` feed QueryResult.unpriced. */
const OUT_MEASURES = [
  ...MONEY_MEASURES,
  ...COUNT_MEASURES,
  'billed_cost_usd',
  'billed_unpriced_events',
  'unpriced_events',
  'unpriced_tokens',
] as const;

/**
 * What an event was billed, over a priced events relation: its cost before its first reprice, else its cost; NULL
 * (unknown, as an unpriced cost is) when it had no price then, whether never repriced or repriced since.
 */
export function billedCostSql(): string {
  return 'CASE WHEN billed_unpriced THEN NULL ELSE coalesce(billed_cost_usd, cost_usd) END';
}

const TOKENS = [
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
];

/**
 * Compiles the typed query model to one parameterised statement. User text (filter values, tag keys) only ever
 * becomes a `?`; identifiers come from the closed lists in query.ts (validated by plan.validateQuery first).
 */
export function compileQuery(q: Query, d: SqlDialect, plan: ReadPlan, src: Sources): CompiledQuery {
  const dims = q.dimensions;
  const dimAliases = dims.map((_, i) => `d${i}`);
  // Each branch with its own parameters: a ranking may place them apart (wholeSessions).
  const raws: Branch[] = [];
  let rolled: Branch | undefined;

  const rawBranch = (ranges: readonly Range[], sign: '' | '-') => {
    const params: Param[] = [];
    const select = [
      `ts AS t`,
      ...dims.map((dim, i) => `${dimensionSql(dim, d, params)} AS ${dimAliases[i]}`),
      ...MONEY_MEASURES.map((m) => `${sign}${m} AS ${m}`),
      ...COUNT_MEASURES.filter((m) => m !== 'events').map((m) => `${sign}${d.ident(m)} AS ${d.ident(m)}`),
      `${sign}1 AS events`,
      `${sign}${billedCostSql()} AS billed_cost_usd`,
      `CASE WHEN ${billedCostSql()} IS NULL THEN ${sign}1 ELSE 0 END AS billed_unpriced_events`,
      `CASE WHEN cost_usd IS NULL THEN ${sign}1 ELSE 0 END AS unpriced_events`,
      `CASE WHEN cost_usd IS NULL THEN ${sign}(${TOKENS.map(d.ident).join(' + ')}) ELSE 0 END AS unpriced_tokens`,
    ];
    const where = [
      `(${ranges.map((r) => rangeSql('ts', r, d, params)).join(' OR ')})`,
      ...filtersSql(q.filters, d, params),
    ];
    raws.push({ sql: `SELECT ${select.join(', ')} FROM ${src.raw} WHERE ${where.join(' AND ')}`, params });
  };
  if (plan.raw.length > 0) rawBranch(plan.raw, '');
  // Events of rollup days outside the range, subtracted (plan.ts): sums are additive, so the totals are exact.
  const minus = plan.minus ?? [];
  if (minus.length > 0) rawBranch(minus, '-');
  // The rollup branch, over `from` (the plan's rollup, or the session rows with ids), with `extra` columns.
  const rollupBranch = (from: string, extra: readonly string[] = []): Branch => {
    const params: Param[] = [];
    const select = [
      `day AS t`,
      ...dims.map((dim, i) => `${dimensionSql(dim, d, params)} AS ${dimAliases[i]}`),
      ...OUT_MEASURES.map((m) =>
        m === 'billed_cost_usd'
          ? `coalesce(cost_usd, 0) + billed_delta_usd AS billed_cost_usd`
          : m === 'billed_unpriced_events'
            ? 'unpriced_events + billed_unpriced_delta AS billed_unpriced_events'
            : d.ident(m),
      ),
      ...extra,
    ];
    const where = [rangeSql('day', plan.rollup!, d, params), ...filtersSql(q.filters, d, params)];
    return { sql: `SELECT ${select.join(', ')} FROM ${from} WHERE ${where.join(' AND ')}`, params };
  };
  if (plan.rollup)
    rolled = rollupBranch(typeof src.rollup === 'string' ? src.rollup : src.rollup[plan.via ?? 'day']);
  const branches = [...raws, ...(rolled ? [rolled] : [])];
  const zone = bucketZone(q);
  // A zone's buckets: the events summed by zone slot first, and each slot, not each event, put in its local bucket
  // (converting a time to a zone's clock and back is the costly part; a month of events has ~3,000 slots). That first
  // sum is a statement of its own (CompiledQuery.slots), whose parameters are the branches'; the zone's are this one's.
  const local = q.bucket !== undefined && zone !== undefined;
  const params: Param[] = local ? [] : branches.flatMap((b) => b.params);
  if (local) params.push(zone, zone);
  const slots = local
    ? {
        sql: `WITH src AS (${unionAll(branches)})\nSELECT ${[
          `${d.zoneSlot('t')} AS slot`,
          ...dimAliases,
          ...slotSums(q, raws.length === branches.length && minus.length === 0, d),
        ].join(', ')} FROM src GROUP BY ${['slot', ...dimAliases].join(', ')}`,
        params: branches.flatMap((b) => b.params),
      }
    : undefined;
  const bucket = q.bucket
    ? [`${d.bucketStart(q.bucket, local ? 'slot' : 't', local ? '?' : undefined)} AS bucket`]
    : [];
  const sums = OUT_MEASURES.map((m) => `${d.sum(d.ident(m))} AS ${d.ident(m)}`);
  const keys = [...(q.bucket ? ['bucket'] : []), ...dimAliases];
  const agg = `SELECT ${[...bucket, ...dimAliases, ...sums].join(', ')} FROM ${local ? SLOTS_TABLE : 'src'}${
    keys.length > 0 ? ` GROUP BY ${keys.map((_, i) => i + 1).join(', ')}` : ''
  }${minus.length > 0 && keys.length > 0 ? ` HAVING ${d.sum('events')} <> 0` : ''}`;
  const head = local ? `WITH agg AS (${agg})` : `WITH src AS (${unionAll(branches)}),\nagg AS (${agg})`;
  const first = slots ? { slots } : {};

  if (q.top === undefined || dims.length === 0) {
    const order = [
      ...(q.bucket ? ['bucket'] : []),
      'cost_usd DESC',
      ...dimAliases.map((a) => `${a} ASC NULLS FIRST`),
    ];
    return { sql: `${head}\nSELECT * FROM agg ORDER BY ${order.join(', ')}`, params, dimAliases, ...first };
  }

  if (!q.bucket) {
    const rows = src.sessions;
    const subtracts = minus.length > 0;
    const ranking: Ranking =
      q.rankByFirst && dims[0] === 'session_id' && plan.via === 'session' && rows !== undefined
        ? wholeSessions({
            raws,
            ranked: rollupBranch(rows.withIds, ['_rid AS rid']),
            kept: rollupBranch(rows.byIds('kept_ids')),
            all: rollupBranch(rows.withIds),
            split: rows.split,
            nonZero: subtracts ? ` HAVING ${d.sum('events')} <> 0` : '',
            other: q.other !== false,
          })
        : { ctes: [`src AS MATERIALIZED (${unionAll(branches)})`], all: 'src', kept: 'src', params };
    return { sql: topOfRange(q, dimAliases, ranking, subtracts, d), params: ranking.params, dimAliases };
  }

  // Per bucket: the N costliest groups over the range (a top-N, not a rank of every group) and every agg row joined
  // to its group's rank, the rest folded per bucket.
  const cols = dimAliases.join(', ');
  const byCost = ['c DESC', ...dimAliases.map((a) => `${a} ASC NULLS FIRST`)].join(', ');
  const ranked = `ranked AS (SELECT ${cols}, ${d.rankByCost('c', dimAliases)} AS rn FROM (
    SELECT ${cols}, sum(cost_usd) AS c FROM agg GROUP BY ${cols} ORDER BY ${byCost} LIMIT ${topLimit(q.top)}))`;
  const folded = dimAliases.map((a) => `CASE WHEN r.rn IS NOT NULL THEN a.${a} ELSE 'other' END AS ${a}`);
  const outer = [
    ...(q.bucket ? ['a.bucket AS bucket'] : []),
    ...folded,
    '(r.rn IS NULL) AS folded',
    ...OUT_MEASURES.map((m) => `sum(a.${d.ident(m)}) AS ${d.ident(m)}`),
  ];
  const on = dimAliases.map((a) => d.nullSafeEquals(`a.${a}`, `r.${a}`)).join(' AND ');
  const groupBy = outer.slice(0, (q.bucket ? 1 : 0) + dimAliases.length + 1).map((_, i) => i + 1);
  const order = [...(q.bucket ? ['bucket'] : []), 'folded', 'min(r.rn)'];
  return {
    sql: `${head},\n${ranked}\nSELECT ${outer.join(', ')} FROM agg a LEFT JOIN ranked r ON ${on} GROUP BY ${groupBy.join(
      ', ',
    )} ORDER BY ${order.join(', ')}`,
    params,
    dimAliases,
    ...first,
  };
}

/**
 * The measures of a zone's first sum (CompiledQuery.slots), as narrow as they can be: it runs beside the hash join
 * of every event in the range to its context, and each of its columns widens the rows its hash table reserves memory
 * for. At 10M demo events under the 256MB limit, its 20 sums sent that join out of core even as a statement of its
 * own; 18 did not, nor 16 with two counts.
 * - With `oneEach` (every src row one event, none subtracted: only raw events are read), events are counted, not
 *   summed (a count's state is 8 bytes, a sum's 16 or more).
 * - The billed measures are 0 unless the query asks for them (Query.billed): nothing reads them otherwise.
 */
function slotSums(q: Query, oneEach: boolean, d: SqlDialect): string[] {
  return OUT_MEASURES.map((m) => {
    const col = d.ident(m);
    if ((m === 'billed_cost_usd' || m === 'billed_unpriced_events') && q.billed !== true)
      return `0 AS ${col}`;
    if (!oneEach || !m.endsWith('events')) return `${d.sum(col)} AS ${col}`;
    // These are 1 for the events they count, else 0.
    return `count(*)${m === 'events' ? '' : ` FILTER (WHERE ${col} <> 0)`} AS ${col}`;
  });
}

/** `top` as a number written into the SQL (LIMIT takes no parameter everywhere): validated first. */
function topLimit(top: number): number {
  if (!Number.isSafeInteger(top) || top < 1) throw new Error(`bad top ${top}`);
  return top;
}

/** One SELECT of a compiled query and the parameters its `?`s take, in order. */
interface Branch {
  sql: string;
  params: Param[];
}

const unionAll = (branches: readonly Branch[]) => branches.map((b) => b.sql).join('\nUNION ALL\n');

/**
 * Where topOfRange ranks from: CTEs defining the relations, the ranking (`costs`: one row per ranked group with its
 * cost c and calls r; by default grouped from `all`), every row of the range (`all`) and a relation holding at least
 * the rows of the groups picked (`kept`, which may read the CTEs of `afterTop`, themselves reading the `top` CTE);
 * `params` for the SQL in the order topOfRange writes it.
 */
interface Ranking {
  ctes: string[];
  costs?: string;
  afterTop?: string[];
  all: string;
  kept: string;
  params: Param[];
}

/**
 * Ranking sessions on the session rollup without grouping its rows: a session with one row there, none pending and no
 * raw events in the range, is that row. Only the sessions listed in `split`, or also read from raw events, are
 * summed — at 10M demo events ~6k of the ~385k sessions of 30 days, where grouping them all was the costliest step of
 * the sessions page. Every session still ranks on its exact sum. The ranking reads the rollup's ranking columns and
 * row ids only; the kept sessions' rows are then fetched by id (a scan filtered on the session ids read every row's
 * id and cost as much as the ranking).
 */
function wholeSessions(o: {
  raws: readonly Branch[];
  ranked: Branch;
  kept: Branch;
  all: Branch;
  split: string;
  nonZero: string;
  other: boolean;
}): Ranking {
  const narrow = 'd0, cost_usd, requests, events';
  const hasRaw = o.raws.length > 0;
  const ctes = hasRaw ? [`raw AS MATERIALIZED (${unionAll(o.raws)})`] : [];
  ctes.push(
    `split AS (SELECT session_id AS d0 FROM ${o.split} WHERE session_id IS NOT NULL${
      hasRaw ? ' UNION ALL SELECT d0 FROM raw WHERE d0 IS NOT NULL' : ''
    })`,
    `ranked AS MATERIALIZED (SELECT ${narrow}, rid, (d0 IS NULL OR d0 IN (SELECT d0 FROM split)) AS grouped
  FROM (${o.ranked.sql}))`,
  );
  const grouped = [
    ...(hasRaw ? [`SELECT ${narrow} FROM raw`] : []),
    `SELECT ${narrow} FROM ranked WHERE grouped`,
  ];
  const raw = hasRaw ? 'SELECT * FROM raw UNION ALL ' : '';
  return {
    ctes,
    costs: `SELECT d0, coalesce(sum(cost_usd), 0) AS c, coalesce(sum(requests), 0) AS r
  FROM (${grouped.join(' UNION ALL ')}) GROUP BY d0${o.nonZero}
  UNION ALL SELECT d0, cost_usd AS c, requests AS r FROM ranked WHERE NOT grouped`,
    afterTop: [
      `kept_ids AS (SELECT k.rid FROM ranked k JOIN top t ON k.d0 IS NOT DISTINCT FROM t.d0 WHERE k.rid IS NOT NULL)`,
    ],
    kept: `(${raw}${o.kept.sql})`,
    all: `(${raw}${o.all.sql})`,
    params: [
      ...o.raws.flatMap((b) => b.params),
      ...o.ranked.params,
      ...o.kept.params,
      ...(o.other ? o.all.params : []),
    ],
  };
}

/**
 * Top-N groups of a whole range, the rest folded into one "other" row. The groups are ranked on their cost alone
 * (a hash table of one sum; the sessions page ranks ~400k sessions, where grouping every measure and sorting them
 * all by window cost ~2 s); only the N kept are summed in full, and "other" is the range's totals minus theirs.
 * `rankByFirst` ranks on the first dimension alone and keeps every group of the values it picks; `topRequests`
 * adds the groups with the most calls from the same ranking table; `other: false` skips the rest's sums.
 */
function topOfRange(
  q: Query,
  dims: readonly string[],
  ranking: Ranking,
  subtracts: boolean,
  d: SqlDialect,
): string {
  const top = topLimit(q.top!);
  const cols = dims.join(', ');
  const ranked = q.rankByFirst ? dims.slice(0, 1) : dims;
  const rankCols = ranked.join(', ');
  const orderBy = (m: string) => [`${m} DESC`, ...ranked.map((a) => `${a} ASC NULLS FIRST`)].join(', ');
  const nonZero = (col: string) => (subtracts ? ` HAVING ${d.sum(col)} <> 0` : '');
  const sumsOf = (prefix: string) =>
    OUT_MEASURES.map((m) => `${d.sum(`${prefix}${d.ident(m)}`)} AS ${d.ident(m)}`);
  const calls = q.topRequests === undefined ? '' : `, ${d.sum('requests')} AS r`;
  // top and topRequests are validated (safe positive integers): written as numbers so LIMIT can use them.
  const picked = [`SELECT ${rankCols}, c FROM (SELECT * FROM costs ORDER BY ${orderBy('c')} LIMIT ${top})`];
  if (q.topRequests !== undefined)
    picked.push(
      `SELECT ${rankCols}, c FROM (SELECT * FROM costs ORDER BY ${orderBy('r')} LIMIT ${topLimit(q.topRequests)})`,
    );
  const keptOrder = [
    'min(t.rn)',
    `${d.sum('s.cost_usd')} DESC`,
    ...dims.map((a) => `s.${a} ASC NULLS FIRST`),
  ];
  const ctes = [
    ...ranking.ctes,
    `costs AS (${ranking.costs ?? `SELECT ${rankCols}, ${d.sum('cost_usd')} AS c${calls} FROM ${ranking.all} GROUP BY ${rankCols}${nonZero('events')}`})`,
    `top AS (SELECT ${rankCols}, row_number() OVER (ORDER BY ${orderBy('c')}) AS rn FROM (${picked.join(' UNION ')}))`,
    ...(ranking.afterTop ?? []),
    `kept AS (SELECT ${dims.map((a) => `s.${a}`).join(', ')}, row_number() OVER (ORDER BY ${keptOrder.join(', ')}) AS rn,
  ${sumsOf('s.').join(', ')}
  FROM ${ranking.kept} s JOIN top t ON ${ranked.map((a) => d.nullSafeEquals(`s.${a}`, `t.${a}`)).join(' AND ')}
  GROUP BY ${dims.map((a) => `s.${a}`).join(', ')}${nonZero('s.events')})`,
  ];
  const listed = [`SELECT ${cols}, false AS folded, rn, ${OUT_MEASURES.map(d.ident).join(', ')} FROM kept`];
  if (q.other !== false) {
    ctes.push(
      `allsum AS (SELECT ${sumsOf('s.').join(', ')} FROM ${ranking.all} s)`,
      `keptsum AS (SELECT ${sumsOf('').join(', ')} FROM kept)`,
    );
    const rest = OUT_MEASURES.map((m) => `a.${d.ident(m)} - k.${d.ident(m)} AS ${d.ident(m)}`);
    listed.push(`SELECT ${dims.map((a) => `'other' AS ${a}`).join(', ')}, true AS folded, NULL AS rn, ${rest.join(', ')}
  FROM allsum a, keptsum k WHERE (SELECT count(*) FROM costs) > (SELECT count(*) FROM top)`);
  }
  return `WITH ${ctes.join(',\n')}\nSELECT ${d.allBut('rn')} FROM (${listed.join('\nUNION ALL\n')}) ORDER BY folded, rn`;
}

export function dimensionSql(dim: Dimension, d: SqlDialect, params: Param[]): string {
  if (dim.startsWith('tag.')) {
    params.push(dim.slice(4));
    return d.tagValue('tags', '?');
  }
  return d.ident(dim);
}

export function filtersSql(filters: readonly Filter[] | undefined, d: SqlDialect, params: Param[]): string[] {
  return (filters ?? []).map((f) => {
    const values = f.values.filter((v): v is string => v !== null);
    const parts: string[] = [];
    // Each use of the column expression binds its own parameters (a tag key), so it is made where it is used.
    if (values.length > 0) {
      const col = dimensionSql(f.dimension, d, params);
      params.push(...values);
      parts.push(`${col} IN (${values.map(() => '?').join(', ')})`);
    }
    if (f.values.includes(null)) parts.push(`${dimensionSql(f.dimension, d, params)} IS NULL`);
    const matches = parts.length > 0 ? `(${parts.join(' OR ')})` : 'FALSE';
    // `col IN (…)` is NULL on a NULL value: an exclusion keeps that row unless null is one of the values.
    return f.exclude ? `(NOT coalesce(${matches}, FALSE))` : matches;
  });
}

export function rangeSql(col: string, r: Range, d: SqlDialect, params: Param[]): string {
  const parts: string[] = [];
  if (r.from !== undefined) {
    params.push(BigInt(r.from));
    parts.push(`${col} >= ${d.timestampParam()}`);
  }
  if (r.to !== undefined) {
    params.push(BigInt(r.to));
    parts.push(`${col} < ${d.timestampParam()}`);
  }
  return parts.length > 0 ? `(${parts.join(' AND ')})` : 'TRUE';
}

import { COUNT_MEASURES, type Dimension, type Filter, MONEY_MEASURES, type Query } from '../query.js';
import type { SqlDialect } from './dialect.js';
import type { Range, ReadPlan } from './plan.js';

export type Param = string | number | bigint;

/** Where the compiled query reads: a priced raw-events relation (one row per event) and the daily rollup. */
export interface Sources {
  raw: string;
  rollup: string;
}

export interface CompiledQuery {
  sql: string;
  params: Param[];
  /** Result column alias of each dimension, in query order. */
  dimAliases: string[];
}

/** Columns every branch yields, summed by the outer query. `unpriced_*` feed QueryResult.unpriced. */
export const OUT_MEASURES = [
  ...MONEY_MEASURES,
  ...COUNT_MEASURES,
  'billed_cost_usd',
  'unpriced_events',
  'unpriced_tokens',
] as const;

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
  const params: Param[] = [];
  const dims = q.dimensions;
  const dimAliases = dims.map((_, i) => `d${i}`);
  const branches: string[] = [];

  if (plan.raw.length > 0) {
    const select = [
      `ts AS t`,
      ...dims.map((dim, i) => `${dimensionSql(dim, d, params)} AS ${dimAliases[i]}`),
      ...MONEY_MEASURES.map((m) => m),
      ...COUNT_MEASURES.filter((m) => m !== 'events').map((m) => d.ident(m)),
      '1 AS events',
      'coalesce(billed_cost_usd, cost_usd) AS billed_cost_usd',
      'CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END AS unpriced_events',
      `CASE WHEN cost_usd IS NULL THEN ${TOKENS.map(d.ident).join(' + ')} ELSE 0 END AS unpriced_tokens`,
    ];
    const where = [
      `(${plan.raw.map((r) => rangeSql('ts', r, d, params)).join(' OR ')})`,
      ...filtersSql(q.filters, d, params),
    ];
    branches.push(`SELECT ${select.join(', ')} FROM ${src.raw} WHERE ${where.join(' AND ')}`);
  }
  if (plan.rollup) {
    const select = [
      `day AS t`,
      ...dims.map((dim, i) => `${dimensionSql(dim, d, params)} AS ${dimAliases[i]}`),
      ...OUT_MEASURES.map((m) =>
        m === 'billed_cost_usd' ? `coalesce(cost_usd, 0) + billed_delta_usd AS billed_cost_usd` : d.ident(m),
      ),
    ];
    const where = [rangeSql('day', plan.rollup, d, params), ...filtersSql(q.filters, d, params)];
    branches.push(`SELECT ${select.join(', ')} FROM ${src.rollup} WHERE ${where.join(' AND ')}`);
  }

  const bucket = q.bucket ? [`${d.bucketStart(q.bucket, 't')} AS bucket`] : [];
  const sums = OUT_MEASURES.map((m) => `${d.sum(d.ident(m))} AS ${d.ident(m)}`);
  const keys = [...(q.bucket ? ['bucket'] : []), ...dimAliases];
  const agg = `SELECT ${[...bucket, ...dimAliases, ...sums].join(', ')} FROM src${
    keys.length > 0 ? ` GROUP BY ${keys.map((_, i) => i + 1).join(', ')}` : ''
  }`;
  const head = `WITH src AS (${branches.join('\nUNION ALL\n')}),\nagg AS (${agg})`;

  if (q.top === undefined || dims.length === 0) {
    const order = [
      ...(q.bucket ? ['bucket'] : []),
      'cost_usd DESC',
      ...dimAliases.map((a) => `${a} ASC NULLS FIRST`),
    ];
    return { sql: `${head}\nSELECT * FROM agg ORDER BY ${order.join(', ')}`, params, dimAliases };
  }

  const ranked = `ranked AS (SELECT ${dimAliases.join(', ')}, ${d.rankByCost(
    `sum(cost_usd)`,
    dimAliases,
  )} AS rn FROM agg GROUP BY ${dimAliases.join(', ')})`;
  params.push(...dimAliases.map(() => q.top!), q.top);
  const folded = dimAliases.map((a) => `CASE WHEN r.rn <= ? THEN a.${a} ELSE 'other' END AS ${a}`);
  const outer = [
    ...(q.bucket ? ['a.bucket AS bucket'] : []),
    ...folded,
    '(r.rn > ?) AS folded',
    ...OUT_MEASURES.map((m) => `sum(a.${d.ident(m)}) AS ${d.ident(m)}`),
  ];
  const on = dimAliases.map((a) => d.nullSafeEquals(`a.${a}`, `r.${a}`)).join(' AND ');
  const groupBy = outer.slice(0, (q.bucket ? 1 : 0) + dimAliases.length + 1).map((_, i) => i + 1);
  const order = [...(q.bucket ? ['bucket'] : []), 'folded', 'min(r.rn)'];
  return {
    sql: `${head},\n${ranked}\nSELECT ${outer.join(', ')} FROM agg a JOIN ranked r ON ${on} GROUP BY ${groupBy.join(
      ', ',
    )} ORDER BY ${order.join(', ')}`,
    params,
    dimAliases,
  };
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
    const col = dimensionSql(f.dimension, d, params);
    const values = f.values.filter((v): v is string => v !== null);
    const parts: string[] = [];
    if (values.length > 0) {
      params.push(...values);
      parts.push(`${col} IN (${values.map(() => '?').join(', ')})`);
    }
    if (f.values.includes(null)) {
      // The column expression is repeated, so its parameters (a tag key) are bound again.
      parts.push(`${dimensionSql(f.dimension, d, params)} IS NULL`);
    }
    return parts.length > 0 ? `(${parts.join(' OR ')})` : 'FALSE';
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

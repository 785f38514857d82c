import type { Range } from '../sql/plan.js';

/**
 * Epoch microseconds as ClickHouse's basic DateTime64 text, in UTC: the input format every server parses, whatever
 * its `date_time_input_format`.
 */
export function chTime(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  const frac = String(((us % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${frac}`;
}

/** The server's clock in epoch µs: what versions a replaced row (ReplacingMergeTree keeps the highest). */
export const SERVER_MICROS = 'toUnixTimestamp64Micro(now64(6))';

/**
 * `column` within `r` (either end open) as conditions on the named parameters `from` and `to` (after `prefix`: a
 * statement with several ranges names each its own), and their values.
 */
export function withinSql(
  column: string,
  r: Range,
  prefix = '',
): [where: string[], params: Record<string, unknown>] {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (r.from !== undefined) {
    where.push(`${column} >= fromUnixTimestamp64Micro({${prefix}from:Int64}, 'UTC')`);
    params[`${prefix}from`] = r.from;
  }
  if (r.to !== undefined) {
    where.push(`${column} < fromUnixTimestamp64Micro({${prefix}to:Int64}, 'UTC')`);
    params[`${prefix}to`] = r.to;
  }
  return [where, params];
}

/**
 * `column` within any of `ranges` (one condition, each range on parameters of its own after `prefix`), and the
 * parameters' values: FALSE for no range.
 */
export function rangesSql(
  column: string,
  ranges: readonly Range[],
  prefix: string,
): [where: string, params: Record<string, unknown>] {
  const params: Record<string, unknown> = {};
  const each = ranges.map((r, i) => {
    const [bounds, own] = withinSql(column, r, `${prefix}${i}_`);
    Object.assign(params, own);
    return bounds.length > 0 ? `(${bounds.join(' AND ')})` : 'TRUE';
  });
  return [each.length > 0 ? `(${each.join(' OR ')})` : 'FALSE', params];
}

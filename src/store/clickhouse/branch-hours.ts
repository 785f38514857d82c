import { bucketZone, type Filter, type Query } from '../query.js';
import { ROLLUP_DIMENSIONS } from '../sql/rollup-dims.js';
import { ident } from './dialect.js';
import { type DayTable, DIMENSION_TYPE, MEASURES } from './rollup.js';

/**
 * The calls on git branches by the hour, on ClickHouse (docs/store.md, Branch hours). The ROI report sets what coding
 * agents spent on a branch against its merge (roi/branch-spend.ts), reading calls by project, `git_branch` tag and
 * hour: no daily rollup keeps a tag or an hour, so this day table does, with the report rollup's dimensions beside
 * them for its filters. It is built and read as the rollups are (rollup.ts): each whole UTC day as it is now, and so
 * over months a raw retention dropped (retire.ts) too.
 *
 * Only calls with a branch are kept by hour and dimension: a branch is one person's work in one project, so they
 * add few rows. The rest of a day is one row with no branch, kept so that every day with a call has a row (a day
 * without one reads as never built); a query that reads this table selects calls with a branch, which leaves it out.
 */

const BRANCH_KEY = 'git_branch';
const BRANCH = `tag.${BRANCH_KEY}` as const;
const TIME = `DateTime64(6, 'UTC')`;
const DIMS = ROLLUP_DIMENSIONS.map(ident).join(', ');
const SUMS = MEASURES.map(([, , sum]) => sum).join(', ');
const dayOf = (t: string) => `toDateTime64(toStartOfDay(${t}), 6, 'UTC')`;

function build(where: string): string {
  const nulls = ROLLUP_DIMENSIONS.map((d) => `CAST(NULL AS ${DIMENSION_TYPE}) AS ${ident(d)}`).join(', ');
  // The branch is read in a subquery of its own: in ClickHouse the alias `tags` would be what `tags[…]` reads.
  return `SELECT ${dayOf('ts')} AS day, toDateTime64(toStartOfHour(ts), 6, 'UTC') AS hour, ${DIMS},
      map('${BRANCH_KEY}', branch) AS tags, ${SUMS}, now64(6, 'UTC')
    FROM (SELECT *, tags['${BRANCH_KEY}'] AS branch FROM events FINAL
      WHERE mapContains(tags, '${BRANCH_KEY}') AND ${where})
    GROUP BY day, hour, ${DIMS}, branch
  UNION ALL
    SELECT ${dayOf('ts')} AS day, day AS hour, ${nulls}, map() AS tags, ${SUMS}, now64(6, 'UTC')
    FROM events FINAL WHERE NOT mapContains(tags, '${BRANCH_KEY}') AND ${where}
    GROUP BY day`;
}

export const BRANCH_HOURS: DayTable = { table: 'branch_hours', build };

export function branchHoursSchemaSql(): string {
  const columns = [
    `day ${TIME}`,
    `hour ${TIME}`,
    ...ROLLUP_DIMENSIONS.map((d) => `${ident(d)} ${DIMENSION_TYPE}`),
    'tags Map(String, String)',
    ...MEASURES.map(([name, type]) => `${ident(name)} ${type}`),
    `built_at ${TIME}`,
  ];
  return `CREATE TABLE IF NOT EXISTS ${BRANCH_HOURS.table} (${columns.join(', ')})
ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (day, hour)`;
}

/**
 * Whether the table answers `q`: it groups and filters only by the rollup's dimensions and the branch, selects only
 * calls with a branch, and buckets (if at all) by UTC hours or days.
 */
export function readsBranchHours(q: Query): boolean {
  if (q.bucket !== undefined && bucketZone(q) !== undefined) return false;
  const keyed = new Set<string>([...ROLLUP_DIMENSIONS, BRANCH]);
  const needed = [...q.dimensions, ...(q.filters ?? []).map((f) => f.dimension)];
  return needed.every((d) => keyed.has(d)) && (q.filters ?? []).some(withBranch);
}

const withBranch = (f: Filter) =>
  f.dimension === BRANCH && (f.exclude === true ? f.values.includes(null) : !f.values.includes(null));

/** The table's rows of the days `kept` (a condition on `day`) picks, each timed by its hour, as a report reads them. */
export const branchHoursSql = (kept: string) =>
  `(SELECT * REPLACE (hour AS day) FROM (SELECT * FROM ${BRANCH_HOURS.table} WHERE ${kept}))`;

import { TOKEN_FIELDS } from '../../ledger/event.js';
import { exportFailed } from '../errors.js';
import { CHARGE_KINDS, FOCUS_COLUMNS, type FocusColumn } from '../focus/dataset.js';
import {
  chargeColumns,
  chargeKept,
  chargeSums,
  FOCUS_GROUP,
  FOCUS_ORDER,
  type FocusDialect,
  type FocusPeriod,
  GIVEN_KIND,
  givenColumns,
  givenSums,
  RATED_SOURCES,
  secondaryCharges,
  typedColumns,
} from '../focus/focus-sql.js';
import { focusListing } from '../focus/listing.js';
import type { UnpricedCount } from '../store.js';
import { copyTarget, exportRange } from './export.js';
import { q } from './schema.js';
import type { DuckDbSession, SqlParam } from './session.js';

/**
 * The ledger as a FOCUS 1.2 Cost and Usage dataset, in CSV or Parquet (docs/focus.md). One row per UTC day, billing
 * provider, model, service tier, rate card, cost source, attribution (TAG_FIELDS) and charge (CHARGE_KINDS), all in
 * SQL, so memory stays flat however many events; all money in HUGEINT, never a float. What each column says is
 * focus/focus-sql.ts's, shared with the ClickHouse store; this file reads the ledger and writes the file with COPY.
 * Events without a price are left out (FOCUS costs cannot be null, and $0 would be a lie) and counted.
 */
export async function exportFocus(
  s: DuckDbSession,
  o: { path: string; since?: number; until?: number; parquet?: boolean },
): Promise<{ rows: number; unpriced: UnpricedCount }> {
  const { sql: inRange, params: rangeParams } = exportRange(o);
  // One read for both: the (provider, model) pairs to name, and the unpriced events the rows will leave out.
  const unpricedOnly = `FILTER (WHERE cost_source = 'unpriced')`;
  const pairs = await s.rows(
    'listing providers and models for the FOCUS export',
    `SELECT coalesce(provider, ''), model, count(*) ${unpricedOnly},
       coalesce(sum(${TOKEN_FIELDS.join(' + ')}) ${unpricedOnly}, 0)
     FROM ledger_pico WHERE ${inRange} GROUP BY ALL`,
    rangeParams,
  );
  const { names, unpriced } = focusListing(
    pairs.map(([p, m, events, tokens]) => ({
      provider: String(p),
      model: String(m),
      unpricedEvents: Number(events),
      unpricedTokens: Number(tokens),
    })),
  );
  const periodParams: SqlParam[] = [
    o.since === undefined ? null : BigInt(o.since),
    o.until === undefined ? null : BigInt(o.until),
  ];
  try {
    const rows = await s.run(
      'exporting the FOCUS dataset',
      o.parquet
        ? `COPY (SELECT ${typedColumns(DUCKDB_FOCUS)} FROM (${focusSql(inRange)})) TO ${copyTarget(o.path)} ` +
            '(FORMAT parquet)'
        : `COPY (${focusSql(inRange)}) TO ${copyTarget(o.path)} (FORMAT csv, HEADER)`,
      // One JSON parameter: a list parameter needs an element type, which an empty list (an empty ledger) has not.
      [...rangeParams, JSON.stringify(names), ...periodParams],
    );
    return { rows, unpriced };
  } catch (err) {
    throw exportFailed(o.path, err);
  }
}

/** DuckDB's FOCUS SQL: the rate cards are rows of rate_cards, joined as `r` to events and groups alike. */
const DUCKDB_FOCUS: FocusDialect = {
  int128: (x) => `(${x})::HUGEINT`,
  intDiv: (n, d) => `${n} // ${d}`,
  digits: (x) => `(${x})::VARCHAR`,
  fraction: (s, width) => `rtrim(lpad(${s}, ${width}, '0'), '0')`,
  iso: (t) => `strftime(${t}, '%Y-%m-%dT%H:%M:%SZ')`,
  monthStart: (t) => `date_trunc('month', ${t})`,
  plusMonth: (t) => `${t} + INTERVAL 1 MONTH`,
  plusDay: (t) => `${t} + INTERVAL 1 DAY`,
  jsonObject(pairs) {
    const entries = pairs.map(([k, v]) => `{'k': '${k}', 'v': ${v}}`).join(', ');
    const kept = `list_filter([${entries}], x -> x.v IS NOT NULL)`;
    return `CASE WHEN len(${kept}) = 0 THEN NULL ELSE to_json(map_from_entries(${kept}))::VARCHAR END`;
  },
  rate: (_of, field) => `r.${field}`,
  toDecimal: (x, scale) => `CAST(${x} AS DECIMAL(38, ${scale}))`,
  toInstant: (x) => `CAST(${x} AS TIMESTAMPTZ)`,
  toText: (x) => `CAST(${x} AS VARCHAR)`,
  ident: q,
};

const PERIOD: FocusPeriod = { since: 'make_timestamp(period.since)', until: 'make_timestamp(period.until)' };

const GROUP = [...FOCUS_GROUP, 'rate_id'];

function select(columns: Record<FocusColumn, string>): string {
  return FOCUS_COLUMNS.map((c) => `${columns[c]} AS ${c}`).join(', ');
}

const joinNames = `JOIN names n ON n.p = coalesce(a.provider, '') AND n.m = a.model CROSS JOIN period`;

const NAMES_TYPE = JSON.stringify(
  Object.fromEntries(
    ['p', 'm', 'provider_name', 'service_name', 'publisher_name'].map((k) => [k, 'VARCHAR']),
  ),
);

/**
 * The whole SELECT. Parameters in order: the range (as `inRange` binds them), the names of each (provider, model) as
 * JSON, then since and until (or NULL) for the charge periods.
 *
 * The materialisation hints matter (970,185 demo events, 90,565 rows): the priced events are read straight into the
 * two aggregates rather than copied, and each aggregate is computed once for its charges' eleven SELECTs rather than
 * once each: 3.1 s and 515 MB against 4.1 s and 910 MB without them. Sorting the rows costs ~1 s and ~200 MB more;
 * it is kept, so that rows come by day, provider, model, attribution and charge (FOCUS_ORDER: rows alike in all of
 * these, such as one charge at two service tiers, in either order).
 */
function focusSql(inRange: string): string {
  const keys = GROUP.map((g) => `p.${q(g)}`).join(', ');
  const charges = CHARGE_KINDS.map(
    (k, i) => `SELECT ${select(chargeColumns(DUCKDB_FOCUS, PERIOD, k))}, a.day AS _day, ${i} AS _kind
FROM rated a JOIN rate_cards r ON r.rate_id = a.rate_id ${joinNames}
WHERE ${chargeKept(k)}`,
  );
  const given = `SELECT ${select(givenColumns(DUCKDB_FOCUS, PERIOD))}, a.day AS _day, ${GIVEN_KIND} AS _kind
FROM given a ${joinNames}`;
  return `WITH events AS NOT MATERIALIZED (
  SELECT p.*, date_trunc('day', p.ts) AS day FROM ledger_pico p WHERE p.cost_source <> 'unpriced' AND ${inRange}
),
split AS (
  SELECT p.*, ${secondaryCharges(DUCKDB_FOCUS).join(', ')}
  FROM events p JOIN rate_cards r ON r.rate_id = p.rate_id
  WHERE p.cost_source IN ${RATED_SOURCES}
),
rated AS MATERIALIZED (
  SELECT p.day, ${keys},
    ${chargeSums(DUCKDB_FOCUS).join(',\n    ')}
  FROM split p GROUP BY ALL
),
given AS MATERIALIZED (
  SELECT p.day, ${keys}, ${givenSums(DUCKDB_FOCUS).join(', ')}
  FROM events p WHERE p.cost_source NOT IN ${RATED_SOURCES} GROUP BY ALL
),
names AS (
  SELECT unnest(from_json(?::JSON, '[${NAMES_TYPE}]'), recursive := true)
),
period AS (SELECT ?::BIGINT AS since, ?::BIGINT AS until)
SELECT * EXCLUDE (_day, _kind) FROM (
${[...charges, given].join('\nUNION ALL\n')}
) ORDER BY ${FOCUS_ORDER}`;
}

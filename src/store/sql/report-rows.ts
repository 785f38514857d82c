import type { Measures, Query, QueryResult, Row } from '../query.js';
import { COUNT_MEASURES, MONEY_MEASURES } from '../query.js';

function zeroMeasures(billed: boolean): Measures {
  const m = Object.fromEntries([
    ...MONEY_MEASURES.map((k) => [k, 0n]),
    ...COUNT_MEASURES.map((k) => [k, 0]),
  ]) as unknown as Measures;
  if (billed) {
    m.billed_cost_usd = 0n;
    m.billed_unpriced_events = 0;
  }
  return m;
}

function addMeasures(into: Measures, r: Measures): void {
  for (const m of MONEY_MEASURES) into[m] += r[m];
  for (const m of COUNT_MEASURES) into[m] += r[m];
  if (into.billed_cost_usd !== undefined) into.billed_cost_usd += r.billed_cost_usd ?? 0n;
  if (into.billed_unpriced_events !== undefined) into.billed_unpriced_events += r.billed_unpriced_events ?? 0;
}

/**
 * A compiled report's result rows (compile-query.ts), each a record by column name, as the query's result. Money
 * arrives as a bigint or its decimal string, counts as numbers or strings, whatever the engine's client gives;
 * `bucketIso` turns the engine's bucket value into the ISO-8601 UTC start. Groups that net to no events (a range's
 * subtracted edge) are left out.
 */
export function reportResult(
  q: Query,
  dimAliases: readonly string[],
  records: Iterable<Record<string, unknown>>,
  bucketIso: (v: unknown) => string,
): QueryResult {
  const billed = q.billed === true;
  const rows: Row[] = [];
  const totals = zeroMeasures(billed);
  const unpriced = { events: 0, tokens: 0 };
  for (const v of records) {
    const row = { ...zeroMeasures(billed), dims: {}, unpriced_events: 0 } as Row;
    for (const m of MONEY_MEASURES) row[m] = BigInt(v[m] as bigint | string);
    for (const m of COUNT_MEASURES) row[m] = Number(v[m]);
    if (billed) {
      row.billed_cost_usd = BigInt(v.billed_cost_usd as bigint | string);
      row.billed_unpriced_events = Number(v.billed_unpriced_events);
    }
    if (row.events === 0) continue;
    if (q.bucket) row.bucket = bucketIso(v.bucket);
    if (v.folded === true || v.folded === 1) row.folded = true;
    q.dimensions.forEach((dim, i) => {
      const d = v[dimAliases[i]!];
      row.dims[dim] = d === null || d === undefined ? null : String(d);
    });
    addMeasures(totals, row);
    row.unpriced_events = Number(v.unpriced_events);
    unpriced.events += row.unpriced_events;
    unpriced.tokens += Number(v.unpriced_tokens);
    rows.push(row);
  }
  return { rows, totals, unpriced };
}

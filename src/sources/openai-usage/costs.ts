/**
 * One result of `/v1/organization/costs` → a provider-reported cost line. `amount.value` is a JSON number in
 * currency units: read through its shortest decimal string, never through float arithmetic.
 */
import { eventId } from '../../ledger/event-id.js';
import { SCALE } from '../../money/money.js';
import { childPath, decimalAmountAt, numberAmountAt, type Obj, objAt, optStr } from '../json-fields.js';
import { type Bucket, laterGroupKeys, type ProviderCostRecord } from '../provider-records.js';
import type { ParseContext } from '../source.js';

/** Group keys of `/v1/organization/costs` besides project_id and line_item (OpenAI API reference, CostsResult). */
const LATER_GROUP_KEYS = ['api_key_id', 'user_id', 'api_source'] as const;

export function costRecord(
  source: string,
  r: Obj,
  bucket: Bucket,
  ref: string,
  ctx: ParseContext,
): ProviderCostRecord {
  const amount = objAt(r, 'amount');
  const value =
    typeof amount.value.value === 'string'
      ? decimalAmountAt(amount, 'value', SCALE)
      : numberAmountAt(amount, 'value', SCALE);
  const currency = (optStr(amount, 'currency') ?? 'usd').toUpperCase();
  const project = optStr(r, 'project_id');
  const lineItem = optStr(r, 'line_item');
  // Costs can also be grouped by API key, user and API source; each such result is a cost line of its own.
  const details: Record<string, string> = {};
  for (const k of LATER_GROUP_KEYS) {
    const v = optStr(r, k);
    if (v !== null) details[k] = v;
  }
  return {
    record_id: eventId(
      source,
      'cost',
      bucket.start,
      bucket.end,
      project,
      lineItem,
      currency,
      ...laterGroupKeys(Object.fromEntries(LATER_GROUP_KEYS.map((k) => [k, details[k] ?? null]))),
    ),
    source,
    source_ref: `${ref}#${childPath(r.path, 'amount')}`,
    bucket_start: bucket.start,
    bucket_end: bucket.end,
    provider: 'openai',
    // As on the usage events (completions.ts), so a page not grouped by project is compared with their usage.
    project: project ?? ctx.defaults?.project ?? null,
    model: null,
    line_item: lineItem,
    amount: value,
    currency,
    details,
  };
}

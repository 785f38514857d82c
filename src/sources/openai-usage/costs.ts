/**
 * One result of `/v1/organization/costs` → a provider-reported cost line. `amount.value` is a JSON number in
 * currency units: read through its shortest decimal string, never through float arithmetic.
 */
import { eventId } from '../../ledger/event-id.js';
import { SCALE } from '../../money/money.js';
import { childPath, decimalAmountAt, numberAmountAt, type Obj, objAt, optStr } from '../json-fields.js';
import type { Bucket, ProviderCostRecord } from '../provider-records.js';

export function costRecord(source: string, r: Obj, bucket: Bucket, ref: string): ProviderCostRecord {
  const amount = objAt(r, 'amount');
  const value =
    typeof amount.value.value === 'string'
      ? decimalAmountAt(amount, 'value', SCALE)
      : numberAmountAt(amount, 'value', SCALE);
  const currency = (optStr(amount, 'currency') ?? 'usd').toUpperCase();
  const project = optStr(r, 'project_id');
  const lineItem = optStr(r, 'line_item');
  return {
    record_id: eventId(source, 'cost', bucket.start, bucket.end, project, lineItem, currency),
    source,
    source_ref: `${ref}#${childPath(r.path, 'amount')}`,
    bucket_start: bucket.start,
    bucket_end: bucket.end,
    provider: 'openai',
    project,
    model: null,
    line_item: lineItem,
    amount: value,
    currency,
    details: {},
  };
}

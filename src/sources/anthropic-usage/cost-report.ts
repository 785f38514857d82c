/**
 * One result of the Admin API `cost_report` → a provider-reported cost line. Amounts are decimal strings in the
 * currency's lowest unit ("123.45" USD is $1.2345): read at 10 fractional digits of cents, which is exactly
 * pico-dollars, so the division by 100 is exact.
 */
import { eventId } from '../../ledger/event-id.js';
import { SCALE } from '../../money/money.js';
import { childPath, decimalAmountAt, numberAmountAt, type Obj, optStr } from '../json-fields.js';
import { type Bucket, laterGroupKeys, type ProviderCostRecord } from '../provider-records.js';
import type { ParseContext } from '../source.js';
import { analyticsGroupKeys } from './analytics-keys.js';
import { ANTHROPIC_USAGE_SOURCE } from './messages.js';

/** Lowest-unit amounts (cents) read at this scale are already in pico-units. */
export const CENTS_SCALE = SCALE - 2;

const DETAIL_KEYS = ['cost_type', 'token_type', 'service_tier', 'context_window', 'inference_geo'] as const;

/**
 * Kept as written on an analytics API cost row (analytics-keys.ts): `list_amount` ("List-price amount (pre-discount)
 * in fractional cents"). Its group keys, `speed` among them, are details and id parts below.
 */
const ANALYTICS_DETAIL_KEYS = ['list_amount'] as const;

export function costReportRecord(r: Obj, bucket: Bucket, ref: string, ctx: ParseContext): ProviderCostRecord {
  const amount =
    typeof r.value.amount === 'number'
      ? numberAmountAt(r, 'amount', CENTS_SCALE)
      : decimalAmountAt(r, 'amount', CENTS_SCALE);
  const currency = (optStr(r, 'currency') ?? 'USD').toUpperCase();
  const workspace = optStr(r, 'workspace_id');
  const model = optStr(r, 'model');
  const description = optStr(r, 'description');
  const analytics = { ...analyticsGroupKeys(r), speed: optStr(r, 'speed') };
  const details: Record<string, string> = {};
  for (const k of [...DETAIL_KEYS, ...ANALYTICS_DETAIL_KEYS]) {
    const v = optStr(r, k);
    if (v !== null) details[k] = v;
  }
  for (const [k, v] of Object.entries(analytics)) if (v !== null) details[k] = v;
  const lineItem = description ?? ([details.cost_type, details.token_type].filter(Boolean).join(' ') || null);
  return {
    record_id: eventId(
      ANTHROPIC_USAGE_SOURCE,
      'cost',
      bucket.start,
      bucket.end,
      workspace,
      model,
      description,
      ...DETAIL_KEYS.map((k) => details[k] ?? null),
      currency,
      // Present only on analytics rows, so cost_report ids do not change.
      ...laterGroupKeys(analytics),
    ),
    source: ANTHROPIC_USAGE_SOURCE,
    source_ref: `${ref}#${childPath(r.path, 'amount')}`,
    bucket_start: bucket.start,
    bucket_end: bucket.end,
    provider: 'anthropic',
    // As on the usage events (messages.ts), so a report not grouped by workspace is compared with their usage.
    project: workspace ?? ctx.defaults?.project ?? null,
    model,
    line_item: lineItem,
    amount,
    currency,
    details,
  };
}

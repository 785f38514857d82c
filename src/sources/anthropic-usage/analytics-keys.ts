/**
 * What rows of the Usage and Cost Analytics API (`/v1/organizations/analytics/usage_report` and `…/cost_report`)
 * add to the rows of `usage_report/messages` and `cost_report`, whose shape they otherwise share (@anthropic-ai/sdk
 * 1.14.0, resources/beta/organization/analytics/analytics.d.ts, BetaAnalyticsUsageBucketedResult and
 * BetaAnalyticsCostBucketedResult). The reference calls the older reports legacy and points new integrations at it
 * (platform.claude.com/docs/en/api/beta/organization/usage_report/retrieve_messages), so its pages reach this importer.
 */
import { FIELD_SKIP, type Obj, optStr, RecordError } from '../json-fields.js';

/**
 * Group keys only the analytics API has. Two rows that differ only in one of them are two records: left out of the
 * id, the second would be dropped as a repeat of the first. They go into ids only when present (laterGroupKeys), so
 * rows of the older reports keep the ids they always had.
 */
const ANALYTICS_GROUP_KEYS = [
  'product',
  'claude_tag_category',
  'claude_tag_user_id',
  'slack_channel_id',
] as const;

/** The row's analytics group keys, null where the row has none (not grouped by it, or not that kind of usage). */
export function analyticsGroupKeys(r: Obj): Record<string, string | null> {
  refuseOverlappingRow(r);
  return Object.fromEntries(ANALYTICS_GROUP_KEYS.map((k) => [k, optStr(r, k)]));
}

/**
 * Rows grouped by `rbac_group_id` overlap: "a user in several groups contributes their full usage to each of those
 * groups' rows, so the named-group rows overlap and their sum can exceed the org total" (same file). Imported, their
 * usage would be counted once per group, so such a row is refused, saying how to export the page instead.
 */
function refuseOverlappingRow(r: Obj): void {
  const group = optStr(r, 'rbac_group_id');
  if (group === null) return;
  throw new RecordError(
    FIELD_SKIP.unsupportedRecord,
    `${r.path}.rbac_group_id: ${JSON.stringify(group)}: rows grouped by RBAC group overlap (a user in several groups is counted in each), so importing them would count usage more than once; not imported — export the report without group_by[]=rbac_group_id`,
    `${r.path}.rbac_group_id`,
  );
}

/**
 * `tokenledger import anthropic-usage FILE…`: saved pages of the Anthropic Admin API — `usage_report/messages`
 * (aggregate events), `cost_report` (provider-reported costs) and `usage_report/claude_code` (per-person per-day
 * events with source `anthropic-claude-code`, plus activity records), in any mix, pretty-printed or one page per
 * line. All three pages are `{data: [...], has_more, next_page}`; the records themselves tell which is which.
 */
import { wrongSourceMessage } from '../export-kind.js';
import { createDocumentReader, type Locate } from '../json-documents.js';
import {
  asObj,
  FIELD_SKIP,
  guard,
  isObject,
  type Obj,
  optArrayAt,
  RecordError,
  timestampAt,
} from '../json-fields.js';
import { assertBucketEnded, type Bucket } from '../provider-records.js';
import type { LineSource, ParseContext, Sink } from '../source.js';
import { readClaudeCodeRecord } from './claude-code.js';
import { costReportRecord } from './cost-report.js';
import { ANTHROPIC_USAGE_SOURCE, messagesEvent } from './messages.js';

export const anthropicUsageSource: LineSource = {
  id: ANTHROPIC_USAGE_SOURCE,
  open(ctx, sink) {
    return createDocumentReader(ctx.path, sink, (value, at) => readPage(value, at, ctx, sink));
  },
};

function readPage(value: unknown, at: Locate, ctx: ParseContext, sink: Sink): void {
  guard(sink, at, () => {
    const wrong = wrongSourceMessage(value, ANTHROPIC_USAGE_SOURCE);
    if (wrong !== null) throw new RecordError(FIELD_SKIP.unknownDocument, wrong);
    const data = optArrayAt(asObj(value, ''), 'data');
    if (data === null) {
      throw new RecordError(
        FIELD_SKIP.unknownDocument,
        'not an Anthropic usage, cost or Claude Code report page (expected {"data": [...], "has_more": …}); save the API response as is',
      );
    }
    data.forEach((d, i) => {
      guard(sink, at, () => {
        const item = asObj(d, `data[${i}]`);
        if ('actor' in item.value || 'core_metrics' in item.value) readClaudeCodeRecord(item, at, ctx, sink);
        else readBucket(item, at, ctx, sink);
      });
    });
  });
}

function readBucket(o: Obj, at: Locate, ctx: ParseContext, sink: Sink): void {
  const ref = at('');
  // A row of the analytics API's /v1/organizations/analytics/usage or …/analytics/cost ({starting_at, ending_at,
  // group, usage} or {…, group, cost}: @anthropic-ai/sdk 1.14.0 resources/beta/organization/analytics/usage.d.ts and
  // cost.d.ts) has bucket bounds but no `results`: read as a bucket, it would import nothing and say nothing.
  if (o.value.results === undefined) {
    const kind = isObject(o.value.usage) ? 'usage' : isObject(o.value.cost) ? 'cost' : null;
    if (kind !== null) {
      throw new RecordError(
        FIELD_SKIP.unsupportedRecord,
        `${o.path}: a row of /v1/organizations/analytics/${kind} ({group, ${kind}}), which is not imported; export the same range from /v1/organizations/analytics/${kind}_report (time buckets of results) and import that`,
        o.path,
      );
    }
  }
  const bucket: Bucket = { start: timestampAt(o, 'starting_at'), end: timestampAt(o, 'ending_at') };
  const results = optArrayAt(o, 'results') ?? [];
  if (results.length > 0) assertBucketEnded(bucket, ctx, o.path);
  results.forEach((x, j) => {
    guard(sink, at, () => {
      const r = asObj(x, `${o.path}.results[${j}]`);
      if ('amount' in r.value) sink.cost?.(costReportRecord(r, bucket, ref, ctx));
      else if ('uncached_input_tokens' in r.value || 'output_tokens' in r.value)
        sink.event(messagesEvent(r, bucket, ref, ctx));
      else {
        throw new RecordError(
          FIELD_SKIP.unsupportedRecord,
          `${r.path}: neither a usage result (uncached_input_tokens, output_tokens) nor a cost result (amount); not imported`,
          r.path,
        );
      }
    });
  });
}

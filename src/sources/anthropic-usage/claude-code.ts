/**
 * One record of the Admin API `usage_report/claude_code` (one actor, one day) → one event per model in
 * `model_breakdown` plus one ActivityRecord. `estimated_cost.amount` is a number in the currency's minor unit
 * (cents for USD, per the API reference), so it is read at 10 fractional digits of cents = pico-dollars.
 *
 * The report gives one `cache_creation` count with no TTL split; Claude Code writes 5-minute cache entries unless
 * told otherwise, so the count goes to `cache_write_5m_tokens` (docs/sources/anthropic-usage.md).
 */

import type { UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import type { Locate } from '../json-documents.js';
import {
  asObj,
  childPath,
  decimalAmountAt,
  FIELD_SKIP,
  guard,
  isObject,
  numberAmountAt,
  type Obj,
  objAt,
  optArrayAt,
  optCount,
  optObjAt,
  optStr,
  RecordError,
  str,
  timestampAt,
} from '../json-fields.js';
import { type ActivityRecord, assertBucketEnded, blankEvent } from '../provider-records.js';
import type { ParseContext, Sink } from '../source.js';
import { CENTS_SCALE } from './cost-report.js';
import { UNREPORTED_MODEL } from './messages.js';

export const CLAUDE_CODE_SOURCE = 'anthropic-claude-code';

const DETAIL_KEYS = ['terminal_type', 'customer_type', 'subscription_type', 'organization_id'] as const;

interface ActorDay {
  actorType: string;
  actor: string;
  date: string;
  ts: number;
  details: Record<string, string>;
}

function actorDay(item: Obj): ActorDay {
  const a = objAt(item, 'actor');
  const actorType = str(a, 'type');
  let actor: string | null;
  if (actorType === 'user_actor') actor = str(a, 'email_address');
  else if (actorType === 'api_actor') actor = str(a, 'api_key_name');
  else actor = optStr(a, 'email_address') ?? optStr(a, 'api_key_name');
  if (actor === null) {
    throw new RecordError(
      FIELD_SKIP.badRecord,
      `${a.path}: expected email_address (user_actor) or api_key_name (api_actor); export the report again`,
      a.path,
    );
  }
  const ts = timestampAt(item, 'date');
  const details: Record<string, string> = {};
  for (const k of DETAIL_KEYS) {
    const v = optStr(item, k);
    if (v !== null) details[k] = v;
  }
  return { actorType, actor, ts, date: new Date(ts / 1000).toISOString().slice(0, 10), details };
}

/**
 * The rest of what tells one report row from another: the same person on the same day and terminal has a row per
 * organization (a report of each organization imported into one ledger) and per customer and subscription type, and
 * with day, actor and terminal alone the second row's usage was dropped as a repeat of the first.
 */
function rowKeys(day: ActorDay): (string | undefined)[] {
  return [day.details.customer_type, day.details.subscription_type, day.details.organization_id];
}

/** Emits the actor-day's activity and one event per model; a bad model entry is skipped alone. */
export function readClaudeCodeRecord(item: Obj, at: Locate, ctx: ParseContext, sink: Sink): void {
  const ref = at('');
  const day = actorDay(item);
  // A day's activity and usage are still growing until the day ends, like any bucket.
  assertBucketEnded({ start: day.ts, end: day.ts + 86_400_000_000 }, ctx, item.path);
  guard(sink, at, () => sink.activity?.(activityRecord(item, day, ref)));
  (optArrayAt(item, 'model_breakdown') ?? []).forEach((m, j) => {
    guard(sink, at, () =>
      sink.event(modelEvent(asObj(m, childPath(childPath(item.path, 'model_breakdown'), j)), day, ref, ctx)),
    );
  });
}

function activityRecord(item: Obj, day: ActorDay, ref: string): ActivityRecord {
  const core = optObjAt(item, 'core_metrics');
  const loc = core ? optObjAt(core, 'lines_of_code') : null;
  return {
    record_id: eventId(
      CLAUDE_CODE_SOURCE,
      'activity',
      day.date,
      day.actorType,
      day.actor,
      day.details.terminal_type,
      ...rowKeys(day),
    ),
    source: CLAUDE_CODE_SOURCE,
    source_ref: `${ref}#${item.path}`,
    actor_type: day.actorType,
    actor: day.actor,
    date: day.date,
    ts: day.ts,
    num_sessions: core ? optCount(core, 'num_sessions') : 0,
    lines_added: loc ? optCount(loc, 'added') : 0,
    lines_removed: loc ? optCount(loc, 'removed') : 0,
    commits: core ? optCount(core, 'commits_by_claude_code') : 0,
    pull_requests: core ? optCount(core, 'pull_requests_by_claude_code') : 0,
    tool_actions: toolActions(optObjAt(item, 'tool_actions')),
    details: day.details,
  };
}

/** `{edit_tool: {accepted: 45, rejected: 5}}` → `{"edit_tool.accepted": 45, "edit_tool.rejected": 5}`. */
function toolActions(t: Obj | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!t) return out;
  for (const [tool, v] of Object.entries(t.value)) {
    if (v === null || v === undefined) continue;
    if (isObject(v)) {
      const o = asObj(v, childPath(t.path, tool));
      for (const decision of Object.keys(v)) out[`${tool}.${decision}`] = optCount(o, decision);
    } else out[tool] = optCount(t, tool);
  }
  return out;
}

function modelEvent(m: Obj, day: ActorDay, ref: string, ctx: ParseContext): UnpricedEvent {
  const model = optStr(m, 'model');
  const tokens = objAt(m, 'tokens');
  const e = blankEvent(ctx, {
    event_id: eventId(
      CLAUDE_CODE_SOURCE,
      'model',
      day.date,
      day.actorType,
      day.actor,
      day.details.terminal_type,
      model,
      ...rowKeys(day),
    ),
    source: CLAUDE_CODE_SOURCE,
    source_ref: `${ref}#${m.path}`,
    ts: day.ts,
    model: model ?? UNREPORTED_MODEL,
  });
  e.model_requested = model;
  e.provider = 'anthropic';
  e.operation = 'messages';
  e.agent = 'claude-code';
  e.user = day.actor;
  e.input_tokens = optCount(tokens, 'input');
  e.output_tokens = optCount(tokens, 'output');
  e.cache_read_tokens = optCount(tokens, 'cache_read');
  e.cache_write_5m_tokens = optCount(tokens, 'cache_creation');
  e.tags.actor_type = day.actorType;
  e.tags.requests_unreported = 'true';
  for (const k of ['terminal_type', 'customer_type'] as const) if (day.details[k]) e.tags[k] = day.details[k];
  if (model === null) e.tags.model_unreported = 'true';
  const cost = optObjAt(m, 'estimated_cost');
  if (cost && cost.value.amount !== undefined && cost.value.amount !== null) {
    const cents =
      typeof cost.value.amount === 'string'
        ? decimalAmountAt(cost, 'amount', CENTS_SCALE)
        : numberAmountAt(cost, 'amount', CENTS_SCALE);
    const currency = (optStr(cost, 'currency') ?? 'USD').toUpperCase();
    // provider_cost_usd is dollars; an estimate in another currency is kept as tags, not mixed in.
    if (currency === 'USD') e.provider_cost_usd = cents;
    else {
      e.tags.estimated_cost_currency = currency;
      e.tags.estimated_cost_minor_units = String(cost.value.amount);
    }
  }
  return e;
}

import { TokenledgerError } from '../errors.js';
import type { UsageEvent } from '../ledger/event.js';
import { formatUsd } from '../money/money.js';
import { eventPages } from '../store/event-range.js';
import type { Filter, Row } from '../store/query.js';
import type { Store } from '../store/store.js';
import {
  addUsage,
  BLOCK_US,
  type Block,
  type BlockUsage,
  type Burn,
  blocksOf,
  burnOf,
  HOUR_US,
  type HourRow,
  tokensOf,
} from './blocks.js';

/** A window as reported: its calls' span, and for the open one its pace. */
export interface LedgerBlock extends Block {
  /** Epoch µs of its last call. */
  last_call: number;
  /** Whether calls can still join it: its end is ahead and its last call less than five hours ago (as ccusage). */
  active: boolean;
  /** The open window's pace and where it leads; null for the others, and for one whose calls span no time. */
  burn: Burn | null;
}

export interface BlocksReport {
  /** The person whose windows these are (null: calls that name nobody, as a developer's own agent logs do). */
  user: string | null;
  blocks: LedgerBlock[];
  /** Calls in the range with no agent: not a coding agent's, so in no window (gateway and API calls). */
  without_agent: number;
}

/**
 * One person's five-hour windows over the range, per agent, from the store's hourly sums (blocks.ts). Windows are
 * one person's: where the range holds several people's agent calls, `filters` must name one (`user=…`).
 */
export async function ledgerBlocks(
  store: Store,
  filters: readonly Filter[],
  range: { since: number; until: number },
  now: number,
): Promise<BlocksReport> {
  const people = await store.query({ dimensions: ['user'], filters: agentCallsOf(filters), ...range });
  if (people.rows.length > 1)
    throw new TokenledgerError(
      'BLOCKS_SEVERAL_PEOPLE',
      `${people.rows.length} people have agent calls in this range, and five-hour windows are one person's: ` +
        'give --where user=NAME (tokenledger report --by user lists them)',
    );
  const all = await store.query({ dimensions: [], filters, ...range });
  const { blocks, calls } = await agentWindows(store, filters, range, now);
  return { user: people.rows[0]?.dims.user ?? null, blocks, without_agent: all.totals.events - calls };
}

/**
 * The windows of the agent calls `filters` select, which must be one person's (ledgerBlocks checks), and how many
 * stored calls they hold. `pending` are calls the store does not hold yet (a response still being written,
 * statusline/pending.ts) that `filters` would select: they are counted as if stored.
 */
export async function agentWindows(
  store: Store,
  filters: readonly Filter[],
  range: { since: number; until: number },
  now: number,
  pending: readonly UsageEvent[] = [],
): Promise<{ blocks: LedgerBlock[]; calls: number }> {
  const agentCalls = agentCallsOf(filters);
  const hourly = await store.query({
    dimensions: ['agent', 'model'],
    bucket: 'hour',
    filters: agentCalls,
    ...range,
  });
  const inRange = pending.filter((e) => e.agent !== null && e.ts >= range.since && e.ts < range.until);
  const hours = [
    ...hourly.rows.map((r) => hourRow(r, Date.parse(r.bucket!) * 1000)),
    ...inRange.map((e) => ({
      agent: e.agent!,
      hour: e.ts - (e.ts % HOUR_US),
      model: e.model,
      usage: usageOf(e),
    })),
  ];
  // One pass over the range's calls, newest first a page at a time, for what hourly sums cannot say: the calls at a
  // whole hour's very instant (blocks.ts) and each window's first and last call. A query per window, or per
  // instant, cost ~50-80 ms each (a month of one person's heavy use, 149 windows: 12 s); the pass ~50 µs a call.
  const seen = new HourSpans();
  const windowUs = Math.ceil(((range.until - range.since) * PAGE * 1.2) / Math.max(hourly.totals.events, 1));
  for await (const page of eventPages(store, { filters: agentCalls, ...range }, PAGE, { window: windowUs }))
    for (const e of page) seen.add(e);
  for (const e of inRange) seen.add(e);
  const windows = blocksOf(hours, (agent, hour) => seen.instant(agent, hour));
  const blocks = windows.map((b, i): LedgerBlock => {
    const before = windows[i - 1];
    // A call at the window's first instant is the window before's when that one ended there.
    const claimed = before?.agent === b.agent && before.end === b.start;
    const { first, last } = seen.span(b, claimed);
    const active = b.end > now && now - last < BLOCK_US;
    return { ...b, last_call: last, active, burn: active ? burnOf(b, first, last, now) : null };
  });
  return { blocks, calls: hourly.totals.events };
}

const agentCallsOf = (filters: readonly Filter[]): Filter[] => [
  ...filters,
  { dimension: 'agent', values: [null], exclude: true },
];

/** An agent's calls in one UTC hour: the first and last, the first after the hour's own instant, and that instant's. */
interface HourSpan {
  first: number;
  last: number;
  /** The first call after the hour's very instant (Infinity: none). */
  firstAfter: number;
  /** The calls at the hour's very instant, by model. */
  instant: HourRow[];
}

/** What the pass over the calls keeps, per agent and hour. */
class HourSpans {
  private readonly hours = new Map<string, HourSpan>();

  add(e: UsageEvent): void {
    const hour = e.ts - (e.ts % HOUR_US);
    const key = `${e.agent}\n${hour}`;
    const h = this.hours.get(key) ?? { first: e.ts, last: e.ts, firstAfter: Infinity, instant: [] };
    this.hours.set(key, h);
    h.first = Math.min(h.first, e.ts);
    h.last = Math.max(h.last, e.ts);
    if (e.ts > hour) h.firstAfter = Math.min(h.firstAfter, e.ts);
    else {
      const usage = usageOf(e);
      const row = h.instant.find((r) => r.model === e.model);
      if (row === undefined) h.instant.push({ agent: e.agent!, hour, model: e.model, usage });
      else row.usage = addUsage(row.usage, usage);
    }
  }

  instant(agent: string, hour: number): HourRow[] {
    return this.hours.get(`${agent}\n${hour}`)?.instant ?? [];
  }

  /** A window's first and last call; `claimed`: its first instant's calls are the window before's. */
  span(b: Block, claimed: boolean): { first: number; last: number } {
    let first = Infinity;
    let last = -Infinity;
    for (let hour = b.start; hour <= b.end; hour += HOUR_US) {
      const h = this.hours.get(`${b.agent}\n${hour}`);
      if (h === undefined) continue;
      // The hour at the window's end adds only its instant: the calls after it are the next window's.
      if (hour === b.end) {
        if (h.instant.length > 0) last = Math.max(last, hour);
        continue;
      }
      first = Math.min(first, hour === b.start && claimed ? h.firstAfter : h.first);
      last = Math.max(last, h.last);
    }
    return { first, last };
  }
}

function usageOf(e: UsageEvent): BlockUsage {
  return {
    calls: 1,
    unpriced_calls: e.cost_usd === null ? 1 : 0,
    input_tokens: e.input_tokens,
    cache_read_tokens: e.cache_read_tokens,
    cache_write_tokens: e.cache_write_5m_tokens + e.cache_write_1h_tokens,
    output_tokens: e.output_tokens,
    cost_usd: e.cost_usd ?? 0n,
  };
}

/** Calls a page: what memory holds, whatever the range. */
const PAGE = 5000;

function hourRow(r: Row, hour: number): HourRow {
  const usage: BlockUsage = {
    calls: r.events,
    unpriced_calls: r.unpriced_events,
    input_tokens: r.input_tokens,
    cache_read_tokens: r.cache_read_tokens,
    cache_write_tokens: r.cache_write_5m_tokens + r.cache_write_1h_tokens,
    output_tokens: r.output_tokens,
    cost_usd: r.cost_usd,
  };
  return { agent: r.dims.agent!, hour, model: r.dims.model ?? null, usage };
}

/** As `blocks --format json` and `GET /api/blocks` give it: times ISO-8601 UTC, amounts exact decimal strings. */
export function blocksJson(r: BlocksReport) {
  const iso = (us: number) => new Date(us / 1000).toISOString();
  return {
    user: r.user,
    blocks: r.blocks.map((b) => ({
      agent: b.agent,
      start: iso(b.start),
      end: iso(b.end),
      last_call: iso(b.last_call),
      active: b.active,
      calls: b.calls,
      unpriced_calls: b.unpriced_calls,
      input_tokens: b.input_tokens,
      cache_read_tokens: b.cache_read_tokens,
      cache_write_tokens: b.cache_write_tokens,
      output_tokens: b.output_tokens,
      tokens: tokensOf(b),
      cost_usd: formatUsd(b.cost_usd),
      models: b.models,
      burn:
        b.burn === null
          ? null
          : {
              tokens_per_minute: Math.round(b.burn.tokens_per_minute),
              cost_per_hour_usd: formatUsd(b.burn.cost_per_hour_usd),
              projected_tokens: b.burn.projected_tokens,
              projected_cost_usd: formatUsd(b.burn.projected_cost_usd),
            },
    })),
    without_agent: r.without_agent,
  };
}

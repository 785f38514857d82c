import { TokenledgerError } from '../errors.js';
import type { Filter, Row } from '../store/query.js';
import type { Store } from '../store/store.js';
import {
  BLOCK_US,
  type Block,
  type BlockUsage,
  type Burn,
  blocksOf,
  burnOf,
  HOUR_US,
  type HourRow,
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
  const agentCalls = [...filters, { dimension: 'agent' as const, values: [null], exclude: true }];
  const people = await store.query({ dimensions: ['user'], filters: agentCalls, ...range });
  if (people.rows.length > 1)
    throw new TokenledgerError(
      'BLOCKS_SEVERAL_PEOPLE',
      `${people.rows.length} people have agent calls in this range, and five-hour windows are one person's: ` +
        'give --where user=NAME (tokenledger report --by user lists them)',
    );
  const user = people.rows[0]?.dims.user ?? null;
  const all = await store.query({ dimensions: [], filters, ...range });
  const hourly = await store.query({
    dimensions: ['agent', 'model'],
    bucket: 'hour',
    filters: agentCalls,
    ...range,
  });
  const hours = hourly.rows.map((r) => hourRow(r, Date.parse(r.bucket!) * 1000));
  const instants = new Map<number, HourRow[]>();
  let found = blocksOf(hours, (agent, hour) => instants.get(hour)?.filter((r) => r.agent === agent));
  while (found.need.length > 0) {
    for (const hour of found.need) {
      const at = await store.query({
        dimensions: ['agent', 'model'],
        filters: agentCalls,
        since: hour,
        until: hour + 1,
      });
      instants.set(
        hour,
        at.rows.map((r) => hourRow(r, hour)),
      );
    }
    found = blocksOf(hours, (agent, hour) => instants.get(hour)?.filter((r) => r.agent === agent));
  }
  const blocks: LedgerBlock[] = [];
  for (const [i, b] of found.blocks.entries()) {
    const ofAgent = [...filters, { dimension: 'agent' as const, values: [b.agent] }];
    // The newest call from the window's start to its last instant, included.
    const [last] = await store.events({ filters: ofAgent, since: b.start, until: b.end + 1, limit: 1 });
    const lastCall = last?.ts ?? b.start;
    const active = b.end > now && now - lastCall < BLOCK_US;
    let burn: Burn | null = null;
    if (active) {
      // The window's first call is in its first hour; one at that hour's very instant belongs to the window before
      // when that one ended there.
      const before = found.blocks[i - 1];
      const shared = before?.agent === b.agent && before.end === b.start;
      const firstHour = await store.events({
        filters: ofAgent,
        since: b.start + (shared ? 1 : 0),
        until: b.start + HOUR_US,
      });
      const first = firstHour.at(-1)?.ts ?? lastCall;
      burn = burnOf(b, first, lastCall, now);
    }
    blocks.push({ ...b, last_call: lastCall, active, burn });
  }
  return { user, blocks, without_agent: all.totals.events - hourly.totals.events };
}

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

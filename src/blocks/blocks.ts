/**
 * Five-hour usage windows, as Claude's and ChatGPT's subscription plans meter a coding agent: a window opens at the
 * hour of a person's first call (floored to the UTC hour) and holds every call up to five hours after that hour; the
 * first call later than that opens the next. `ccusage blocks` draws the same windows, and the tests hold these to its
 * output on real Claude Code logs (src/blocks/ccusage-blocks.test.ts).
 *
 * The windows are found from the store's hourly sums, not from every call: a call in an hour less than five hours
 * after a window's start is in it, one in a later hour is not. Only a call at the very instant five hours after the
 * start (a whole hour, to the microsecond) cannot be told from its hour's sum: it is in the window ("more than five
 * hours" opens the next). `blocksOf` asks for the calls at those instants, which the caller sums apart
 * (ledger-blocks.ts).
 */

export const HOUR_US = 3_600_000_000;
export const BLOCK_US = 5 * HOUR_US;

/** What calls add up to, as a window shows it. */
export interface BlockUsage {
  calls: number;
  /** Calls with no price: not in `cost_usd`, which is $0 when all are (never read it as free). */
  unpriced_calls: number;
  input_tokens: number;
  cache_read_tokens: number;
  /** Cache writes of every lifetime (5 minutes, 1 hour). */
  cache_write_tokens: number;
  output_tokens: number;
  cost_usd: bigint;
}

/** One agent's calls to one model in one UTC hour (or at one instant), as the store sums them. */
export interface HourRow {
  agent: string;
  /** The hour's start (or the instant), epoch µs. */
  hour: number;
  model: string | null;
  usage: BlockUsage;
}

export interface Block extends BlockUsage {
  agent: string;
  /** Epoch µs: the UTC hour of the window's first call. */
  start: number;
  /** `start` + 5 hours; a call at this very instant is still in the window. */
  end: number;
  /** Models by what they cost in the window, most first. */
  models: string[];
}

export const NO_USAGE: BlockUsage = {
  calls: 0,
  unpriced_calls: 0,
  input_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  output_tokens: 0,
  cost_usd: 0n,
};

export function tokensOf(u: BlockUsage): number {
  return u.input_tokens + u.cache_read_tokens + u.cache_write_tokens + u.output_tokens;
}

export function addUsage(a: BlockUsage, b: BlockUsage, sign: 1 | -1 = 1): BlockUsage {
  return {
    calls: a.calls + sign * b.calls,
    unpriced_calls: a.unpriced_calls + sign * b.unpriced_calls,
    input_tokens: a.input_tokens + sign * b.input_tokens,
    cache_read_tokens: a.cache_read_tokens + sign * b.cache_read_tokens,
    cache_write_tokens: a.cache_write_tokens + sign * b.cache_write_tokens,
    output_tokens: a.output_tokens + sign * b.output_tokens,
    cost_usd: a.cost_usd + BigInt(sign) * b.cost_usd,
  };
}

/**
 * Each agent's windows, in time order (agents by name), from its hourly rows. `atInstant` gives the rows of an
 * agent's calls at exactly one whole hour (none: empty): asked only for an hour five hours after a window opened,
 * whose calls at that instant are still the window's.
 */
export function blocksOf(
  hours: readonly HourRow[],
  atInstant: (agent: string, hour: number) => readonly HourRow[],
): Block[] {
  const blocks: Block[] = [];
  for (const [agent, byHour] of [...byAgentAndHour(hours)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let open: { start: number; models: Map<string | null, BlockUsage> } | null = null;
    const close = () => {
      if (open !== null) blocks.push(blockOf(agent, open.start, open.models));
    };
    for (const [hour, rows] of [...byHour].sort(([a], [b]) => a - b)) {
      let left = rows;
      if (open !== null && hour - open.start < BLOCK_US) {
        addRows(open.models, left);
        continue;
      }
      if (open !== null && hour - open.start === BLOCK_US) {
        const instant = atInstant(agent, hour);
        addRows(open.models, instant);
        left = without(left, instant);
      }
      close();
      open = null;
      if (left.some((r) => r.usage.calls > 0)) {
        open = { start: hour, models: new Map() };
        addRows(open.models, left);
      }
    }
    close();
  }
  return blocks;
}

function byAgentAndHour(hours: readonly HourRow[]): Map<string, Map<number, HourRow[]>> {
  const agents = new Map<string, Map<number, HourRow[]>>();
  for (const r of hours) {
    if (r.usage.calls === 0) continue;
    const byHour = agents.get(r.agent) ?? new Map<number, HourRow[]>();
    agents.set(r.agent, byHour);
    const rows = byHour.get(r.hour);
    if (rows === undefined) byHour.set(r.hour, [r]);
    else rows.push(r);
  }
  return agents;
}

function addRows(models: Map<string | null, BlockUsage>, rows: readonly HourRow[]): void {
  for (const r of rows) models.set(r.model, addUsage(models.get(r.model) ?? NO_USAGE, r.usage));
}

/** An hour's rows less the calls at its first instant, model by model. */
function without(rows: readonly HourRow[], instant: readonly HourRow[]): HourRow[] {
  return rows.map((r) => {
    const at = instant.filter((i) => i.model === r.model).reduce((u, i) => addUsage(u, i.usage), NO_USAGE);
    return { ...r, usage: addUsage(r.usage, at, -1) };
  });
}

function blockOf(agent: string, start: number, models: Map<string | null, BlockUsage>): Block {
  const used = [...models].filter(([, u]) => u.calls > 0);
  const total = used.reduce((sum, [, u]) => addUsage(sum, u), NO_USAGE);
  const named = used
    .filter((m): m is [string, BlockUsage] => m[0] !== null)
    .sort(([a, x], [b, y]) =>
      x.cost_usd === y.cost_usd ? (a < b ? -1 : 1) : x.cost_usd > y.cost_usd ? -1 : 1,
    );
  return { agent, start, end: start + BLOCK_US, models: named.map(([m]) => m), ...total };
}

/** How fast an open window is being used, and where that pace takes it by the window's end. */
export interface Burn {
  /** Tokens a minute between the window's first and last calls. */
  tokens_per_minute: number;
  /** Cost an hour at that pace, exact to the pico-dollar (truncated). */
  cost_per_hour_usd: bigint;
  /** The window's tokens and cost at its end if the pace holds. */
  projected_tokens: number;
  projected_cost_usd: bigint;
}

/**
 * The pace of a window from its first to its last call (µs), projected from `now` to its end; null where the calls
 * span no time (one call), as no pace can be read from them.
 */
export function burnOf(b: Block, first: number, last: number, now: number): Burn | null {
  const span = last - first;
  if (span <= 0) return null;
  const left = Math.max(0, b.end - now);
  const tokens = tokensOf(b);
  return {
    tokens_per_minute: (tokens * 60_000_000) / span,
    cost_per_hour_usd: (b.cost_usd * BigInt(HOUR_US)) / BigInt(span),
    projected_tokens: Math.round(tokens + (tokens * left) / span),
    projected_cost_usd: b.cost_usd + (b.cost_usd * BigInt(left)) / BigInt(span),
  };
}

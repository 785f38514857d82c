import { tokensOf } from '../blocks/blocks.js';
import { type BlocksReport, blocksJson, type LedgerBlock, ledgerBlocks } from '../blocks/ledger-blocks.js';
import { TokenledgerError } from '../errors.js';
import { formatUsdDisplay } from '../money/money.js';
import type { Filter } from '../store/query.js';
import { type LedgerOptions, nowMicros, withStore } from './context.js';
import {
  type FilterOptions,
  parsePositiveInt,
  parseRange,
  parseTableOrJson,
  parseTimeZone,
  whereFilters,
} from './filters.js';
import { counted, groupDigits } from './group-digits.js';
import { importLocalAgentLogs } from './import.js';
import { bucketLabel, renderTable } from './report-format.js';

export interface BlocksOptions extends LedgerOptions, FilterOptions {
  /** Tokens a window may use (a plan's limit, as the person knows it), or `max`: the largest window before the last. */
  tokenLimit?: string;
  /** Import this machine's agent logs and redraw the open windows every `refresh` seconds, until interrupted. */
  live?: boolean;
  refresh?: string;
  format?: string;
}

/**
 * `tokenledger blocks`: a person's five-hour usage windows per coding agent, as Claude's and ChatGPT's plans meter
 * them and `ccusage blocks` shows them (blocks/blocks.ts), over the last 7 days unless --since says otherwise; the
 * open window with its pace and where that pace takes it by the window's end.
 */
export async function blocksCommand(o: BlocksOptions, out: (s: string) => void): Promise<void> {
  const format = parseTableOrJson(o.format);
  const limitOption = tokenLimitOf(o.tokenLimit);
  const zone = parseTimeZone(o.tz) ?? 'UTC';
  const filters = await whereFilters(o);
  if (o.live) {
    if (format !== 'table')
      throw new TokenledgerError('CLI_BAD_OPTION', '--live draws a table: leave out --format');
    return liveBlocks(o, filters, limitOption, zone, parsePositiveInt('refresh', o.refresh, 3600) ?? 5, out);
  }
  const now = nowMicros();
  const { since, until } = parseRange({ ...o, since: o.since ?? '7d' }, now);
  const report = await withStore(
    o,
    (store) => ledgerBlocks(store, filters, { since: since ?? 0, until: until ?? now + 1 }, now),
    { existing: true },
  );
  const limit = limitOption === 'max' ? largestBefore(report) : limitOption;
  out(
    format === 'json'
      ? `${JSON.stringify({ ...blocksJson(report), token_limit: limit ?? null }, null, 2)}\n`
      : blocksTable(report, zone, now, limit),
  );
}

/**
 * `blocks --live`: imports this machine's agent logs (as `tokenledger` alone does; a response still being written
 * is held back until the next follows, docs/sources/claude-code.md) and draws each agent's open window, every `refresh`
 * seconds until SIGINT or SIGTERM. The ledger is opened for each frame only, so other commands can use it between.
 */
async function liveBlocks(
  o: BlocksOptions,
  filters: Filter[],
  limitOption: number | 'max' | undefined,
  zone: string,
  refresh: number,
  out: (s: string) => void,
): Promise<void> {
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  // On a terminal each frame replaces the last; piped, frames follow each other.
  const clear = process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
  try {
    for (let done = false; !done; ) {
      const now = nowMicros();
      const { since, until } = parseRange({ ...o, since: o.since ?? '7d' }, now);
      const report = await withStore(o, async (store) => {
        await importLocalAgentLogs(store, () => {}, o);
        return ledgerBlocks(store, filters, { since: since ?? 0, until: until ?? now + 1 }, now);
      });
      const limit = limitOption === 'max' ? largestBefore(report) : limitOption;
      out(`${clear}${liveFrame(report, zone, now, limit, refresh)}\n${clear === '' ? '\n' : ''}`);
      let timer: NodeJS.Timeout | undefined;
      done = await Promise.race([
        stopped.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), refresh * 1000))),
      ]);
      clearTimeout(timer);
    }
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
}

function liveFrame(
  r: BlocksReport,
  zone: string,
  now: number,
  limit: number | undefined,
  refresh: number,
): string {
  const at = (us: number) => wallTime(us, zone).slice(11);
  const lines = [
    `tokenledger blocks --live · ${wallTime(now, zone)} ${zone} · every ${refresh} s · Ctrl-C stops` +
      (r.user === null ? '' : ` · ${r.user}`),
    '',
  ];
  const open = r.blocks.filter((b) => b.active);
  if (open.length === 0) {
    const last = r.blocks.at(-1);
    lines.push(
      last === undefined
        ? 'No coding-agent calls yet: the first opens a five-hour window.'
        : `No open window: the next call opens one (the last, ${last.agent}'s, opened at ${at(last.start)}).`,
    );
  }
  for (const b of open) {
    const gone = now - b.start;
    const tokens = tokensOf(b);
    lines.push(
      `${b.agent}  window ${at(b.start)}–${at(b.end)}  ${bar(gone / (b.end - b.start))}  ` +
        `${span(gone)} gone, ${span(b.end - now)} left`,
      `  ${groupDigits(b.calls)} calls · ${groupDigits(tokens)} tokens` +
        (limit === undefined
          ? ''
          : ` ${bar(tokens / limit)} ${((tokens * 100) / limit).toFixed(1)}% of ${groupDigits(limit)}`) +
        ` · ${formatUsdDisplay(b.cost_usd)}${b.unpriced_calls > 0 ? ` (${counted(b.unpriced_calls, 'call')} unpriced)` : ''}`,
    );
    const burn = b.burn;
    lines.push(
      burn === null
        ? '  pace: one call so far'
        : `  pace ${groupDigits(Math.round(burn.tokens_per_minute))} tokens a minute, ` +
            `${formatUsdDisplay(burn.cost_per_hour_usd)} an hour · by ${at(b.end)}: ` +
            `${groupDigits(burn.projected_tokens)} tokens, ${formatUsdDisplay(burn.projected_cost_usd)}` +
            (limit !== undefined && burn.projected_tokens > limit ? ' · over the limit' : ''),
      '',
    );
  }
  return lines.join('\n').trimEnd();
}

/** A 20-cell bar of a share (clamped to 0–1). */
function bar(share: number): string {
  const full = Math.round(Math.min(1, Math.max(0, share)) * 20);
  return `[${'#'.repeat(full)}${'.'.repeat(20 - full)}]`;
}

/** "YYYY-MM-DD HH:MM" on `zone`'s clocks. */
function wallTime(us: number, zone: string): string {
  return bucketLabel(new Date(us / 1000).toISOString(), 'hour', zone);
}

function tokenLimitOf(text: string | undefined): number | 'max' | undefined {
  if (text === undefined || text === 'max') return text;
  if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--token-limit ${JSON.stringify(text)}: give a whole number of tokens (5000000), or max for the largest ` +
        'window before the last',
    );
  return Number(text);
}

/** `--token-limit max`: the most tokens a window used, the last window left out (it may still be open). */
function largestBefore(r: BlocksReport): number | undefined {
  const before = r.blocks.slice(0, -1).map(tokensOf);
  return before.length === 0 ? undefined : Math.max(...before);
}

function blocksTable(r: BlocksReport, zone: string, now: number, limit: number | undefined): string {
  if (r.blocks.length === 0)
    return (
      'No coding-agent calls in this range (--since defaults to 7d). Windows are drawn from calls that name an ' +
      `agent: import an agent's logs (tokenledger import auto).${withoutAgent(r)}\n`
    );
  // Each window's tokens against the limit given, else against the largest window's (as ccusage).
  const whole = limit ?? Math.max(...r.blocks.map(tokensOf));
  const share = (tokens: number) => (whole === 0 ? '—' : `${((tokens * 100) / whole).toFixed(1)}%`);
  const header = [
    'agent',
    `window start (${zone})`,
    'status',
    'calls',
    'tokens',
    limit === undefined ? '% of largest' : `% of ${groupDigits(limit)}`,
    'cost',
    'models',
  ];
  const rows = r.blocks.map((b) => [
    b.agent,
    wallTime(b.start, zone),
    status(b, now),
    groupDigits(b.calls),
    groupDigits(tokensOf(b)),
    share(tokensOf(b)),
    b.unpriced_calls === 0 ? formatUsdDisplay(b.cost_usd) : `${formatUsdDisplay(b.cost_usd)} *`,
    b.models.join(', '),
  ]);
  const notes: string[] = [];
  for (const b of r.blocks.filter((x) => x.burn !== null)) {
    const burn = b.burn!;
    notes.push(
      `${b.agent}: ${groupDigits(Math.round(burn.tokens_per_minute))} tokens a minute, ` +
        `${formatUsdDisplay(burn.cost_per_hour_usd)} an hour since the window's first call; at that pace ` +
        `${groupDigits(burn.projected_tokens)} tokens and ${formatUsdDisplay(burn.projected_cost_usd)} by its end ` +
        `(${wallTime(b.end, zone)})` +
        (limit === undefined
          ? ''
          : `: ${share(burn.projected_tokens)} of the ${groupDigits(limit)}-token limit` +
            (burn.projected_tokens > limit ? ', over it' : '')),
    );
  }
  if (r.blocks.some((b) => b.unpriced_calls > 0))
    notes.push('* leaves out calls with no price (tokenledger prices show MODEL says why)');
  return (
    `${r.user === null ? '' : `${r.user}\n\n`}${renderTable(header, rows, 3)}\n\n` +
    'A window opens at the hour of the first call after the last one ended and holds five hours of calls ' +
    '(docs/cli.md, blocks).\n' +
    notes.map((n) => `${n}\n`).join('') +
    (r.without_agent > 0 ? `${withoutAgent(r).trim()}\n` : '')
  );
}

/** "2h 14m left" for the open window; the span of its calls ("1h 59m") for the others. */
function status(b: LedgerBlock, now: number): string {
  return b.active ? `active, ${span(b.end - now)} left` : span(b.last_call - b.start);
}

/** A stretch of time as "45m", or "2h 14m" from an hour on. */
export function span(us: number): string {
  const minutes = Math.floor(us / 60_000_000);
  return minutes < 60 ? `${minutes}m` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function withoutAgent(r: BlocksReport): string {
  return r.without_agent === 0 ? '' : ` ${counted(r.without_agent, 'call')} with no agent are in no window.`;
}

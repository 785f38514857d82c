import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { TokenledgerError } from '../errors.js';
import type { UnpricedEvent } from '../ledger/event.js';
import { formatUsdDisplay } from '../money/money.js';
import { parseStatusInput, type StatusInput } from '../statusline/input.js';
import { pendingCalls } from '../statusline/pending.js';
import { earliestShown, type Spend, type Status, sessionStatus } from '../statusline/status.js';
import { span } from './blocks.js';
import { type LedgerOptions, nowMicros, osUser, withStore } from './context.js';
import { parseTimeZone } from './filters.js';
import {
  importLocalAgentLogs,
  type LocalAgentLogs,
  localAgentLogs,
  takesTelemetry,
  type UnreadLog,
  unreadAgentLogs,
} from './import.js';

export interface StatuslineOptions extends LedgerOptions {
  tz?: string;
}

/**
 * `tokenledger statusline`: the line Claude Code draws under its prompt (settings.json `statusLine`), as
 * `ccusage statusline` draws it: the session's spend, the person's today, Claude Code's open five-hour window with
 * its time left and pace, and how full the context is. Each draw imports this machine's agent logs first, as
 * `tokenledger` alone does, those that can hold a call of the line's, and counts the response still being written
 * from the session's log (pending.ts).
 *
 * Claude Code runs the command in whatever folder the session is in, so the ledger is the home folder's
 * (~/.tokenledger/ledger.duckdb) unless --db or TOKENLEDGER_DB names one: a ledger per project folder would each
 * hold every project's logs.
 */
export async function statuslineCommand(
  o: StatuslineOptions,
  stdin: string,
  out: (s: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): Promise<void> {
  const input = parseStatusInput(stdin);
  const zone = parseTimeZone(o.tz) ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const ledger = { ...o, db: o.db ?? env.TOKENLEDGER_DB ?? join(home, '.tokenledger', 'ledger.duckdb') };
  const read = await readStatus(ledger, input, zone, env, home).catch((e: unknown) => {
    if (e instanceof TokenledgerError && e.code === 'CLI_LEDGER_BUSY') return null;
    throw e;
  });
  out(
    read === null
      ? 'tokenledger: the ledger is in use by another command; the next redraw reads it\n'
      : `${statusLine(input, read.status, read.now)}\n`,
  );
}

/**
 * This machine's agent logs imported, then the session's figures with what its logs gained since (pending.ts). When
 * only the session's own logs grew (its subagents' too), by at most LIGHT_TAIL_BYTES, nothing is imported: what they
 * gained is counted from the files, and the ledger is not written. Storing a response and closing the ledger after a
 * write (its rollup compacted, its checkpoint) cost ~0.3 s of each line drawn after a response (bench/RESULTS.md,
 * Status line).
 */
function readStatus(
  ledger: StatuslineOptions,
  input: StatusInput,
  zone: string,
  env: NodeJS.ProcessEnv,
  home: string,
): Promise<{ now: number; status: Status }> {
  return withStore(
    ledger,
    async (store) => {
      const found = await localAgentLogs(env, home);
      const transcript = input.transcriptPath === null ? null : resolve(input.transcriptPath);
      // A ledger that takes Claude Code's calls from its telemetry (OTLP) has them under other ids: its logs are
      // neither imported (import.ts) nor counted from the file, or each call would count twice.
      const telemetry = transcript !== null && (await takesTelemetry(store, 'claude-code'));
      const own = telemetry ? null : transcript;
      const mine = own === null ? [] : sessionLogs(found, own);
      // Months of history are the next report's to import: the first line on 300 MB of logs took ~3 s importing
      // them (bench/RESULTS.md, Status line), and no call in them is on the line.
      const logs = writtenSince(found, earliestShown(nowMicros(), zone) / 1000, mine);
      const unread = await unreadAgentLogs(store, logs);
      const light = onlyOwnGrew(unread.reads, mine);
      if (!light) await importLocalAgentLogs(store, () => {}, ledger, env, home, logs);
      const now = nowMicros();
      const fallbackUser = osUser();
      const pricing = async () => {
        const pricer = await (await import('./pricer.js')).loadCliPricer(ledger);
        return (e: UnpricedEvent) => pricer.price(e);
      };
      // Without an import, the states the logs were judged from are the ledger's still.
      const states =
        (light ? unread.states.get('claude-code') : await store.records?.fileStates('claude-code')) ??
        new Map();
      const ctx = { ingestedAt: now, defaults: { user: fallbackUser } };
      // Subagents' first: the last call pending is the conversation's own, whose context the line shows.
      const pending = (
        await Promise.all(mine.map((p) => pendingCalls(store, p, states, pricing, ctx)))
      ).flat();
      const status = await sessionStatus(store, {
        sessionId: input.sessionId,
        pending,
        fallbackUser,
        now,
        zone,
      });
      return { now, status };
    },
    // Claude Code draws the line again at its next update: a line that waited out a long command on the ledger (an
    // import of months of logs, a reprice) would hold its redraws, and each would wait in turn.
    { lockWaitMs: BUSY_AFTER_MS },
  );
}

/**
 * The session's Claude Code logs found here: its subagents' (`<session>/subagents/*.jsonl` beside its log), then its
 * own log `own`.
 */
function sessionLogs(logs: LocalAgentLogs, own: string): string[] {
  const subagents = `${own.replace(/\.jsonl$/, '')}${sep}`;
  const found = logs.find((j) => j.kind === 'claude-code')?.files ?? [];
  return [...found.map((f) => resolve(f)).filter((f) => f.startsWith(subagents)), own];
}

/**
 * `logs` with only the files written at or after `sinceMs`, and the session's own (`keep`) whatever their time: a
 * file's calls were all written to it by its last write, so an older file holds none of the day's or the window's.
 */
function writtenSince(logs: LocalAgentLogs, sinceMs: number, keep: readonly string[]): LocalAgentLogs {
  return logs.map((j) => {
    if (j.files === null) return j;
    const files = j.files.filter((f) => lastWriteMs(f) >= sinceMs || keep.includes(resolve(f)));
    return { ...j, files: files.length > 0 ? files : null };
  });
}

/** A file that cannot be looked at is kept, so that the import says why. */
function lastWriteMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Whether no agent log has anything new, or only `mine` (the session's logs, when the line counts from them) have,
 * each read by an import before and grown by at most LIGHT_TAIL_BYTES together since (pending.ts counts that).
 */
function onlyOwnGrew(reads: readonly UnreadLog[], mine: readonly string[]): boolean {
  // A log never imported (a new subagent's) has no stop to count from.
  if (reads.some((r) => r.kind !== 'claude-code' || !mine.includes(r.path) || !r.resumed)) return false;
  return reads.reduce((n, r) => n + r.bytes, 0) <= LIGHT_TAIL_BYTES;
}

/**
 * How much of its own logs a line counts without importing them: parsed on every draw until an import stores it, so
 * kept to a few milliseconds of parsing (a response's lines are a few kB, up to ~100 kB with large tool output).
 */
const LIGHT_TAIL_BYTES = 1024 * 1024;

/** How long a line waits for another command to let go of the ledger file: a report takes well under a second. */
const BUSY_AFTER_MS = 2_000;

/** A model's context window when Claude Code does not say it: 1M tokens for the ids it marks `[1m]`, else 200k. */
const contextSizeOf = (modelId: string | null) => (modelId?.endsWith('[1m]') ? 1_000_000 : 200_000);

/** One line: `Opus 4.6 · $1.23 session · $4.56 today · $3.21 window, 2h 45m left, $1.10/h · context 61%`. */
export function statusLine(input: StatusInput, s: Status, now: number): string {
  const parts: string[] = [];
  const model = input.model.name ?? s.last?.model ?? null;
  if (model !== null) parts.push(model);
  if (s.session !== null) parts.push(`${spent(s.session)} session`);
  parts.push(`${spent(s.today)} today`);
  const w = s.window;
  parts.push(
    w === null
      ? 'no open window'
      : `${spent(w)} window, ${span(w.end - now)} left` +
          (w.burn === null ? '' : `, ${formatUsdDisplay(w.burn.cost_per_hour_usd)}/h`),
  );
  const percent =
    input.contextPercent ??
    (s.last === null
      ? null
      : (s.last.prompt_tokens * 100) / (input.contextSize ?? contextSizeOf(input.model.id)));
  if (percent !== null) parts.push(`context ${Math.round(percent)}%`);
  return parts.join(' · ');
}

/** A cost that leaves unpriced calls out is marked `*`; one of unpriced calls alone says so (docs/metrics.md). */
function spent(s: Spend): string {
  if (s.calls > 0 && s.unpriced_calls === s.calls) return 'unpriced';
  return `${formatUsdDisplay(s.cost_usd)}${s.unpriced_calls > 0 ? '*' : ''}`;
}

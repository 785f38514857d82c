import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { IMPORT_KINDS } from '../ingest/kinds.js';
import { readFile } from '../ingest/read-file.js';
import { emptySummary } from '../ingest/summary.js';
import type { UnpricedEvent, UsageEvent } from '../ledger/event.js';
import { claudeCodeSource } from '../sources/claude-code/parse.js';
import type { ParseContext } from '../sources/source.js';
import type { FileState } from '../store/import-records.js';
import type { Store } from '../store/store.js';

/**
 * The calls of a Claude Code session log that the ledger does not hold yet, priced as they stand now: what the log
 * gained after where the last import stopped, counted for the line and not stored. Two kinds:
 * - An import holds a log's last response back while the log is fresh (docs/sources/claude-code.md): its lines are
 *   still being written, and storing it early would keep its placeholder output count for good. A line drawn after
 *   each response would then always leave the latest out. The import stores it once the next response starts or the
 *   log settles.
 * - A line drawn when only its own session's logs grew by a little does not import at all (statusline.ts): their
 *   new responses are counted from here until an import stores them.
 * `states`: the ledger's import states of Claude Code's logs (ImportRecords.fileStates).
 */
export async function pendingCalls(
  store: Store,
  log: string,
  states: ReadonlyMap<string, FileState>,
  pricing: () => Promise<(e: UnpricedEvent) => UsageEvent>,
  ctx: Omit<ParseContext, 'path'>,
): Promise<UsageEvent[]> {
  const path = resolve(log);
  let size: number;
  let mtimeMs: number;
  try {
    ({ size, mtimeMs } = statSync(path));
  } catch {
    return []; // No log yet (a session that has made no call), or one gone: nothing is pending.
  }
  // Where the last import left the log: at the first line of the response it held back, from which on it stored
  // nothing, or, holding nothing back, at the start of the last response it stored (below), the log then whole in the
  // ledger until it grows. A log it never read is not the ledger's (outside the folders `tokenledger` reads, or left
  // to the agent's telemetry, whose calls have other ids and must not count twice).
  const state = states.get(path);
  if (state === undefined || (!state.heldBack && size <= state.size)) return [];
  const price = await pricing();
  const kind = IMPORT_KINDS[claudeCodeSource.id]!;
  const calls: UsageEvent[] = [];
  await readFile(
    claudeCodeSource,
    path,
    {
      read: true,
      offset: state.offset,
      lineNo: state.lineNo,
      // Read to the end as it is now: the response being written counts with what its lines say so far.
      holdTail: false,
      check: null,
      parserState: state.parserState,
      mtimeMs,
      size,
    },
    // As the import reads the kind's files: the parser judges encodings, lines without usage are not decoded.
    { mode: 'append', judge: kind.parserJudgesEncoding, skipUnless: kind.skipUnless },
    ctx,
    // A line cut mid-write is the response still coming: the next draw reads it whole.
    { event: (e) => calls.push(price(e)), skip: () => {} },
    emptySummary(),
    () => undefined,
    () => {},
  );
  if (state.heldBack || calls.length === 0) return calls;
  // Not held back, the import stopped at the start of the log's last response, which it stored: a response may gain
  // lines, so the next import reads it again and the ledger keeps it once. Those the ledger holds are not pending.
  const ts = calls.map((e) => e.ts);
  const held = await store.events({
    filters: [{ dimension: 'session_id', values: [...new Set(calls.map((e) => e.session_id))] }],
    since: Math.min(...ts),
    until: Math.max(...ts) + 1,
  });
  const ids = new Set(held.map((e) => e.event_id));
  return calls.filter((e) => !ids.has(e.event_id));
}

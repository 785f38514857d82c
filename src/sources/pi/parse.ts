import {
  isObject,
  isProblem,
  jsonLines,
  type LineProblem,
  SKIP_CODES,
  str,
  timestampOf,
} from '../json-line.js';
import type { ResumableSource } from '../resumable.js';
import type { ParseContext, Sink } from '../source.js';
import { factsFromPath, messageEvent, PI_SOURCE_ID, type SessionFacts, sessionOfFile } from './message.js';

export { PI_SOURCE_ID } from './message.js';

/**
 * pi coding agent sessions (`~/.pi/agent/sessions/<--cwd-->/<time>_<uuid>.jsonl`): a header line
 * `{type: "session", version, id, timestamp, cwd, parentSession?}`, then one line per entry, appended as the session
 * runs and never rewritten (session-manager.ts `_persist`: appendFileSync). Each assistant message entry carries the
 * usage of the model call that produced it: one event per such line, streamed out as it is read. The parser keeps
 * only the header's facts, which it hands to an import that reads on from the middle of the file (`state()`).
 *
 * Branches (`/tree`, going back to an earlier entry) live in the same file as further entries: every call on every
 * branch was made and billed, and each is counted once. Forks (`/fork`, `--fork`) are new files that start with a
 * copy of the parent's entries; the copies give the parent's event ids, so the ledger keeps each call once, and
 * are attributed to the parent session (docs/sources/pi.md, "Forks").
 */
export const piSource: ResumableSource = {
  id: PI_SOURCE_ID,
  open(ctx, sink) {
    return openSession(ctx, sink, null).parser;
  },
  openResumable(ctx, sink, o) {
    const { parser, facts } = openSession(ctx, sink, o.state ?? null);
    return {
      line: parser.line,
      skipped: parser.skipped,
      end: parser.end,
      // Every entry is final once its line is written: nothing is held back but an unterminated last line.
      resumeLine: () => null,
      state: () => JSON.stringify(facts()),
    };
  },
  appendsLines: () => true,
};

interface Snapshot extends SessionFacts {
  headerSeen: boolean;
}

function openSession(ctx: ParseContext, sink: Sink, saved: string | null) {
  let facts: SessionFacts = factsFromPath(ctx.path);
  let headerSeen = false;
  if (saved !== null) {
    try {
      const s = JSON.parse(saved) as Snapshot;
      facts = {
        sessionId: s.sessionId,
        folder: s.folder,
        cwd: s.cwd,
        startedAt: s.startedAt,
        parentId: s.parentId,
      };
      headerSeen = s.headerSeen;
    } catch {
      // A damaged or older state: the path alone is the context.
    }
  }
  const header = (h: Record<string, unknown>) => {
    headerSeen = true;
    const started = timestampOf(h.timestamp, 'timestamp');
    const parent = str(h.parentSession);
    facts = {
      ...facts,
      sessionId: str(h.id) ?? facts.sessionId,
      cwd: str(h.cwd) ?? facts.cwd,
      startedAt: isProblem(started) ? null : started,
      parentId: parent ? sessionOfFile(baseStem(parent)) : null,
    };
  };
  const onValue = (value: unknown, lineNo: number): LineProblem | undefined => {
    if (!isObject(value)) return { code: SKIP_CODES.badRecord, reason: 'expected a JSON object per line' };
    // The first header names the session; pi writes one, at the top.
    if (value.type === 'session') {
      if (!headerSeen) header(value);
      return undefined;
    }
    const e = messageEvent(value, lineNo, facts, ctx);
    if (e === null) return undefined;
    if (isProblem(e)) return e;
    sink.event(e);
    return undefined;
  };
  const parser = jsonLines(ctx, sink, onValue);
  return { parser, facts: (): Snapshot => ({ ...facts, headerSeen }) };
}

function baseStem(path: string): string {
  return (path.split(/[\\/]/).at(-1) ?? path).replace(/\.jsonl$/i, '');
}

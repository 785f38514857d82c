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
import { COPILOT_SOURCE_ID, modelEvent, type SessionFacts } from './shutdown.js';

export { COPILOT_SOURCE_ID } from './shutdown.js';

/**
 * Text every line this parser reads contains: `"type":"session.start"`, `session.resume`, `session.context_changed`
 * and `session.shutdown`. Prompts, answers and tool output (most of a log's bytes) are not decoded.
 */
export const COPILOT_LINE_MARK = '"session.';

/**
 * GitHub Copilot CLI session logs (`~/.copilot/session-state/<session id>/events.jsonl`), one `{id, timestamp, type,
 * data, parentId}` event per line, appended while the session runs. Token counts are only in `session.shutdown`,
 * written when the CLI process leaves the session: `data.modelMetrics` sums each model's calls since the process
 * started or resumed the session, so a session resumed and left again holds one shutdown per stretch, each counting
 * only its own (docs/sources/copilot.md, "Resumed sessions"). One aggregate event per shutdown and model.
 *
 * The session's id, working folder, repository and branch come from `session.start` and are updated by
 * `session.resume` and `session.context_changed`; an import that reads on from the middle of a grown log gets them as
 * `state()`. Every shutdown line is final once written: nothing is held back.
 */
export const copilotSource: ResumableSource = {
  id: COPILOT_SOURCE_ID,
  open(ctx, sink) {
    const log = new SessionLog(ctx, sink);
    return jsonLines(ctx, sink, (v, n) => log.line(v, n), undefined, { mustContain: COPILOT_LINE_MARK });
  },
  openResumable(ctx, sink, o) {
    const log = new SessionLog(ctx, sink);
    if (o.state) log.restore(o.state);
    const p = jsonLines(ctx, sink, (v, n) => log.line(v, n), undefined, { mustContain: COPILOT_LINE_MARK });
    return { ...p, resumeLine: () => null, state: () => log.snapshot() };
  },
  appendsLines: () => true,
};

class SessionLog {
  private facts: SessionFacts;
  private started = false;

  constructor(
    private readonly ctx: ParseContext,
    private readonly sink: Sink,
  ) {
    // The session's folder is named by its id; session.start says the same, and wins when present.
    const parts = ctx.path.split(/[\\/]/).filter((p) => p !== '');
    const folder = parts.length > 1 ? parts.at(-2)! : (parts.at(-1) ?? ctx.path);
    this.facts = { sessionId: folder, cwd: null, repository: null, branch: null, copilotVersion: null };
  }

  snapshot(): string {
    return JSON.stringify({ ...this.facts, started: this.started });
  }

  /** A state from an older version or a damaged one is ignored: the lines alone are then the context. */
  restore(text: string): void {
    try {
      const s = JSON.parse(text) as SessionFacts & { started?: boolean };
      if (typeof s.sessionId !== 'string') return;
      this.facts = {
        sessionId: s.sessionId,
        cwd: s.cwd ?? null,
        repository: s.repository ?? null,
        branch: s.branch ?? null,
        copilotVersion: s.copilotVersion ?? null,
      };
      this.started = s.started === true;
    } catch {}
  }

  line(value: unknown, lineNo: number): LineProblem | undefined {
    if (!isObject(value)) return { code: SKIP_CODES.badRecord, reason: 'expected a JSON object per line' };
    const data = isObject(value.data) ? value.data : null;
    switch (value.type) {
      case 'session.start':
        if (data && !this.started) {
          this.started = true;
          this.facts.sessionId = str(data.sessionId) ?? this.facts.sessionId;
          this.facts.copilotVersion = str(data.copilotVersion) ?? this.facts.copilotVersion;
          this.context(data.context);
        }
        return undefined;
      case 'session.resume':
        if (data) this.context(data.context);
        return undefined;
      case 'session.context_changed':
        this.context(data);
        return undefined;
      case 'session.shutdown':
        return this.shutdown(value, data, lineNo);
      default:
        return undefined;
    }
  }

  /** A working-directory context replaces the one before: a folder outside any repository has none. */
  private context(c: unknown): void {
    if (!isObject(c) || str(c.cwd) === null) return;
    this.facts.cwd = str(c.cwd);
    this.facts.repository = str(c.repository);
    this.facts.branch = str(c.branch);
  }

  private shutdown(
    line: Record<string, unknown>,
    data: Record<string, unknown> | null,
    lineNo: number,
  ): LineProblem | undefined {
    if (!data) return { code: SKIP_CODES.badRecord, reason: 'data: expected the shutdown metrics object' };
    const metrics = data.modelMetrics;
    // A shutdown with no call made (a session opened and closed) writes an empty object, or none in old versions.
    if (metrics === undefined || metrics === null) return undefined;
    if (!isObject(metrics))
      return { code: SKIP_CODES.badRecord, reason: 'data.modelMetrics: expected an object' };
    const ts = timestampOf(line.timestamp, 'timestamp');
    if (isProblem(ts)) return ts;
    const ref = `${this.ctx.path}:${lineNo}`;
    const type = str(data.shutdownType);
    const shutdown = {
      id: str(line.id) ?? `line:${lineNo}`,
      ts,
      ref,
      shutdownType: type === 'routine' ? null : type,
    };
    // Each model is its own record: one with unreadable counts is reported and the others are still counted.
    for (const [model, m] of Object.entries(metrics)) {
      const e = modelEvent(model, m, shutdown, this.facts, this.ctx);
      if (e === null) continue;
      if (isProblem(e)) this.sink.skip({ ref, ...e });
      else this.sink.event(e);
    }
    return undefined;
  }
}

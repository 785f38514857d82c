import { decodeJsonLine, isObject, isProblem, jsonLines, SKIP_CODES } from '../json-line.js';
import type { LineParser, LineSource, ParseContext, Sink } from '../source.js';
import { factsFromPath, GEMINI_CLI_SOURCE_ID, messageEvent, usageFields } from './message.js';

export { GEMINI_CLI_SOURCE_ID } from './message.js';

/**
 * Gemini CLI chat recordings under `~/.gemini/tmp/<project>/chats/`. Two shapes:
 *
 * - `*.json` (Gemini CLI up to late 2025): one document `{sessionId, projectHash, startTime, lastUpdated,
 *   messages[]}`, rewritten whole on every change. Lines are accumulated and parsed at `end()`.
 * - `*.jsonl` (later versions): a header `{sessionId, projectHash, …}`, then one line per message write. A message
 *   is written again (same `id`) when its tokens or tool calls arrive; `{"$set": {…, messages?}}` lines update
 *   metadata and may restate the whole message list; `{"$rewindTo": id}` hides later messages from the chat.
 *
 * One event per message id, from its last version that carries tokens. Rewound messages are still counted: the
 * calls were made and billed even if the user rewound the conversation. Other JSON files in the folder (logs.json,
 * checkpoints) have no `messages` and yield nothing.
 */
export const geminiCliSource: LineSource = {
  id: GEMINI_CLI_SOURCE_ID,
  open(ctx, sink) {
    return isDocument(ctx.path) ? openDocument(ctx, sink) : openJsonl(ctx, sink);
  },
  // The CLI appends to a `.jsonl` session as it runs; a `.json` one is rewritten whole and may end without a newline.
  appendsLines: (path) => !isDocument(path),
};

const isDocument = (path: string): boolean => /\.json$/i.test(path);

function openJsonl(ctx: ParseContext, sink: Sink): LineParser {
  let header: Record<string, unknown> = {};
  const latest = new Map<string, { msg: Record<string, unknown>; lineNo: number }>();
  const keep = (msg: unknown, lineNo: number) => {
    if (!isObject(msg) || typeof msg.id !== 'string' || msg.type !== 'gemini') return;
    if (msg.tokens === undefined || msg.tokens === null) return;
    const held = latest.get(msg.id);
    // A restatement with the same tokens (a `$set` of the whole list) keeps pointing at the line that wrote them.
    if (held && JSON.stringify(held.msg.tokens) === JSON.stringify(msg.tokens)) return;
    latest.delete(msg.id); // re-insert so events come out in the order of their final writes
    // Only what the event is made of: a message's content, thoughts and tool results (whole files read, command
    // output) are most of a log's bytes, and kept to the end of the file they held it all in memory.
    latest.set(msg.id, { msg: usageFields(msg), lineNo });
  };
  return jsonLines(
    ctx,
    sink,
    (value, lineNo) => {
      if (!isObject(value)) return { code: SKIP_CODES.badRecord, reason: 'expected a JSON object per line' };
      if (typeof value.id === 'string') keep(value, lineNo);
      else if (isObject(value.$set)) {
        if (Array.isArray(value.$set.messages)) for (const m of value.$set.messages) keep(m, lineNo);
      } else if (typeof value.sessionId === 'string' && header.sessionId === undefined) header = value;
      return undefined;
    },
    () => {
      const facts = factsFromPath(ctx.path, header);
      for (const { msg, lineNo } of latest.values()) {
        const ref = `${ctx.path}:${lineNo}`;
        const e = messageEvent(msg, ref, facts, ctx);
        if (e === null) continue;
        if (isProblem(e)) sink.skip({ ref, ...e });
        else sink.event(e);
      }
    },
  );
}

function openDocument(ctx: ParseContext, sink: Sink): LineParser {
  const lines: string[] = [];
  return {
    line(text) {
      lines.push(text);
    },
    end() {
      const text = lines.join('\n');
      if (text.trim() === '') return;
      const decoded = decodeJsonLine(text);
      if (!decoded.ok) {
        sink.skip({
          ref: `${ctx.path}:1`,
          code: decoded.problem.code,
          reason: `whole file: ${decoded.problem.reason}`,
        });
        return;
      }
      const doc = decoded.value;
      if (!isObject(doc) || !Array.isArray(doc.messages)) return;
      const facts = factsFromPath(ctx.path, doc);
      const find = idFinder(lines);
      doc.messages.forEach((msg, i) => {
        // source_ref points at the line where the message's id appears (pretty-printed files span many lines).
        const at = isObject(msg) && typeof msg.id === 'string' ? find(JSON.stringify(msg.id)) : -1;
        const ref = `${ctx.path}:${at >= 0 ? at + 1 : 1}`;
        const e = messageEvent(msg, ref, facts, ctx);
        if (e === null) return;
        if (isProblem(e)) sink.skip({ ref, code: e.code, reason: `messages[${i}].${e.reason}` });
        else sink.event(e);
      });
    },
  };
}

/**
 * The line of each message id in turn, searching on from just after the previous one: messages appear in file order,
 * so the whole file is read about once. Searching every line from the top for each id made a session of n messages
 * cost n² (10,000 messages in one minified line: 9 s; 40,000: 115 s). An id not found (written with other escapes)
 * gives -1 and leaves the place where it was.
 */
function idFinder(lines: readonly string[]): (id: string) => number {
  let line = 0;
  let col = 0;
  return (id) => {
    for (let n = line; n < lines.length; n++) {
      const c = lines[n]!.indexOf(id, n === line ? col : 0);
      if (c >= 0) {
        line = n;
        col = c + id.length;
        return n;
      }
    }
    return -1;
  };
}

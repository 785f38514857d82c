import { SKIP_CODES } from '../json-line.js';
import type { LineSource } from '../source.js';
import { type JsonPath, pickJson } from './pick-json.js';
import { AMP_SOURCE_ID, type MessageFacts, type ThreadFacts, threadEvents } from './thread-events.js';

export { AMP_SOURCE_ID, AMP_UNKNOWN_MODEL } from './thread-events.js';

/**
 * Amp threads, `<amp data>/threads/T-<uuid>.json`: one JSON document per thread `{v, id, created, title, env,
 * messages[], usageLedger?}`, rewritten whole as the thread goes on. The document is read as a stream, keeping only
 * what events are made of (thread id and time, the first workspace tree, each message's role, number and usage, the
 * ledger's events); prompts, tool calls and their output pass through without being held. Events are made at
 * `end()`, when the whole thread has been seen (a ledger event may name a message that comes before or after it).
 *
 * A document that is not JSON is one skip at the line where it broke (`SRC_BAD_JSON`, `SRC_NOT_UTF8`), or at its
 * last line when it ends open (`SRC_TRUNCATED`: a thread caught mid-write), and yields no events: which calls it
 * held is not known until it is whole. A JSON file without messages or ledger yields nothing.
 */
export const ampSource: LineSource = {
  id: AMP_SOURCE_ID,
  open(ctx, sink) {
    const t: ThreadFacts = { trees: [], messages: new Map(), ledger: [] };
    const message = (i: number, line: number): MessageFacts => {
      let m = t.messages.get(i);
      if (m === undefined) {
        m = { line };
        t.messages.set(i, m);
      }
      return m;
    };
    const picker = pickJson(wanted, 3, ({ path, value, line }) => {
      if (path.length === 1) {
        if (path[0] === 'id') t.id = value;
        else t.created = value;
      } else if (path[0] === 'env') t.trees.push(value);
      else if (path[0] === 'usageLedger') t.ledger.push({ value, line, index: path[2] as number });
      else {
        const m = message(path[1] as number, line);
        if (path[2] === 'role') m.role = value;
        else if (path[2] === 'messageId') m.messageId = value;
        else {
          m.usage = value;
          m.line = line;
        }
      }
    });
    return {
      line: (text, lineNo) => picker.line(text, lineNo),
      end() {
        const err = picker.end();
        if (err === null) return threadEvents(t, ctx, sink);
        sink.skip({
          ref: `${ctx.path}:${err.line}`,
          code:
            err.kind === 'unclosed'
              ? SKIP_CODES.truncated
              : err.kind === 'notUtf8'
                ? SKIP_CODES.notUtf8
                : SKIP_CODES.badJson,
          reason:
            err.kind === 'unclosed'
              ? 'thread ends before its JSON closes (Amp may be rewriting it); none of its calls was read'
              : `thread is not JSON (${err.reason}); none of its calls was read`,
        });
      },
    };
  },
};

/** The paths kept: `id`, `created`, `env.initial.trees[i]`, `messages[i].{role, messageId, usage}`, `usageLedger.events[i]`. */
function wanted(p: JsonPath): boolean {
  switch (p.length) {
    case 1:
      return p[0] === 'id' || p[0] === 'created';
    case 3:
      if (p[0] === 'messages') {
        return typeof p[1] === 'number' && (p[2] === 'role' || p[2] === 'messageId' || p[2] === 'usage');
      }
      return p[0] === 'usageLedger' && p[1] === 'events' && typeof p[2] === 'number';
    case 4:
      return p[0] === 'env' && p[1] === 'initial' && p[2] === 'trees' && typeof p[3] === 'number';
    default:
      return false;
  }
}

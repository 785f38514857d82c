import { isObject, isProblem, jsonLines, type LineProblem, SKIP_CODES } from '../json-line.js';
import type { ResumableSource } from '../resumable.js';
import type { ParseContext, Sink } from '../source.js';
import { factsFromPath, QWEN_CODE_SOURCE_ID, recordEvent } from './message.js';

export { QWEN_CODE_SOURCE_ID } from './message.js';

/**
 * Qwen Code chat recordings (`~/.qwen/projects/<project>/chats/<session id>.jsonl`): one `ChatRecord` per line,
 * appended and never rewritten (QwenLM/qwen-code packages/core/src/services/chatRecordingService.ts: "Append-only
 * writes (never rewrite the file)"), each with a fresh random `uuid`. An assistant record carries the usage of the
 * model call that produced it: one event per such line, streamed out as it is read; nothing is held between lines.
 *
 * `system` records with subtype `ui_telemetry` repeat, as `api_response` UI events, the usage of calls the assistant
 * records already carry (telemetry/loggers.ts `logApiResponse` records every response it logs), with no id linking
 * the two: they are not read, or each call would be counted twice (docs/sources/qwen-code.md, "Telemetry records").
 */
export const qwenCodeSource: ResumableSource = {
  id: QWEN_CODE_SOURCE_ID,
  open(ctx, sink) {
    return openChat(ctx, sink);
  },
  openResumable(ctx, sink) {
    const parser = openChat(ctx, sink);
    return {
      line: parser.line,
      skipped: parser.skipped,
      end: parser.end,
      // Every record is final once its line is written, and none depends on another.
      resumeLine: () => null,
    };
  },
  appendsLines: () => true,
};

/** Only lines with this text can hold a record that becomes an event. */
export const QWEN_CODE_USAGE_MARK = '"usageMetadata"';

function openChat(ctx: ParseContext, sink: Sink) {
  const facts = factsFromPath(ctx.path);
  const onValue = (value: unknown, lineNo: number): LineProblem | undefined => {
    if (!isObject(value)) return { code: SKIP_CODES.badRecord, reason: 'expected a JSON object per line' };
    const e = recordEvent(value, `${ctx.path}:${lineNo}`, facts, ctx);
    if (e === null) return undefined;
    if (isProblem(e)) return e;
    sink.event(e);
    return undefined;
  };
  return jsonLines(ctx, sink, onValue, undefined, { mustContain: QWEN_CODE_USAGE_MARK });
}

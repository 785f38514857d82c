import { TokenledgerError } from '../errors.js';

export interface StatusInput {
  sessionId: string | null;
  /** The session's log: its last response, not in the ledger while it is written, is counted from here. */
  transcriptPath: string | null;
  /** Model id and the name Claude Code shows for it. */
  model: { id: string | null; name: string | null };
  /** The share of the context window the last call's prompt filled (0-100), when Claude Code says it. */
  contextPercent: number | null;
  /** The window's size in tokens, when Claude Code says it. */
  contextSize: number | null;
}

/**
 * What Claude Code hands a status line command on standard input each time it redraws the line (its docs, "Status
 * line": a JSON object). Only the fields read here are checked; the others (workspace, version, cost, output_style,
 * rate limits, …) pass unread, and every field is optional: older versions send fewer. Checked by hand, not with
 * zod as files and requests are: loading zod costs ~80 ms, a tenth of a line's time, on every redraw.
 *
 * An empty input (a terminal, or nothing piped) is a line with no session: today's spend and the open window.
 */
export function parseStatusInput(text: string): StatusInput {
  let json: unknown = {};
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw bad(`not JSON (${(e as Error).message})`);
    }
  }
  const root = object(json, '(top level)') ?? {};
  const model = object(root.model, 'model');
  const window = object(root.context_window, 'context_window');
  const usage = object(window?.current_usage, 'context_window.current_usage');
  const size = count(window?.context_window_size, 'context_window.context_window_size', 1);
  const used = window?.used_percentage;
  if (used != null && (typeof used !== 'number' || !(used >= 0)))
    throw bad('context_window.used_percentage: expected a number of at least 0');
  const prompt =
    usage === null
      ? null
      : ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'].reduce(
          (sum, k) => sum + (count(usage[k], `context_window.current_usage.${k}`, 0) ?? 0),
          0,
        );
  return {
    sessionId: string(root.session_id, 'session_id'),
    transcriptPath: string(root.transcript_path, 'transcript_path'),
    model: { id: string(model?.id, 'model.id'), name: string(model?.display_name, 'model.display_name') },
    contextPercent: used ?? (prompt !== null && size !== null ? (prompt * 100) / size : null),
    contextSize: size,
  };
}

type Json = Record<string, unknown>;

function object(v: unknown, at: string): Json | null {
  if (v == null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${at}: expected an object`);
  return v as Json;
}

function string(v: unknown, at: string): string | null {
  if (v == null) return null;
  if (typeof v !== 'string' || v === '') throw bad(`${at}: expected a non-empty string`);
  return v;
}

/** A whole number of at least `min`, or null when absent. */
function count(v: unknown, at: string, min: number): number | null {
  if (v == null) return null;
  if (!Number.isSafeInteger(v) || (v as number) < min)
    throw bad(`${at}: expected a whole number of at least ${min}`);
  return v as number;
}

const bad = (what: string) =>
  new TokenledgerError('STATUSLINE_BAD_INPUT', `standard input, Claude Code's status line JSON: ${what}`);

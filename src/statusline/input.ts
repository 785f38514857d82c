import { z } from 'zod';
import { TokenledgerError } from '../errors.js';
import { problemOf } from '../zod-problem.js';

/**
 * What Claude Code hands a status line command on standard input, each time it redraws the line (its docs,
 * "Status line": a JSON object). Only the fields read here are checked; the others (workspace, version, cost,
 * output_style, rate limits, …) pass unread, and every field is optional: older versions send fewer.
 */
const inputSchema = z.object({
  session_id: z.string().min(1).optional(),
  transcript_path: z.string().min(1).optional(),
  model: z.object({ id: z.string().optional(), display_name: z.string().optional() }).optional(),
  context_window: z
    .object({
      used_percentage: z.number().min(0).nullish(),
      context_window_size: z.number().int().positive().nullish(),
      current_usage: z
        .object({
          input_tokens: z.number().int().min(0).optional(),
          cache_creation_input_tokens: z.number().int().min(0).optional(),
          cache_read_input_tokens: z.number().int().min(0).optional(),
        })
        .nullish(),
    })
    .optional(),
});

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

/** An empty input (a terminal, or nothing piped) is a line with no session: today's spend and the open window. */
export function parseStatusInput(text: string): StatusInput {
  let json: unknown = {};
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw bad(`not JSON (${(e as Error).message})`);
    }
  }
  const r = inputSchema.safeParse(json, { reportInput: true });
  if (!r.success) {
    const issue = r.error.issues[0] as z.core.$ZodIssue;
    throw bad(`${issue.path.join('.') || '(top level)'}: ${problemOf(inputSchema, issue)}`);
  }
  const { session_id, transcript_path, model, context_window: w } = r.data;
  const usage = w?.current_usage;
  const size = w?.context_window_size ?? null;
  const prompt =
    usage == null
      ? null
      : (usage.input_tokens ?? 0) +
        (usage.cache_creation_input_tokens ?? 0) +
        (usage.cache_read_input_tokens ?? 0);
  return {
    sessionId: session_id ?? null,
    transcriptPath: transcript_path ?? null,
    model: { id: model?.id ?? null, name: model?.display_name ?? null },
    contextPercent: w?.used_percentage ?? (prompt !== null && size !== null ? (prompt * 100) / size : null),
    contextSize: size,
  };
}

const bad = (what: string) =>
  new TokenledgerError('STATUSLINE_BAD_INPUT', `standard input, Claude Code's status line JSON: ${what}`);

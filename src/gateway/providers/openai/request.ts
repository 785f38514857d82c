import { replaceTopLevel } from '../../json-splice.js';
import { obj, type PreparedRequest, promptText } from '../provider.js';

const USAGE_OPTION = ',"stream_options":{"include_usage":true}';

/**
 * Chat and legacy completions streams report usage only when asked (`stream_options.include_usage`), so we ask.
 * When the body has no `stream_options` the option is spliced in before the closing brace; otherwise only the value
 * of `stream_options` is replaced, with `include_usage` set. Every other byte stays as the client sent it.
 *
 * A client that asked for usage its own way, OpenRouter's `usage: {include: true}`
 * (https://openrouter.ai/docs/use-cases/usage-accounting), gets the usage chunk: we still ask in the standard way,
 * but nothing is hidden from it.
 */
export function prepareOpenAi(op: string, raw: Buffer, json: Record<string, unknown>): PreparedRequest {
  const stream = json.stream === true;
  if (!stream || (op !== 'chat' && op !== 'completions')) return { body: raw, stream, injectedUsage: false };
  const options = obj(json.stream_options);
  if (options?.include_usage === true) return { body: raw, stream, injectedUsage: false };
  const hide = obj(json.usage)?.include !== true;
  if (json.stream_options === undefined) {
    const close = raw.lastIndexOf(0x7d);
    const body = Buffer.concat([raw.subarray(0, close), Buffer.from(USAGE_OPTION), raw.subarray(close)]);
    return { body, stream, injectedUsage: hide };
  }
  // Only the stream_options value is rewritten: a re-serialised body would change the client's other bytes, and
  // with them any integer past 2^53 (a 64-bit `seed`) that JSON.parse rounded.
  const value = JSON.stringify({ ...options, include_usage: true });
  const body =
    replaceTopLevel(raw, 'stream_options', value) ??
    Buffer.from(JSON.stringify({ ...json, stream_options: JSON.parse(value) }));
  return { body, stream, injectedUsage: hide };
}

/**
 * The request as the client wrote it, for an upstream that refused the usage option (Provider.usageOptionRefused):
 * its stream carries no usage unless the client asked for it, and the call is recorded from its text, estimated.
 */
export function plainOpenAi(raw: Buffer, json: Record<string, unknown>): PreparedRequest {
  return { body: raw, stream: json.stream === true, injectedUsage: false };
}

/** The prompt text of a request, for estimating input tokens when the upstream never reported them. */
export function openAiInputText(json: Record<string, unknown>): string {
  return promptText(json.messages, json.input, json.prompt, json.instructions);
}

/**
 * The tokens of an input sent as token ids, which has no text to count: embeddings' `input` and completions'
 * `prompt` may be an array of token ids or an array of such arrays (https://platform.openai.com/docs/api-reference/
 * embeddings/create), one token each.
 */
export function openAiInputTokenIds(json: Record<string, unknown>): number {
  let tokens = 0;
  for (const v of [json.input, json.prompt]) {
    if (!Array.isArray(v)) continue;
    for (const x of v) {
      if (typeof x === 'number') tokens++;
      else if (Array.isArray(x)) for (const id of x) if (typeof id === 'number') tokens++;
    }
  }
  return tokens;
}

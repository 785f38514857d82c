/** The tokens of one response, as Claude Code's log line carries them (no cache writes). */
export interface ResponseTokens {
  input: number;
  cacheRead: number;
  output: number;
}

/**
 * One line of a Claude Code session log: a whole assistant response with its usage, written at `at` (epoch ms), as
 * tests and benchmarks write live sessions. `id` makes its uuid, request and message ids (`req_<id>`, `msg_<id>`).
 */
export function responseLine(o: {
  session: string;
  id: string;
  at: number;
  model: string;
  tokens: ResponseTokens;
  cwd?: string;
}): string {
  return `${JSON.stringify({
    type: 'assistant',
    sessionId: o.session,
    uuid: `u-${o.id}`,
    timestamp: new Date(o.at).toISOString(),
    requestId: `req_${o.id}`,
    cwd: o.cwd ?? '/home/ana/shop',
    message: {
      model: o.model,
      id: `msg_${o.id}`,
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: '…' }],
      usage: {
        input_tokens: o.tokens.input,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: o.tokens.cacheRead,
        output_tokens: o.tokens.output,
      },
    },
  })}\n`;
}

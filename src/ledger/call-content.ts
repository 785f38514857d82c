/**
 * The text of one gateway call, kept only when the caller's virtual key opts in (`keys create --store-content`):
 * the ledger is about money and attribution, and prompts hold whatever people paste into them (docs/gateway.md,
 * "Prompt and completion text"). It travels through the write-ahead log with its event, so an acknowledged call's
 * text survives a crash as its event does, and is stored beside the event, addressed like it by (event_id, ts).
 */
export interface CallContent {
  event_id: string;
  /** The event's time, epoch µs. */
  ts: number;
  /** The request body exactly as the client sent it (UTF-8). */
  request: string;
  /**
   * The answer's text: message content, reasoning and tool-call arguments, as the client received them (a stream's
   * deltas put together, without the SSE framing); an upstream error's body as it came.
   */
  completion: string;
}

/** How the API and `events --content --format json` show a call's text: its time as `ts_us`, as the events list does. */
export function callContentJson(c: CallContent) {
  return { event_id: c.event_id, ts_us: c.ts, request: c.request, completion: c.completion };
}

import { type Attrs, str } from './values.js';

/**
 * The one rule that keeps a call from being counted twice when a sender reports it both per request (a GenAI span,
 * an agent's api_request log event) and in a counter (gen_ai.client.token.usage, claude_code.token.usage):
 *
 *   per-request records always become events; a counter data point becomes an event only when no per-request
 *   usage has been seen for the same key.
 *
 * Keys: an app is its resource (`service.name` + `service.instance.id`); a coding agent's session is the agent and
 * its `session.id` (agents put it on both their events and their counters), and its events key its resource too,
 * for the GenAI metrics an agent also sends (Gemini CLI's gen_ai.client.token.usage). Senders export logs and spans
 * every few seconds and metrics every minute, so the per-request records of a key are seen before its counters are.
 */
export function spanKey(resource: Attrs): string {
  return `app|${str(resource, 'service.name') ?? ''}|${str(resource, 'service.instance.id') ?? ''}`;
}

export function agentKey(agent: string, record: Attrs, resource: Attrs): string {
  return `agent|${agent}|${str(record, 'session.id') ?? str(resource, 'session.id') ?? str(record, 'conversation.id') ?? ''}`;
}

/** Keys with per-request usage, the most recent `capacity` of them (insertion order, refreshed on sight). */
export class PerRequestRegistry {
  private readonly seen = new Set<string>();
  /**
   * By key, the key its arrival pushed out of the bound, while it is here: a key forgotten (its records were never
   * recorded) brings that one back, else that key's counters would count beside its per-request records.
   */
  private readonly pushedOut = new Map<string, string>();

  /**
   * @param remembered keys from before a restart, least recently seen first (ingest-journal.ts).
   * @param onNew told each key that was not here, for a journal to keep: not a key seen again, which every export
   * of a sender repeats, as the order they were seen in only matters past `capacity`.
   */
  constructor(
    private readonly capacity = 100_000,
    remembered: Iterable<string> = [],
    private readonly onNew?: (key: string) => void,
  ) {
    this.keep(remembered);
  }

  add(keys: Iterable<string>): void {
    if (this.onNew !== undefined) for (const k of keys) if (!this.seen.has(k)) this.onNew(k);
    this.keep(keys);
  }

  /** Every key, least recently seen first. */
  keys(): IterableIterator<string> {
    return this.seen.values();
  }

  private keep(keys: Iterable<string>): void {
    for (const k of keys) {
      this.seen.delete(k);
      this.seen.add(k);
      if (this.seen.size <= this.capacity) continue;
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
      this.pushedOut.delete(oldest);
      this.pushedOut.set(k, oldest);
    }
  }

  has(key: string): boolean {
    return this.seen.has(key);
  }

  /**
   * Forgets `key`: the only records that brought it were never recorded (their export was refused). The key its
   * arrival pushed out comes back, least recently seen as it was, unless it was seen again since.
   */
  forget(key: string): void {
    if (!this.seen.delete(key)) return;
    const out = this.pushedOut.get(key);
    this.pushedOut.delete(key);
    if (out === undefined || this.seen.has(out)) return;
    const rest = [...this.seen];
    this.seen.clear();
    this.seen.add(out);
    for (const k of rest) this.seen.add(k);
  }
}

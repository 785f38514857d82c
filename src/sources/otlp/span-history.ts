/**
 * How long, after the receiver saw a span, it can still take part in agent / task attribution: 30 minutes. An agent
 * run's `invoke_agent` span is exported when the run ends, after the calls under it (the SDKs' BatchSpanProcessor
 * exports ended spans every 5 s), so the calls of a run longer than this are not attributed by it.
 */
export const HISTORY_WINDOW_US = 30 * 60 * 1_000_000;
/**
 * At most this many spans are kept (~28 MB of the OTLP worker's heap: ~560 bytes a waiting call, measured with calls
 * four to a trace); past it the traces seen least recently go first. Under a flood this is what bounds the window
 * instead (at 30k spans/s of calls with parents, under 2 s).
 */
const HISTORY_MAX_SPANS = 50_000;

/** Slots of the root-call table (RootCalls): 2^17, 1 MiB. */
const ROOT_CALL_SLOTS = 1 << 17;

/** An inference span's event as it was stored: what a later wrapper may fill, where null. */
interface StoredEvent {
  id: string;
  ts: number;
  agent: string | null;
  task: string | null;
  /** It reported usage: an inference span around it is then not a call, nor one inside it that reported none. */
  usage: boolean;
}

/** A span remembered across export requests: its parent, what it names if it is a wrapper, its event if a call. */
export interface SpanNode {
  parent: string | null;
  /** A wrapper's agent and workflow (task); both null for a span that only links a call to its ancestors. */
  agent: string | null;
  workflow: string | null;
  /** Receiver time (epoch µs) of the request that brought it. */
  seen: number;
  /** The request that brought it (SpanHistory.generation then). */
  gen: number;
  event: StoredEvent | null;
}

/** What `get` gives for a remembered root call: no parent, no wrapper, stored with usage. */
const ROOT_CALL: SpanNode = Object.freeze({
  parent: null,
  agent: null,
  workflow: null,
  seen: 0,
  gen: 0,
  event: Object.freeze({ id: '', ts: 0, agent: null, task: null, usage: true }),
});

interface Trace {
  seen: number;
  /** Its spans' keys in `nodes`, in the order first put. */
  keys: string[];
}

/**
 * The OTLP receiver's recent spans, by trace, across export requests: enough of each trace (parent links, wrappers,
 * the calls that still lack an agent or task) to attribute a call to a wrapper that comes in another request.
 * Bounded by age (`windowUs` since the span was seen) and count (`maxSpans`, least recently seen traces evicted
 * first). In memory only: a restart starts it empty. Pure: the caller passes the time.
 */
export class SpanHistory {
  /** Traces in eviction order (least recently seen first). */
  private readonly traces = new Map<string, Trace>();
  /**
   * Every span by `traceId/spanId`: one flat map rather than one per trace, since most traces hold one to a few
   * spans here, and a Map per trace more than doubled the worker's garbage collection at 100k spans.
   */
  private readonly nodes = new Map<string, SpanNode>();
  /** Root calls with usage, by their ids only (RootCalls). */
  readonly roots: RootCalls;
  /** Incremented per request (next()): nodes of the current request carry it. */
  generation = 0;

  constructor(
    readonly maxSpans = HISTORY_MAX_SPANS,
    readonly windowUs = HISTORY_WINDOW_US,
    rootCallSlots = ROOT_CALL_SLOTS,
  ) {
    this.roots = new RootCalls(rootCallSlots);
  }

  /** Spans held now. */
  get size(): number {
    return this.nodes.size;
  }

  /** Starts a request: its nodes are told apart from earlier ones by the generation. */
  next(): number {
    return ++this.generation;
  }

  /** Whether the history holds spans of the trace (root calls aside). */
  hasTrace(traceId: string): boolean {
    return this.traces.has(traceId);
  }

  /** Whether the history holds spans of the trace or a root call of it. */
  knows(traceId: string): boolean {
    return this.traces.has(traceId) || this.roots.hasTrace(traceId);
  }

  /** The span, unless unknown or seen longer than the window before `now`. */
  get(traceId: string, spanId: string, now: number): SpanNode | undefined {
    const n = this.nodes.get(`${traceId}/${spanId}`);
    if (n !== undefined) return n.seen < now - this.windowUs ? undefined : n;
    return this.roots.has(traceId, spanId) ? ROOT_CALL : undefined;
  }

  /** Remembers a span (a repeat replaces it) and marks its trace as the most recently seen. */
  put(traceId: string, spanId: string, node: SpanNode): void {
    let t = this.traces.get(traceId);
    if (t === undefined) {
      t = { seen: node.seen, keys: [] };
      this.traces.set(traceId, t);
    } else if (t.seen !== node.seen) {
      // Map order is the eviction order: a trace seen again moves to the end.
      this.traces.delete(traceId);
      this.traces.set(traceId, t);
      t.seen = node.seen;
    }
    const key = `${traceId}/${spanId}`;
    if (!this.nodes.has(key)) t.keys.push(key);
    this.nodes.set(key, node);
  }

  /** The spans of a trace still within the window at `now`; older ones are dropped as they are met. */
  *spans(traceId: string, now: number): Generator<SpanNode> {
    const t = this.traces.get(traceId);
    if (t === undefined) return;
    const kept: string[] = [];
    for (const key of t.keys) {
      const n = this.nodes.get(key)!;
      if (n.seen >= now - this.windowUs) {
        kept.push(key);
        yield n;
      } else this.nodes.delete(key);
    }
    t.keys = kept;
  }

  /** Drops traces not seen within the window, then the least recently seen ones while over maxSpans. */
  prune(now: number): void {
    for (const [id, t] of this.traces) {
      if (t.seen >= now - this.windowUs && this.nodes.size <= this.maxSpans) break;
      this.traces.delete(id);
      for (const key of t.keys) this.nodes.delete(key);
    }
  }
}

/**
 * Root calls (inference spans without a parent that became events, with usage) by their ids, for when an inference
 * span inside one comes in a later request: that one is then not stored (call-tree.ts). Root calls are the bulk of
 * what a receiver sees (an app's chat spans without a parent) and have nothing to attribute, so they are not history
 * nodes: each is two small integers in a fixed table, a slot per trace id hash, a new root call replacing the one in
 * its slot (one survives ~`slots` later root calls on average: ~4 s at 30k calls/s). ~150 ns of CPU a call in
 * isolation, against ~780 ns for a Map of the id strings bounded at 50,000 (the strings kept alive, the Map's churn).
 * A false match needs 60 bits of two hashes to agree.
 */
export class RootCalls {
  /**
   * Per slot, the trace id hash (-1: empty) and the span id hash side by side: one cache line a call, as the table
   * is larger than the core's cache and a second line a call measurably slowed the rest of the mapping.
   */
  private readonly table: Int32Array;
  private readonly mask: number;
  private empty = true;

  /** `slots` is rounded up to a power of two; 0 remembers none. */
  constructor(readonly slots = ROOT_CALL_SLOTS) {
    const n = slots === 0 ? 0 : 2 ** Math.ceil(Math.log2(slots));
    this.table = new Int32Array(2 * n).fill(-1);
    this.mask = n - 1;
  }

  put(traceId: string, spanId: string): void {
    if (this.slots === 0) return;
    const t = idHash(traceId);
    const i = 2 * (t & this.mask);
    this.table[i] = t;
    this.table[i + 1] = idHash(spanId);
    this.empty = false;
  }

  hasTrace(traceId: string): boolean {
    if (this.empty) return false;
    const t = idHash(traceId);
    return this.table[2 * (t & this.mask)] === t;
  }

  has(traceId: string, spanId: string): boolean {
    if (this.empty) return false;
    const t = idHash(traceId);
    const i = 2 * (t & this.mask);
    return this.table[i] === t && this.table[i + 1] === idHash(spanId);
  }
}

/**
 * A 30-bit hash of an id's last 8 characters (a small integer, which V8 keeps unboxed): trace and span ids are
 * random there (W3C trace-context: the right-most bytes of a trace id are random even in X-Ray's ids).
 */
function idHash(id: string): number {
  let h = 0;
  for (let i = id.length - 1, end = Math.max(0, id.length - 8); i >= end; i--)
    h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

import type { AttributionPatch } from '../../ledger/attribution-patch.js';
import type { UnpricedEvent } from '../../ledger/event.js';
import type { Skip } from '../source.js';
import type { SpanHistory, SpanNode } from './span-history.js';

/** How far a walk up parent ids goes: deeper than any framework nests, short of a cycle a sender made. */
const MAX_HOPS = 64;

/** A span of the request as a walk up the trace sees it. */
export interface TreeNode {
  parent: string | null;
  /** A wrapper's agent and workflow (task); both null for a span that only links a call to its ancestors. */
  agent: string | null;
  workflow: string | null;
  /** The span's call, when it is an inference span. */
  call: Call | null;
}

/** A span of the request that is neither a call nor a wrapper, but may link one to the other. */
export type Link = [traceId: string, spanId: string, parent: string];

/**
 * An inference span of the request: its event (or why it was rejected), until the tree says whether it is the call.
 * Two instrumentations of one model call (a framework's and the provider client's) each export an inference span,
 * one inside the other, with the same usage: only one of them is the call (docs/otel/README.md, Instrumentation
 * libraries).
 */
export interface Call {
  /** Empty when the span has none (then it is a rejection). */
  traceId: string;
  spanId: string;
  parent: string | null;
  event: UnpricedEvent | null;
  rejection: Skip | null;
  /** Its resource's dedupe key (dedupe.ts). */
  key: string;
  /** Traceloop's traceloop.workflow.name on the span: its task when no wrapper above names one. */
  workflow: string | null;
  /** The call reported usage (some token count above zero). A rejection has none. */
  usage: boolean;
  /** An inference span inside it, here or in an earlier request, is the call. */
  outer: boolean;
  /** The call is recorded by the span around it: one stored by an earlier request, or one here with usage. */
  covered: boolean;
  /** This request's inference spans around it with usage, when it has none: one of them kept records the call. */
  over: Call[] | null;
}

/** Whether a call of the request may sit in another or have one inside it: not when all are roots of new traces. */
export function mayNest(calls: readonly Call[], history: SpanHistory | undefined): boolean {
  for (const c of calls)
    if ((c.event !== null && c.parent !== null) || (c.traceId !== '' && history?.hasTrace(c.traceId)))
      return true;
  return false;
}

/**
 * The request's spans by `traceId/spanId`: its wrappers (`tree` on entry), the spans linking calls to them, and its
 * inference spans, roots included (a call's walk up may end at one).
 */
export function buildTree(tree: Map<string, TreeNode>, links: readonly Link[], calls: readonly Call[]): void {
  for (const [t, id, parent] of links) {
    const key = `${t}/${id}`;
    if (!tree.has(key)) tree.set(key, { parent, agent: null, workflow: null, call: null });
  }
  for (const c of calls) {
    if (c.traceId === '') continue;
    const key = `${c.traceId}/${c.spanId}`;
    const n = tree.get(key);
    if (n === undefined) tree.set(key, { parent: c.parent, agent: null, workflow: null, call: c });
    else n.call = c;
  }
}

/**
 * Which inference spans of the request are calls, and whom they are attributed to, from one walk up the trace per
 * call with a parent, through the request's spans (`tree`) and the earlier requests' (`history`), through any span
 * in between:
 * - of two nested inference spans, the inner one is the call (the provider client's view, not the framework's),
 *   unless it reported no usage and the outer one did: the outer one is then the only record of the call;
 * - a call stored by an earlier request stays the call: an inference span of this request inside it is not stored
 *   too (an SDK exports the inner span first, so this happens only out of order, behind a collector);
 * - agent and task come from the nearest wrapper above, unless the span names its own.
 * The spans that are not calls are neither events nor rejections.
 */
export function resolveCalls(
  calls: readonly Call[],
  tree: ReadonlyMap<string, TreeNode>,
  history: SpanHistory | undefined,
  now: number,
): void {
  for (const c of calls) {
    const e = c.event;
    if (e === null || c.parent === null) continue;
    const t = c.traceId;
    const known = history?.knows(t) === true;
    let agent = e.agent;
    let task = e.task_id;
    for (let p: string | null = c.parent, hops = 0; p !== null && hops < MAX_HOPS; hops++) {
      const here = tree.get(`${t}/${p}`);
      const before: SpanNode | undefined = known ? history!.get(t, p, now) : undefined;
      if (here === undefined && before === undefined) break;
      const stored = before?.event;
      if (stored != null && (stored.usage || !c.usage)) c.covered = true;
      const a = here?.call;
      if (a != null && a !== c) {
        if (c.usage || !a.usage) a.outer = true;
        else if (c.over === null) c.over = [a];
        else c.over.push(a);
      }
      const n: TreeNode | SpanNode = here ?? before!;
      agent ??= n.agent;
      task ??= n.workflow;
      p = n.parent;
    }
    e.agent = agent;
    e.task_id = task;
  }
  if (history) outerOfStored(calls, tree, history, now);
  for (const c of calls) if (c.over?.some((a) => !a.outer)) c.covered = true;
}

/**
 * The request's inference spans that a call stored by an earlier request sits inside: the SDKs export a span when it
 * ends, and the inner one ends first, so the framework's span usually comes after the call it wraps was stored.
 */
function outerOfStored(
  calls: readonly Call[],
  tree: ReadonlyMap<string, TreeNode>,
  history: SpanHistory,
  now: number,
): void {
  const traces = new Set<string>();
  for (const c of calls) if (c.traceId !== '' && history.hasTrace(c.traceId)) traces.add(c.traceId);
  for (const t of traces)
    for (const n of history.spans(t, now)) {
      const stored = n.event;
      if (stored === null) continue;
      for (let p = n.parent, hops = 0; p !== null && hops < MAX_HOPS; hops++) {
        const here = tree.get(`${t}/${p}`);
        const before: SpanNode | undefined = here === undefined ? history.get(t, p, now) : undefined;
        if (here === undefined && before === undefined) break;
        const a = here?.call;
        if (a != null && (stored.usage || !a.usage)) a.outer = true;
        p = (here ?? before!).parent;
      }
    }
}

/** Whether the call becomes an event: it is one, and no other inference span of the trace is the call instead. */
export function isStored(c: Call): boolean {
  return c.event !== null && !c.outer && !c.covered;
}

/**
 * Enters the request's spans in the history and returns patches for calls of earlier requests that this request's
 * spans now connect to a wrapper. A call is patched only when the walk from it passes through a span of this
 * request: a retried export (its first 200 may never have been sent) patches again, which the store takes as a
 * no-op, while later requests that add nothing above a call leave it alone.
 *
 * Every stored call with a parent is kept (a span around it may come later, and is then not a call), and a root call
 * by its ids only (span-history.ts RootCalls), in case a span inside it comes later; inference spans that are not calls
 * are kept as links.
 */
export function remember(
  history: SpanHistory,
  now: number,
  gen: number,
  wrappers: readonly [string, string, TreeNode][],
  links: readonly Link[],
  calls: readonly Call[],
): AttributionPatch[] {
  // Traces with calls from earlier requests that this request's spans may reach.
  const touched = new Set<string>();
  for (const [t] of wrappers) if (history.hasTrace(t)) touched.add(t);
  for (const [t] of links) if (history.hasTrace(t)) touched.add(t);
  const between: Link[] = [];
  for (const c of calls) {
    if (c.traceId === '') continue;
    const e = c.event;
    if (e === null || !isStored(c) || !Number.isSafeInteger(e.ts)) {
      if (c.parent !== null) {
        between.push([c.traceId, c.spanId, c.parent]);
        if (history.hasTrace(c.traceId)) touched.add(c.traceId);
      }
    } else if (c.parent !== null)
      history.put(c.traceId, c.spanId, {
        parent: c.parent,
        agent: null,
        workflow: null,
        seen: now,
        gen,
        event: { id: e.event_id, ts: e.ts, agent: e.agent, task: e.task_id, usage: c.usage },
      });
    else if (c.usage) history.roots.put(c.traceId, c.spanId);
  }
  for (const [t, id, w] of wrappers)
    history.put(t, id, {
      parent: w.parent,
      agent: w.agent,
      workflow: w.workflow,
      seen: now,
      gen,
      event: null,
    });
  // Links only of traces the history holds by now: a trace with neither a stored call nor a wrapper needs none.
  for (const list of [links, between])
    for (const [t, id, parent] of list)
      if (history.knows(t))
        history.put(t, id, { parent, agent: null, workflow: null, seen: now, gen, event: null });
  const patches: AttributionPatch[] = [];
  for (const t of touched)
    for (const n of history.spans(t, now)) {
      const e = n.event;
      if (e === null || n.gen === gen || (e.agent !== null && e.task !== null)) continue;
      let agent = e.agent;
      let task = e.task;
      let viaThisRequest = false;
      for (let p = n.parent, hops = 0; p !== null && hops < MAX_HOPS; hops++) {
        const w = history.get(t, p, now);
        if (w === undefined) break;
        if (w.gen === gen) viaThisRequest = true;
        agent ??= w.agent;
        task ??= w.workflow;
        p = w.parent;
      }
      if (viaThisRequest && (agent !== e.agent || task !== e.task))
        patches.push({
          event_id: e.id,
          ts: e.ts,
          agent: e.agent === null ? agent : null,
          task_id: e.task === null ? task : null,
        });
    }
  history.prune(now);
  return patches;
}

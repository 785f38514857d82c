import { describe, expect, it } from 'vitest';
import { DEFAULT_ATTRIBUTES } from './attribution.js';
import { mapTraces, spanEventId } from './genai-spans.js';
import { HISTORY_WINDOW_US, SpanHistory, type SpanNode } from './span-history.js';

const kv = (key: string, v: string | number) => ({
  key,
  value: typeof v === 'string' ? { stringValue: v } : { intValue: String(v) },
});
const MINUTE = 60_000_000;
const T0 = 1_767_000_000_000_000;
const id = (n: number) => n.toString(16).padStart(16, '0');

function span(trace: string, n: number, parent: number | null, attributes: ReturnType<typeof kv>[]) {
  return {
    traceId: trace,
    spanId: id(n),
    ...(parent === null ? {} : { parentSpanId: id(parent) }),
    name: 's',
    startTimeUnixNano: '1767000000000000000',
    endTimeUnixNano: '1767000000800000000',
    attributes,
  };
}
const chat = (trace: string, n: number, parent: number | null) =>
  span(trace, n, parent, [
    kv('gen_ai.operation.name', 'chat'),
    kv('gen_ai.request.model', 'gpt-4o'),
    kv('gen_ai.usage.input_tokens', 100),
    kv('gen_ai.usage.output_tokens', 10),
  ]);
const agent = (trace: string, n: number, parent: number | null, name: string) =>
  span(trace, n, parent, [kv('gen_ai.operation.name', 'invoke_agent'), kv('gen_ai.agent.name', name)]);
const request = (spans: object[]) => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
const map = (history: SpanHistory, at: number, spans: object[]) =>
  mapTraces(request(spans), { ingestedAt: at, attributes: DEFAULT_ATTRIBUTES }, history);

describe('attribution across requests (mapTraces with a SpanHistory)', () => {
  const trace = 'cd'.repeat(16);

  it('a wrapper in a later request patches the calls under it, through spans between, until the window ends', () => {
    for (const [later, patched] of [
      [HISTORY_WINDOW_US - MINUTE, true],
      [HISTORY_WINDOW_US + MINUTE, false],
    ] as const) {
      const h = new SpanHistory();
      const first = map(h, T0, [chat(trace, 3, 2), chat(trace, 4, null)]);
      expect(first.events.map((e) => e.agent)).toEqual([null, null]);
      expect(first.patches).toEqual([]);
      // The span between (no GenAI operation) comes in its own request, then the agent.
      expect(map(h, T0 + later / 2, [span(trace, 2, 1, [])]).patches).toEqual([]);
      const m = map(h, T0 + later, [agent(trace, 1, null, 'planner')]);
      // Only the call under the agent; the root call (no parent) was never waiting for one.
      expect(m.patches).toEqual(
        patched
          ? [
              {
                event_id: spanEventId(trace, id(3)),
                ts: 1_767_000_000_000_000,
                agent: 'planner',
                task_id: null,
              },
            ]
          : [],
      );
      // The wrapper is remembered: a call under it in a later request is attributed at once.
      expect(map(h, T0 + later + MINUTE, [chat(trace, 5, 1)]).events[0]!.agent).toBe('planner');
    }
  });

  it('a request that repeats the wrapper patches again (its first answer may have been lost); one that adds nothing above does not', () => {
    const h = new SpanHistory();
    map(h, T0, [chat(trace, 3, 1)]);
    expect(map(h, T0 + MINUTE, [agent(trace, 1, null, 'a')]).patches).toHaveLength(1);
    expect(map(h, T0 + 2 * MINUTE, [agent(trace, 1, null, 'a')]).patches).toHaveLength(1);
    // A sibling tool span under the same agent is not on the call's path.
    expect(
      map(h, T0 + 3 * MINUTE, [span(trace, 9, 1, [kv('gen_ai.operation.name', 'execute_tool')])]).patches,
    ).toEqual([]);
  });
});

describe('nested inference spans across requests (mapTraces with a SpanHistory)', () => {
  const trace = 'ef'.repeat(16);
  const named = (n: number, parent: number | null) =>
    span(trace, n, parent, [
      ...chat(trace, n, parent).attributes,
      kv('gen_ai.agent.name', 'own'),
      kv('traceloop.workflow.name', 'flow'),
    ]);

  it('a call that named its agent and task is still remembered: a span around it that comes later is not a call', () => {
    const h = new SpanHistory();
    expect(map(h, T0, [named(3, 2)]).events).toHaveLength(1);
    const m = map(h, T0 + MINUTE, [chat(trace, 2, 1), span(trace, 1, null, [])]);
    expect([m.events, m.rejected, m.ignored]).toEqual([[], [], 2]);
  });

  it('an inference span rejected for its attributes, around a call stored earlier, is not a rejection either', () => {
    const h = new SpanHistory();
    expect(map(h, T0, [chat(trace, 12, 11)]).events).toHaveLength(1);
    // A framework's span without a model: alone it is rejected (it cannot be priced); around the call it is not one.
    const noModel = span(trace, 11, null, [
      kv('gen_ai.operation.name', 'chat'),
      kv('gen_ai.usage.input_tokens', 100),
    ]);
    const m = map(h, T0 + MINUTE, [noModel]);
    expect([m.events, m.rejected, m.ignored]).toEqual([[], [], 1]);
    expect(map(new SpanHistory(), T0, [noModel]).rejected).toHaveLength(1);
  });

  it('a root call is remembered by its ids: a call inside it that comes later is not stored, while in its slot', () => {
    const roots = ['a1', 'a2', 'a3'].map((t) => t.padStart(32, '0'));
    const h = new SpanHistory();
    for (const t of roots) expect(map(h, T0, [chat(t, 1, null)]).events).toHaveLength(1);
    expect(roots.map((t) => map(h, T0 + MINUTE, [chat(t, 2, 1)]).events.length)).toEqual([0, 0, 0]);
    // A root call is forgotten when another takes its slot (here one slot): a call inside it is then stored too.
    const one = new SpanHistory(50_000, HISTORY_WINDOW_US, 1);
    for (const t of roots) map(one, T0, [chat(t, 1, null)]);
    expect(roots.map((t) => map(one, T0 + MINUTE, [chat(t, 2, 1)]).events.length)).toEqual([1, 1, 0]);
  });

  it('an OpenInference call, whose span has no GenAI operation, is patched by the AGENT span that comes after it', () => {
    const h = new SpanHistory();
    const llm = span(trace, 2, 1, [
      kv('openinference.span.kind', 'LLM'),
      kv('llm.model_name', 'gpt-4o'),
      kv('llm.token_count.prompt', 10),
      kv('llm.token_count.completion', 2),
    ]);
    expect(map(h, T0, [llm]).events[0]!.agent).toBeNull();
    const agentSpan = span(trace, 1, null, [
      kv('openinference.span.kind', 'AGENT'),
      kv('agent.name', 'triage'),
    ]);
    expect(map(h, T0 + MINUTE, [agentSpan]).patches).toEqual([
      { event_id: spanEventId(trace, id(2)), ts: 1_767_000_000_000_000, agent: 'triage', task_id: null },
    ]);
  });
});

describe('SpanHistory bounds', () => {
  const node = (seen: number): SpanNode => ({
    parent: null,
    agent: null,
    workflow: null,
    seen,
    gen: 0,
    event: null,
  });

  it('holds at most maxSpans, evicting the traces seen least recently, and drops traces older than the window', () => {
    const h = new SpanHistory(1_000, 10 * MINUTE);
    for (let t = 0; t < 2_000; t++) {
      const at = T0 + t * 1_000_000;
      for (let s = 0; s < 50; s++) h.put(`t${t}`, id(s), node(at));
      h.prune(at);
      expect(h.size).toBeLessThanOrEqual(1_000);
    }
    // The newest traces are the ones kept.
    expect(h.hasTrace('t1999')).toBe(true);
    expect(h.hasTrace('t0')).toBe(false);
    h.prune(T0 + 2_000 * 1_000_000 + 10 * MINUTE + 1);
    expect(h.size).toBe(0);
  });

  it('does not grow without bound under a long stream of calls waiting for wrappers that never come', () => {
    const h = new SpanHistory(5_000);
    for (let r = 0; r < 2_000; r++) {
      const trace = r.toString(16).padStart(32, '0');
      map(h, T0 + r * 1_000_000, [
        chat(trace, 2, 1),
        chat(trace, 3, 1),
        chat(trace, 4, 1),
        span(trace, 1, 0, []),
      ]);
      expect(h.size).toBeLessThanOrEqual(5_000);
    }
    expect(h.size).toBeGreaterThan(4_000);
  });

  it('forgets, within a trace still in use, spans older than the window', () => {
    const h = new SpanHistory(1_000, 10 * MINUTE);
    h.put('t', id(1), node(T0));
    h.put('t', id(2), node(T0 + 11 * MINUTE));
    expect(h.get('t', id(1), T0 + 11 * MINUTE)).toBeUndefined();
    expect([...h.spans('t', T0 + 11 * MINUTE)]).toHaveLength(1);
    expect(h.size).toBe(1);
  });
});

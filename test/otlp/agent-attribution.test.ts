import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Context, context, type Span, trace } from '@opentelemetry/api';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../src/ledger/event.js';
import { openWal, type WalSink } from '../../src/ledger/wal/wal.js';
import { startOtlp } from '../../src/server/otlp/start-otlp.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Store } from '../../src/store/store.js';
import { type Harness, startHarness, tokens } from './harness.js';
import { tracerFor } from './sdk-tracer.js';

// Issue 5: invoke_agent, execute_tool and invoke_workflow spans attribute the inference spans under them (same
// trace). The OpenTelemetry SDKs export a span when it ends, in batches every ~5 s, and a wrapper ends after the
// calls under it: in any run longer than a batch the calls reach the ledger in an earlier export than the span that
// names their agent. These runs force that split with forceFlush between the calls and their wrappers.

function chat(
  tracer: ReturnType<NodeTracerProvider['getTracer']>,
  parent: Context,
  i: number,
  extra = {},
): void {
  tracer
    .startSpan(
      'chat gpt-4o-mini',
      {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 1000 + i,
          'gen_ai.usage.output_tokens': 40 + i,
          ...extra,
        },
      },
      parent,
    )
    .end();
}

const under = (span: Span) => trace.setSpan(context.active(), span);

const sumCost = (events: readonly UsageEvent[]) => events.reduce((s, e) => s + (e.cost_usd ?? 0n), 0n);

describe('agent attribution across export requests (real OpenTelemetry SDK)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const ofService = async (service: string) => (await h.ledger()).filter((e) => e.tags.service === service);

  it.each([
    ['json', false],
    ['protobuf', true],
  ])(
    '%s: an invoke_agent span exported after its chat spans attributes them; report by agent shows its spend',
    async (name, proto) => {
      const service = `agent-later-${name}`;
      const { provider, tracer } = tracerFor(service, [h.url], proto);
      const agent = tracer.startSpan('invoke_agent planner', {
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': `planner-${name}` },
      });
      for (let i = 0; i < 12; i++) chat(tracer, under(agent), i);
      tracer
        .startSpan(
          'execute_tool search',
          { attributes: { 'gen_ai.operation.name': 'execute_tool' } },
          under(agent),
        )
        .end();
      await provider.forceFlush();
      // The calls are in the ledger, as yet without an agent: their wrapper has not ended.
      const first = await ofService(service);
      expect(first).toHaveLength(12);
      expect(first.every((e) => e.agent === null)).toBe(true);
      const before = tokens(first);

      agent.end();
      await provider.forceFlush();
      await provider.shutdown();
      const after = await ofService(service);
      expect(after).toHaveLength(12);
      expect(after.every((e) => e.agent === `planner-${name}` && e.team === 'payments')).toBe(true);
      expect(tokens(after)).toEqual(before);
      expect(sumCost(after)).toBe(sumCost(first));
      // What `report --by agent` asks the store.
      const report = await h.store.query({
        dimensions: ['agent'],
        filters: [{ dimension: 'tag.service', values: [service] }],
      });
      expect(report.rows.map((r) => [r.dims.agent, r.events, r.cost_usd])).toEqual([
        [`planner-${name}`, 12, sumCost(first)],
      ]);
      const byAgent = await h.store.query({ dimensions: ['agent'] });
      expect(byAgent.rows.find((r) => r.dims.agent === `planner-${name}`)?.cost_usd).toBe(sumCost(first));
    },
  );

  it('through a framework span in between, with a workflow span on top, each exported in its own request', async () => {
    const service = 'agent-nested';
    const { provider, tracer } = tracerFor(service, [h.url]);
    const workflow = tracer.startSpan('invoke_workflow triage', {
      attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'triage-42' },
    });
    const agent = tracer.startSpan(
      'invoke_agent triager',
      { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'triager' } },
      under(workflow),
    );
    // Strands: invoke_agent → execute_event_loop_cycle → chat. The cycle span carries no GenAI operation.
    const cycle = tracer.startSpan('execute_event_loop_cycle', {}, under(agent));
    chat(tracer, under(cycle), 1);
    // The source names its own agent on this one: it keeps it, and still gets the workflow's task.
    chat(tracer, under(cycle), 2, { 'gen_ai.agent.name': 'own-agent' });
    await provider.forceFlush();
    cycle.end();
    await provider.forceFlush();
    agent.end();
    await provider.forceFlush();
    // A call of the same trace outside the agent (under the workflow only), and one in a trace with no wrapper.
    chat(tracer, under(workflow), 3);
    const plain = tracer.startSpan('http GET /');
    chat(tracer, under(plain), 4);
    await provider.forceFlush();
    const mid = new Map((await ofService(service)).map((e) => [e.input_tokens, e]));
    expect(mid.get(1001)).toMatchObject({ agent: 'triager', task_id: null });
    expect(mid.get(1002)).toMatchObject({ agent: 'own-agent', task_id: null });
    workflow.end();
    plain.end();
    await provider.forceFlush();
    await provider.shutdown();
    const events = new Map((await ofService(service)).map((e) => [e.input_tokens, e]));
    expect(events.size).toBe(4);
    expect(events.get(1001)).toMatchObject({ agent: 'triager', task_id: 'triage-42' });
    expect(events.get(1002)).toMatchObject({ agent: 'own-agent', task_id: 'triage-42' });
    expect(events.get(1003)).toMatchObject({ agent: null, task_id: 'triage-42' });
    expect(events.get(1004)).toMatchObject({ agent: null, task_id: null });
  });

  it('a call seen by two instrumentations is one event, attributed to the agent above the outer span', async () => {
    // A framework's chat span around the provider client's (Pydantic AI's InstrumentedModel around the OpenAI
    // instrumentation; docs/otel/README.md, Instrumentation libraries). Each span is exported when it ends: the
    // client's first, then the framework's, then the agent's, each in its own request here.
    const service = 'agent-nested-calls';
    const { provider, tracer } = tracerFor(service, [h.url]);
    const agent = tracer.startSpan('invoke_agent support', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support' },
    });
    const workflow = { 'traceloop.workflow.name': 'tickets' };
    for (let i = 0; i < 3; i++) {
      const framework = tracer.startSpan(
        'chat gpt-4o-mini',
        {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.system': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 1000 + i,
            'gen_ai.usage.output_tokens': 40 + i,
          },
        },
        under(agent),
      );
      chat(tracer, under(framework), i, i === 2 ? workflow : {});
      await provider.forceFlush();
      framework.end();
      await provider.forceFlush();
    }
    const byInput = (events: UsageEvent[]) => events.sort((a, b) => a.input_tokens - b.input_tokens);
    const mid = byInput(await ofService(service));
    expect(mid.map((e) => [e.input_tokens, e.agent, e.task_id])).toEqual([
      [1000, null, null],
      [1001, null, null],
      [1002, null, 'tickets'],
    ]);
    agent.end();
    await provider.forceFlush();
    await provider.shutdown();
    const events = byInput(await ofService(service));
    expect(events.map((e) => [e.input_tokens, e.agent, e.task_id])).toEqual([
      [1000, 'support', null],
      [1001, 'support', null],
      [1002, 'support', 'tickets'],
    ]);
    expect(tokens(events).requests).toBe(3);
  });

  it('an agent span exported before its calls (force-flush order) attributes them at once', async () => {
    const service = 'agent-earlier';
    const { provider, tracer } = tracerFor(service, [h.url]);
    const agent = tracer.startSpan('invoke_agent early', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'early' },
    });
    const ctx = under(agent);
    agent.end();
    await provider.forceFlush();
    for (let i = 0; i < 3; i++) chat(tracer, ctx, i);
    await provider.forceFlush();
    await provider.shutdown();
    const events = await ofService(service);
    expect(events.map((e) => e.agent)).toEqual(['early', 'early', 'early']);
  });

  it('every export sent twice (a retry): each call stored once, attributed once, tokens as sent', async () => {
    const service = 'agent-retried';
    const { provider, tracer } = tracerFor(service, [h.url, h.url]);
    const agent = tracer.startSpan('invoke_agent twice', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'twice' },
    });
    for (let i = 0; i < 5; i++) chat(tracer, under(agent), i);
    await provider.forceFlush();
    const first = await ofService(service);
    agent.end();
    await provider.forceFlush();
    await provider.shutdown();
    const events = await ofService(service);
    expect(events).toHaveLength(5);
    expect(tokens(events)).toEqual(tokens(first));
    expect(tokens(events).requests).toBe(5);
    expect(events.every((e) => e.agent === 'twice')).toBe(true);
    const report = await h.store.query({
      dimensions: ['agent'],
      filters: [{ dimension: 'agent', values: ['twice'] }],
    });
    expect(report.totals.events).toBe(5);
    expect(report.totals.cost_usd).toBe(sumCost(first));
  });
});

describe('agent attribution after a crash', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-otlp-crash-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a wrapper export acknowledged but not yet in the store when the process stops is applied at replay', async () => {
    const ledger = join(dir, 'ledger.duckdb');
    const walDir = join(dir, 'wal');
    const store = await createDuckDbStore(ledger);
    // A store that stops taking anything once `frozen`: what reached it stays, the rest only in the log.
    let frozen = false;
    const hang = new Promise<never>(() => {});
    const sink: WalSink = {
      append: (events) => (frozen ? hang : store.append(events)),
      attribute: (patches) => (frozen ? hang : store.attribute(patches)),
      storeContent: (c) => (frozen ? hang : store.storeContent(c)),
    };
    const wal = await openWal({ dir: walDir, sink, drainIntervalMs: 3_600_000 });
    const otlp = await startOtlp({ port: 0, host: '127.0.0.1', pricing: { cwd: dir, env: {} }, wal });
    const { provider, tracer } = tracerFor('agent-crash', [otlp.url!]);
    const agent = tracer.startSpan('invoke_agent survivor', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'survivor' },
    });
    for (let i = 0; i < 4; i++) chat(tracer, under(agent), i);
    await provider.forceFlush();
    await wal.drain();
    expect((await store.events({})).map((e) => e.agent)).toEqual([null, null, null, null]);
    frozen = true;
    agent.end();
    // forceFlush resolves once the export got its 200: the patch is in the log, not in the store.
    await provider.forceFlush();
    await provider.shutdown();
    await otlp.close();
    // The process "dies": the log is never drained or closed.
    await store.close();

    const reopened: Store = await createDuckDbStore(ledger);
    const replayed = await openWal({ dir: walDir, sink: reopened, drainIntervalMs: 3_600_000 });
    expect(replayed.replayed).toMatchObject({ patches: 4 });
    const events = await reopened.events({});
    expect(events.map((e) => e.agent)).toEqual(['survivor', 'survivor', 'survivor', 'survivor']);
    expect(tokens(events).input).toBe(1000 + 1001 + 1002 + 1003);
    await replayed.close();
    await reopened.close();
  });
});

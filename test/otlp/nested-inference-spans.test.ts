import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../src/ledger/event.js';
import { type Harness, startHarness, tokens } from './harness.js';
import { type Attr, eventsOf, kv, sendSpans, trace } from './span-tree.js';

// Two instrumentations that wrap the same model call each export an inference span for it, the framework's around
// the provider client's, with the same usage: Arize-ai/openinference#2101 (OpenAIAgentsInstrumentor and
// OpenAIInstrumentor), #1154 and Arize-ai/phoenix#5628 (LlamaIndex and OpenAI), #2119 (smolagents wrapping
// Model → ApiModel → OpenAIServerModel), DataDog/dd-trace-py#18868 (LangChain and Google GenAI), livekit/agents#2905
// (livekit's llm_request and the OpenAI instrumentation); open-telemetry/semantic-conventions-genai#475 proposes that
// instrumentations suppress the nested one, which none do yet. The ledger must hold each call once: the innermost
// inference span is the call, and the ones around it are neither events nor rejected spans.

/**
 * OpenInference openai (openinference-instrumentation-openai _request.py): span `ChatCompletion`, llm.system openai,
 * llm.provider from the client's base_url host (api.openai.com → openai, *.openai.azure.com → azure), llm.model_name
 * and llm.token_count.* from the response's usage (cached_tokens → prompt_details.cache_read).
 */
const oiOpenAi = (
  provider: string,
  model: string,
  prompt: number,
  completion: number,
  cached = 0,
): Attr[] => [
  kv('openinference.span.kind', 'LLM'),
  kv('llm.system', 'openai'),
  kv('llm.provider', provider),
  kv('llm.model_name', model),
  kv('llm.invocation_parameters', `{"model": "${model}"}`),
  kv('llm.token_count.prompt', prompt),
  kv('llm.token_count.completion', completion),
  kv('llm.token_count.total', prompt + completion),
  ...(cached > 0 ? [kv('llm.token_count.prompt_details.cache_read', cached)] : []),
];

/**
 * opentelemetry-python-contrib instrumentation-genai/opentelemetry-instrumentation-openai-v2 patch.py: a CLIENT span
 * `chat <request model>` with gen_ai.operation.name chat, gen_ai.system openai, gen_ai.request.model,
 * server.address; from the response gen_ai.response.model, .id, .finish_reasons,
 * gen_ai.openai.response.service_tier and gen_ai.usage.input_tokens / output_tokens.
 */
const openAiV2 = (model: string, input: number, output: number, usage = true): Attr[] => [
  kv('gen_ai.operation.name', 'chat'),
  kv('gen_ai.system', 'openai'),
  kv('gen_ai.request.model', model),
  kv('server.address', 'api.openai.com'),
  kv('gen_ai.response.model', `${model}-2024-07-18`),
  kv('gen_ai.response.id', 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT'),
  kv('gen_ai.openai.response.service_tier', 'default'),
  ...(usage ? [kv('gen_ai.usage.input_tokens', input), kv('gen_ai.usage.output_tokens', output)] : []),
];

/**
 * Pydantic AI models/instrumented.py InstrumentedModel._instrument: `chat <model>` with gen_ai.operation.name chat,
 * gen_ai.system and gen_ai.request.model of its model, server.address from its base_url, model_request_parameters,
 * then gen_ai.usage.* of the response and gen_ai.response.model. The provider client's call runs inside it
 * (start_as_current_span), so the OpenAI instrumentation's span is its child.
 */
const pydanticChat = (model: string, input: number, output: number): Attr[] => [
  kv('gen_ai.operation.name', 'chat'),
  kv('gen_ai.system', 'openai'),
  kv('gen_ai.request.model', model),
  kv('server.address', 'api.openai.com'),
  kv('model_request_parameters', '{"function_tools": [], "allow_text_output": true}'),
  kv('gen_ai.usage.input_tokens', input),
  kv('gen_ai.usage.output_tokens', output),
  kv('gen_ai.response.model', `${model}-2024-07-18`),
];

/**
 * livekit/agents livekit-agents/livekit/agents/llm/llm.py LLMStream._main_task: an `llm_request` span with
 * gen_ai.request.model (and, since livekit/agents#2905, gen_ai.usage.input_tokens / output_tokens and lk.llm_metrics
 * from its own metrics), one `llm_request_run` span per attempt (lk.retry_count) under it, and the plugin's OpenAI
 * client call inside that attempt. No gen_ai.operation.name: it is a call for its usage and model.
 */
const livekitRequest = (model: string, input: number, output: number): Attr[] => [
  kv('gen_ai.request.model', model),
  kv('gen_ai.usage.input_tokens', input),
  kv('gen_ai.usage.output_tokens', output),
  kv('lk.llm_metrics', `{"prompt_tokens": ${input}, "completion_tokens": ${output}}`),
];

describe('nested inference spans of one model call (two instrumentations) are one call', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const send = (service: string, spans: unknown[]) => sendSpans(h.url, service, spans);
  const ledgerOf = (service: string) => eventsOf(h, service);
  /** The span an event was made from, by its id in the tree. */
  const spanOf = (e: UsageEvent) => Number.parseInt(e.source_ref!.split(' span ')[1]!, 16);

  it('OpenInference LangChain LLM span around the OpenInference OpenAI span: one event, the inner one', async () => {
    // openinference-instrumentation-langchain _tracer.py: each run is a span named after it; a chat model run
    // (`ChatOpenAI`) is kind LLM with llm.provider from ls_provider (`openai` for ChatOpenAI, whatever its base_url),
    // llm.model_name from llm_output and llm.token_count.* from the same usage the client returned. The chain
    // around it is a CHAIN span. Here ChatOpenAI points at Azure OpenAI's v1 endpoint: the client's span knows.
    const r = await send(
      'oi-langchain',
      trace([
        [1, null, 'RunnableSequence', [kv('openinference.span.kind', 'CHAIN')]],
        [
          2,
          1,
          'ChatOpenAI',
          [
            ...oiOpenAi('openai', 'gpt-4o-mini-2024-07-18', 1200, 80, 1024),
            kv('metadata', '{"ls_provider": "openai"}'),
          ],
        ],
        [3, 2, 'ChatCompletion', oiOpenAi('azure', 'gpt-4o-mini-2024-07-18', 1200, 80, 1024)],
      ]),
    );
    expect(r).toEqual({});
    const events = await ledgerOf('oi-langchain');
    expect(
      events.map((e) => [spanOf(e), e.provider, e.input_tokens, e.cache_read_tokens, e.output_tokens]),
    ).toEqual([[3, 'azure', 176, 1024, 80]]);
  });

  it('GenAI chat spans: Pydantic AI around the OpenTelemetry OpenAI instrumentation, two calls of one run stay two', async () => {
    // Pydantic AI before 1.0: the `agent run` span carries the run's total without a model (a roll-up, not a
    // call); each model request is its `chat` span with the provider client's span inside.
    const r = await send(
      'pydantic-openai',
      trace([
        [
          1,
          null,
          'agent run',
          [
            kv('model_name', 'gpt-4o-mini'),
            kv('agent_name', 'agent'),
            kv('gen_ai.usage.input_tokens', 700),
            kv('gen_ai.usage.output_tokens', 60),
          ],
        ],
        [2, 1, 'chat gpt-4o-mini', pydanticChat('gpt-4o-mini', 300, 20)],
        [3, 2, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', 300, 20)],
        [4, 1, 'running tool', [kv('gen_ai.tool.name', 'roll_die')]],
        [5, 1, 'chat gpt-4o-mini', pydanticChat('gpt-4o-mini', 400, 40)],
        [6, 5, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', 400, 40)],
      ]),
    );
    expect(r).toEqual({});
    const events = await ledgerOf('pydantic-openai');
    expect(events.map((e) => [spanOf(e), e.service_tier])).toEqual([
      [3, 'default'],
      [6, 'default'],
    ]);
    expect(tokens(events)).toMatchObject({ requests: 2, input: 700, output: 60 });
  });

  it('through a span in between: livekit llm_request → llm_request_run → the OpenAI chat span is one call', async () => {
    const r = await send(
      'livekit',
      trace([
        [1, null, 'agent_turn', [kv('lk.generation_id', 'gen-1')]],
        [2, 1, 'llm_node', []],
        [3, 2, 'llm_request', livekitRequest('gpt-4o-mini', 950, 35)],
        [4, 3, 'llm_request_run', [kv('lk.retry_count', 0)]],
        [5, 4, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', 950, 35)],
      ]),
    );
    expect(r).toEqual({});
    expect((await ledgerOf('livekit')).map((e) => [spanOf(e), e.input_tokens, e.output_tokens])).toEqual([
      [5, 950, 35],
    ]);
  });

  it('three layers (smolagents Model → ApiModel → OpenAIServerModel, then the client): the innermost only', async () => {
    // Arize-ai/openinference#2119: smolagents' instrumentor wrapped `generate` at each level of the model's class
    // hierarchy, giving LLM spans nested in LLM spans, each with the same llm.token_count.*.
    const llm = () => oiOpenAi('openai', 'gpt-4.1', 2000, 150);
    const r = await send(
      'smolagents',
      trace([
        [1, null, 'CodeAgent.run', [kv('openinference.span.kind', 'AGENT')]],
        [2, 1, 'Step 1', [kv('openinference.span.kind', 'CHAIN')]],
        [3, 2, 'OpenAIServerModel.generate', llm()],
        [4, 3, 'OpenAIServerModel.generate', llm()],
        [5, 4, 'ChatCompletion', llm()],
      ]),
    );
    expect(r).toEqual({});
    const events = await ledgerOf('smolagents');
    expect(events.map((e) => [spanOf(e), e.agent, e.input_tokens])).toEqual([[5, 'CodeAgent.run', 2000]]);
  });

  it('sibling calls under one chain or agent span are not nested: each is a call', async () => {
    const r = await send(
      'siblings',
      trace([
        [
          1,
          null,
          'invoke_agent planner',
          [kv('gen_ai.operation.name', 'invoke_agent'), kv('gen_ai.agent.name', 'planner')],
        ],
        [2, 1, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', 100, 10)],
        [3, 1, 'execute_tool search', [kv('gen_ai.operation.name', 'execute_tool')]],
        [4, 3, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', 200, 20)],
        [5, 1, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', 300, 30)],
      ]),
    );
    expect(r).toEqual({});
    const events = await ledgerOf('siblings');
    expect(events.map((e) => [spanOf(e), e.agent, e.input_tokens])).toEqual([
      [2, 'planner', 100],
      [4, 'planner', 200],
      [5, 'planner', 300],
    ]);
  });

  it('an inner span without usage does not replace the outer one, which stays the one record of the call', async () => {
    // A streamed call without stream_options.include_usage: the client's span saw no usage chunk (no
    // gen_ai.usage.*; OpenInference: no llm.token_count.*), while the framework around it counted the tokens.
    const r = await send('inner-without-usage', [
      ...trace([
        [1, null, 'llm_request', livekitRequest('gpt-4o-mini', 500, 25)],
        [2, 1, 'llm_request_run', [kv('lk.retry_count', 0)]],
        [3, 2, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', 0, 0, false)],
      ]),
      ...trace([
        [4, null, 'ChatOpenAI', oiOpenAi('openai', 'gpt-4o-mini', 600, 30)],
        [5, 4, 'ChatCompletion', [kv('openinference.span.kind', 'LLM'), kv('llm.model_name', 'gpt-4o-mini')]],
      ]),
    ]);
    expect(r).toEqual({});
    const events = await ledgerOf('inner-without-usage');
    expect(events.map((e) => [spanOf(e), e.input_tokens, e.output_tokens])).toEqual([
      [1, 500, 25],
      [4, 600, 30],
    ]);
    expect(tokens(events).requests).toBe(2);
  });

  it('in one export in any order: the outer span before the inner one is still not a call', async () => {
    const [outer, inner] = trace([
      [1, null, 'chat gpt-4o-mini', pydanticChat('gpt-4o-mini', 321, 12)],
      [2, 1, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', 321, 12)],
    ]);
    expect(await send('order-in-export', [inner, outer])).toEqual({});
    expect(
      await send(
        'order-in-export-2',
        [outer, inner].map((s) => ({ ...s, traceId: 'f'.repeat(32) })),
      ),
    ).toEqual({});
    for (const service of ['order-in-export', 'order-in-export-2'])
      expect((await ledgerOf(service)).map(spanOf)).toEqual([2]);
  });
});

describe('nested inference spans exported in different requests', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const send = (service: string, spans: unknown[]) => sendSpans(h.url, service, spans);
  const ledgerOf = async (service: string): Promise<UsageEvent[]> =>
    (await h.ledger()).filter((e) => e.tags.service === service);
  const spanOf = (e: UsageEvent) => Number.parseInt(e.source_ref!.split(' span ')[1]!, 16);

  /** livekit's request around the OpenAI span, with the attempt span between: [outer, run, inner]. */
  const livekitCall = (input: number) =>
    trace([
      [1, null, 'llm_request', livekitRequest('gpt-4o-mini', input, 7)],
      [2, 1, 'llm_request_run', [kv('lk.retry_count', 0)]],
      [3, 2, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', input, 7)],
    ]);

  it('the inner span in an earlier export than the outer (an SDK exports a span when it ends): one event', async () => {
    const [outer, run, inner] = livekitCall(1000);
    expect(await send('inner-first', [inner!])).toEqual({});
    expect(await send('inner-first', [run!])).toEqual({});
    // The outer span is neither an event nor a rejection.
    expect(await send('inner-first', [outer!])).toEqual({});
    expect((await ledgerOf('inner-first')).map(spanOf)).toEqual([3]);
    // And directly nested, the run span coming with the outer one.
    const [o2, r2, i2] = livekitCall(2000);
    await send('inner-first-2', [i2!]);
    await send('inner-first-2', [r2!, o2!]);
    expect((await ledgerOf('inner-first-2')).map((e) => [spanOf(e), e.input_tokens])).toEqual([[3, 2000]]);
  });

  it('the outer span in an earlier export than the inner (a collector reordering): one event, the outer', async () => {
    // The outer one is stored before the inner arrives; a stored event is not taken back, so the inner is not stored.
    const [outer, run, inner] = livekitCall(3000);
    await send('outer-first', [outer!, run!]);
    expect(await send('outer-first', [inner!])).toEqual({});
    expect((await ledgerOf('outer-first')).map(spanOf)).toEqual([1]);
    // A parented outer call too (Pydantic AI's chat under its agent run), with nothing between.
    const [run2, outer2, inner2] = trace([
      [1, null, 'agent run', [kv('agent_name', 'agent')]],
      [2, 1, 'chat gpt-4o-mini', pydanticChat('gpt-4o-mini', 50, 5)],
      [3, 2, 'chat gpt-4o-mini', openAiV2('gpt-4o-mini', 50, 5)],
    ]);
    await send('outer-first-2', [outer2!]);
    await send('outer-first-2', [inner2!, run2!]);
    expect((await ledgerOf('outer-first-2')).map(spanOf)).toEqual([2]);
  });

  it('every export sent twice (retries), in either order: each call stored once', async () => {
    const [outer, run, inner] = livekitCall(4000);
    for (const spans of [[inner!], [inner!], [run!, outer!], [run!, outer!], [inner!]])
      await send('retried', spans);
    expect((await ledgerOf('retried')).map(spanOf)).toEqual([3]);
    const [o2, r2, i2] = livekitCall(5000);
    for (const spans of [[o2!, r2!], [i2!], [o2!, r2!], [i2!]]) await send('retried-2', spans);
    expect((await ledgerOf('retried-2')).map(spanOf)).toEqual([1]);
    // The whole trace at once, again after its parts.
    await send('retried-2', [o2!, r2!, i2!]);
    expect(tokens(await ledgerOf('retried-2')).requests).toBe(1);
  });
});

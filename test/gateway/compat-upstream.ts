import { createServer, type ServerResponse } from 'node:http';
import { listenLocal } from '../helpers/listen-local.js';
import type { FakeProvider, FakeRequest } from './fake-provider.js';

/**
 * Local stand-ins for OpenAI-compatible servers, each speaking its own documented dialect of the chat completions
 * wire format (fake-provider.ts speaks OpenAI's own). One server per flavour; it answers on any path that ends in
 * `/chat/completions` and records every request (path with its query, headers, body).
 *
 * - azure: https://learn.microsoft.com/azure/ai-foundry/openai/reference (chat completions; `api-key` header,
 *   `?api-version=` on deployment paths; `stream_options` only from api-version 2024-09-01-preview: an older one
 *   answers 400 "Unrecognized request argument supplied: stream_options", as reported in openai/openai-python#1469) and https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter
 *   (`prompt_filter_results`, `content_filter_results`). A stream opens with a chunk of empty `choices`, empty `id` and
 *   `model` that carries only the prompt filter results, as Azure sends it.
 * - openrouter: https://openrouter.ai/docs/use-cases/usage-accounting (usage always sent, with `cost` in credits =
 *   USD, `prompt_tokens_details.cached_tokens` / `cache_write_tokens` inside `prompt_tokens`, `reasoning_tokens`) and
 *   https://openrouter.ai/docs/api-reference/streaming (`: OPENROUTER PROCESSING` comments; the final chunk has empty
 *   `choices` and the usage). A model ending in `-byok` is answered as a Bring Your Own Key call (the key is an account
 *   setting, so the suffix stands for it and is not echoed): `is_byok: true`, `cost` only what OpenRouter charged
 *   (OPENROUTER_BYOK_FEE) and `cost_details.upstream_inference_cost` what the upstream provider charged the caller's
 *   own key (OPENROUTER_COST), as the usage accounting page defines them ("cost: The total amount charged to your
 *   account", "upstream_inference_cost: The actual cost charged by the upstream AI provider … only applies to BYOK").
 * - vllm: https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html (`prompt_tokens_details: null`;
 *   `stream_options.include_usage` honoured).
 * - ollama: https://github.com/ollama/ollama/blob/main/docs/openai.md (usage without details; `include_usage`
 *   honoured).
 * - gemini: https://ai.google.dev/gemini-api/docs/openai (the OpenAI-compatible endpoint under `/v1beta/openai/`;
 *   usage without details, thinking counted in total_tokens but not completion_tokens, as reported on Google's forum:
 *   discuss.ai.google.dev/t/…/127400; `include_usage` honoured, no `service_tier` in the body) and
 *   https://ai.google.dev/gemini-api/docs/priority-inference (the tier that served the call in the
 *   `x-gemini-service-tier` response header; a priority request over the priority limit is served at `standard`,
 *   which this server always does, so a downgrade is what it shows).
 */
export type Flavour = 'azure' | 'openrouter' | 'vllm' | 'ollama' | 'gemini';

export const COMPAT_USAGE = { prompt: 1200, cached: 512, cache_write: 300, completion: 240, reasoning: 64 };
/** What OpenRouter said the call cost, in credits (USD), as its JSON number. */
export const OPENROUTER_COST = 0.0052305;
/** What OpenRouter charged for a BYOK call of the same usage (its fee), in credits. */
export const OPENROUTER_BYOK_FEE = 0.000261525;
export const AZURE_MODEL = 'gpt-4o-2024-11-20';
const WORDS = ['Hello', ' from', ' a', ' compatible', ' server'];

const FILTER_OK = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
};

export async function startCompatUpstream(flavour: Flavour): Promise<FakeProvider> {
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      requests.push({ path, method: req.method ?? '', headers: req.headers, body });
      if (!path.split('?')[0]!.endsWith('/chat/completions'))
        return json(res, 404, { error: { message: `no route ${path}`, type: 'invalid_request_error' } });
      if (flavour === 'azure') {
        // Classic data-plane paths take only the `api-key` header and need an api-version.
        if (path.includes('/deployments/') && typeof req.headers['api-key'] !== 'string')
          return json(res, 401, {
            error: {
              code: '401',
              message:
                'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
            },
          });
        if (path.includes('/deployments/') && !path.includes('api-version='))
          return json(res, 404, { error: { code: '404', message: 'Resource not found' } });
      }
      const request = JSON.parse(body) as Record<string, unknown>;
      if (typeof request.temperature === 'number' && request.temperature > 2)
        return json(res, 400, {
          error: {
            message: `${request.temperature} is greater than the maximum of 2 - 'temperature'`,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
      // Azure takes `stream_options` from api-version 2024-09-01-preview on; before, it refuses the argument.
      const apiVersion = /api-version=([0-9-]+)/.exec(path)?.[1];
      if (
        flavour === 'azure' &&
        apiVersion !== undefined &&
        apiVersion < '2024-09-01' &&
        'stream_options' in request
      )
        return json(res, 400, {
          error: {
            message:
              'Unrecognized request argument supplied: stream_options. Please contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 for further questions.',
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
      const extra: Record<string, string> =
        flavour === 'gemini' ? { 'x-gemini-service-tier': geminiServedTier(request) } : {};
      if (request.stream === true) return void stream(flavour, request, res, extra);
      return json(res, 200, completion(flavour, String(request.model)), extra);
    });
  });
  // No WebSocket mode here: a handshake is refused as by a server that has none.
  return { ...(await listenLocal(server)), requests, sockets: [], closeSockets: () => {} };
}

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

/** Flex is served as flex; priority is downgraded to standard (over the priority limit); anything else is standard. */
function geminiServedTier(request: Record<string, unknown>): string {
  return request.service_tier === 'flex' ? 'flex' : 'standard';
}

function usage(flavour: Flavour, model: string): Record<string, unknown> {
  const u = COMPAT_USAGE;
  const base = {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
  };
  switch (flavour) {
    case 'azure':
      return {
        ...base,
        prompt_tokens_details: { audio_tokens: 0, cached_tokens: u.cached },
        completion_tokens_details: {
          accepted_prediction_tokens: 0,
          audio_tokens: 0,
          reasoning_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      };
    case 'openrouter':
      return {
        ...base,
        ...(model.endsWith('-byok')
          ? {
              cost: OPENROUTER_BYOK_FEE,
              is_byok: true,
              cost_details: { upstream_inference_cost: OPENROUTER_COST },
            }
          : { cost: OPENROUTER_COST, is_byok: false, cost_details: { upstream_inference_cost: null } }),
        prompt_tokens_details: {
          cached_tokens: u.cached,
          cache_write_tokens: u.cache_write,
          audio_tokens: 0,
        },
        completion_tokens_details: { reasoning_tokens: u.reasoning, image_tokens: 0 },
      };
    case 'vllm':
      return { ...base, prompt_tokens_details: null };
    case 'ollama':
      return base;
    case 'gemini':
      // Its thinking (COMPAT_USAGE.reasoning) only in total_tokens: completion_tokens are the answer's alone.
      return { ...base, completion_tokens: u.completion - u.reasoning };
  }
}

function answeredModel(flavour: Flavour, requested: string): string {
  return flavour === 'azure' ? AZURE_MODEL : requested.replace(/-byok$/, '');
}

function completion(flavour: Flavour, model: string): Record<string, unknown> {
  const message = { role: 'assistant', content: WORDS.join('') };
  const choice =
    flavour === 'azure'
      ? { content_filter_results: FILTER_OK, finish_reason: 'stop', index: 0, logprobs: null, message }
      : { index: 0, message, logprobs: null, finish_reason: 'stop' };
  return {
    id: 'chatcmpl-compat1',
    object: 'chat.completion',
    created: 1_760_000_000,
    model: answeredModel(flavour, model),
    choices: [choice],
    ...(flavour === 'azure'
      ? { prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_OK }] }
      : {}),
    ...(flavour === 'openrouter' ? { provider: 'Anthropic' } : {}),
    usage: usage(flavour, model),
  };
}

async function stream(
  flavour: Flavour,
  request: Record<string, unknown>,
  res: ServerResponse,
  extra: Record<string, string>,
): Promise<void> {
  const model = String(request.model);
  const asked = (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  // OpenRouter always sends usage (its docs: include_usage and usage.include are deprecated no-ops).
  const withUsage = asked || flavour === 'openrouter';
  const head = {
    id: 'chatcmpl-compat2',
    object: 'chat.completion.chunk',
    created: 1_760_000_000,
    model: answeredModel(flavour, model),
  };
  const chunk = (delta: object, finish: string | null) => {
    const choice =
      flavour === 'azure'
        ? { content_filter_results: finish === null ? FILTER_OK : {}, delta, finish_reason: finish, index: 0 }
        : { index: 0, delta, finish_reason: finish };
    return `data: ${JSON.stringify({ ...head, choices: [choice] })}\n\n`;
  };
  const events: string[] = [];
  if (flavour === 'azure')
    events.push(
      `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_OK }] })}\n\n`,
    );
  if (flavour === 'openrouter') events.push(': OPENROUTER PROCESSING\n\n');
  events.push(chunk({ role: 'assistant', content: '' }, null));
  for (const w of WORDS) events.push(chunk({ content: w }, null));
  events.push(chunk({}, 'stop'));
  if (withUsage)
    events.push(`data: ${JSON.stringify({ ...head, choices: [], usage: usage(flavour, model) })}\n\n`);
  events.push('data: [DONE]\n\n');
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...extra });
  for (const e of events) {
    res.write(e);
    if (model.endsWith('-slow')) await new Promise((r) => setTimeout(r, 30));
  }
  res.end();
}

import type { IncomingHttpHeaders } from 'node:http';
import { anthropicProvider } from './providers/anthropic/anthropic.js';
import { openAiProvider } from './providers/openai/openai.js';
import type { Operation, Provider } from './providers/provider.js';

export interface GatewayRoute {
  provider: Provider;
  operation: Operation;
  /** count_tokens is free and carries no usage: proxied, not recorded. */
  metered: boolean;
  /** The body is multipart/form-data (audio or image files and their fields), not JSON. */
  form?: true;
  /**
   * The model a body that names none is metered as (and sent as it came, for the upstream's own default): only where
   * the API has one model (the Images API's variations: dall-e-2). Elsewhere a body without a model is refused.
   */
  defaultModel?: string;
}

/** The APIs the gateway proxies (all POST), by path under /v1. */
export const GATEWAY_ROUTES: ReadonlyMap<string, GatewayRoute> = new Map([
  ['/v1/chat/completions', { provider: openAiProvider, operation: 'chat', metered: true }],
  ['/v1/responses', { provider: openAiProvider, operation: 'responses', metered: true }],
  // Compaction runs the model over the conversation and bills its usage like a response.
  ['/v1/responses/compact', { provider: openAiProvider, operation: 'compact', metered: true }],
  ['/v1/completions', { provider: openAiProvider, operation: 'completions', metered: true }],
  ['/v1/embeddings', { provider: openAiProvider, operation: 'embeddings', metered: true }],
  [
    '/v1/audio/transcriptions',
    { provider: openAiProvider, operation: 'transcription', metered: true, form: true },
  ],
  [
    '/v1/audio/translations',
    { provider: openAiProvider, operation: 'translation', metered: true, form: true },
  ],
  ['/v1/images/generations', { provider: openAiProvider, operation: 'image', metered: true }],
  ['/v1/images/edits', { provider: openAiProvider, operation: 'image', metered: true, form: true }],
  [
    '/v1/images/variations',
    { provider: openAiProvider, operation: 'image', metered: true, form: true, defaultModel: 'dall-e-2' },
  ],
  ['/v1/messages', { provider: anthropicProvider, operation: 'messages', metered: true }],
  ['/v1/messages/count_tokens', { provider: anthropicProvider, operation: 'count_tokens', metered: false }],
]);

/**
 * A call that costs nothing and reports no usage, which the official SDKs and tools make beside the metered ones
 * (an app or an IDE lists the models at start-up, checks input with moderations, counts a prompt's tokens):
 * forwarded to the upstream and passed back as it came, not recorded.
 */
export interface ForwardRoute {
  provider: Provider;
  method: 'GET' | 'POST' | 'DELETE';
  /**
   * Where the call names the model that picks its upstream: in the path (`/v1/models/{model}`), in the body, or
   * nowhere (then the upstream named like the API type answers).
   */
  model: 'path' | 'body' | 'none';
  /**
   * A stored response's route (`/v1/responses/{id}`…): sent to the upstream the response was created on when this
   * gateway saw it created; `finishes` when its answer may show a background response finished, which is then
   * recorded (background-responses.ts).
   */
  response: { id: string; finishes: boolean } | null;
}

const MODELS = '/v1/models';
const ESCAPED_DOT_OR_SLASH = /%(?:2e|2f|5c)/i;

/**
 * The forwarded route for a request, or null. OpenAI and Anthropic both list their models at `GET /v1/models`;
 * Anthropic's SDKs always send `anthropic-version` and OpenAI's never do, so that header tells them apart.
 */
export function forwardRoute(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
): ForwardRoute | null {
  if (method === 'GET' && (path === MODELS || pathModel(path) !== null))
    return {
      provider: headers['anthropic-version'] === undefined ? openAiProvider : anthropicProvider,
      method: 'GET',
      model: path === MODELS ? 'none' : 'path',
      response: null,
    };
  // The ids below go upstream as they came. None has a reason to escape a dot or a slash (OpenAI's are resp_…,
  // chatcmpl-…, conv_…, msg_…), and an upstream that decodes those before routing would see a path one level up.
  if (ESCAPED_DOT_OR_SLASH.test(path)) return null;
  if (method === 'POST' && FREE_POSTS.has(path))
    return { provider: openAiProvider, method: 'POST', model: 'body', response: null };
  if (CONVERSATIONS.test(path) && (method === 'GET' || method === 'POST' || method === 'DELETE'))
    return { provider: openAiProvider, method, model: 'none', response: null };
  const stored = STORED_COMPLETION.exec(path);
  if (stored !== null && !NOT_IDS.has(stored[1] ?? '')) {
    const one = stored[1] !== undefined && stored[2] === undefined;
    if (method === 'GET' || (one && (method === 'POST' || method === 'DELETE')))
      return { provider: openAiProvider, method, model: 'none', response: null };
  }
  const m = STORED_RESPONSE.exec(path);
  if (m === null || NOT_IDS.has(m[1]!)) return null;
  const id = m[1]!;
  const sub = m[2] ?? '';
  const to = (method: ForwardRoute['method'], finishes: boolean): ForwardRoute => ({
    provider: openAiProvider,
    method,
    model: 'none',
    response: { id, finishes },
  });
  if (sub === '' && method === 'GET') return to('GET', true);
  if (sub === '' && method === 'DELETE') return to('DELETE', false);
  if (sub === '/cancel' && method === 'POST') return to('POST', true);
  if (sub === '/input_items' && method === 'GET') return to('GET', false);
  return null;
}

/**
 * The Responses API's stored responses: retrieve (polled in background mode, streamed with `?stream=true`),
 * cancel, delete, and their input items (https://platform.openai.com/docs/api-reference/responses).
 */
const STORED_RESPONSE = /^\/v1\/responses\/([^/]+)(\/cancel|\/input_items)?$/;
const NOT_IDS = new Set(['input_tokens', 'compact', '.', '..']);

/**
 * The Conversations API, which keeps the state a Responses call names in `conversation`
 * (https://platform.openai.com/docs/api-reference/conversations): create, retrieve, update, delete, and the items.
 * Free: its items are billed as input by the response that uses them, which is metered.
 */
/**
 * Stored chat completions (`store: true`, https://platform.openai.com/docs/api-reference/chat): list (`GET
 * /v1/chat/completions`, beside the metered POST), retrieve, update, delete, and a completion's messages. Free.
 */
const STORED_COMPLETION = /^\/v1\/chat\/completions(?:\/([^/]+)(\/messages)?)?$/;

const CONVERSATIONS = /^\/v1\/conversations(?:\/(?!\.\.?(?:\/|$))[^/]+(?:\/items(?:\/(?!\.\.?$)[^/]+)?)?)?$/;

/**
 * OpenAI's free calls an app makes beside its metered ones: moderations (free of charge, no usage in the answer)
 * and the Responses API's input token count. Their `model` is optional; without one, the `openai` upstream answers.
 */
const FREE_POSTS = new Set(['/v1/moderations', '/v1/responses/input_tokens']);

/**
 * The model named by a path `/v1/models/{model}`, percent-decoded (the SDKs encode a `/` in `vendor/model` ids), or
 * null. It is sent upstream encoded again as one path segment, so no name can reach another path there (`..`).
 */
export function pathModel(path: string): string | null {
  if (!path.startsWith(`${MODELS}/`)) return null;
  const raw = path.slice(MODELS.length + 1);
  let model: string;
  try {
    model = decodeURIComponent(raw);
  } catch {
    model = raw;
  }
  return model === '' || model === '.' || model === '..' ? null : model;
}

/**
 * A request made by an Anthropic client to a path the gateway does not serve: Anthropic's SDKs always send
 * `anthropic-version` (OpenAI's never do), and `/v1/messages/…` is Anthropic's (Message Batches).
 */
export function isAnthropicRequest(path: string, headers: IncomingHttpHeaders): boolean {
  return headers['anthropic-version'] !== undefined || path.startsWith('/v1/messages/');
}

/**
 * The WebSockets the gateway proxies and meters (socket/upgrades.ts): the Responses API's WebSocket mode, each
 * `response.create` a call, and the Realtime API's, each response a call.
 */
export const SOCKET_ROUTES: ReadonlyMap<string, GatewayRoute> = new Map([
  ['/v1/responses', GATEWAY_ROUTES.get('/v1/responses')!],
  ['/v1/realtime', { provider: openAiProvider, operation: 'realtime', metered: true }],
]);

/** What a 404 says to a WebSocket handshake anywhere else. */
export function webSocketMessage(path: string): string {
  return `a WebSocket to ${path} is not served: the gateway's WebSockets are /v1/responses (the Responses API's WebSocket mode) and /v1/realtime (the Realtime API's)`;
}

/**
 * What a 404 says for a path the gateway does not serve: for the APIs an app's SDK client also offers, why the
 * gateway leaves them to the provider and what to do instead (docs/gateway.md, "Not proxied"); else the routes it
 * serves.
 */
export function notFoundMessage(method: string, path: string, headers: IncomingHttpHeaders): string {
  const what = `${method} ${path}`;
  const anthropic = isAnthropicRequest(path, headers);
  if (/^\/v1\/(?:messages\/batches|batches|files|uploads)(?:\/|$)/.test(path))
    return `${what} is not proxied: batches (and the files they read and write) run at the provider and report their usage in result files the gateway never sees, so it cannot meter them. Send batch and file calls to the provider directly (a client without the gateway's base URL) and import their usage with \`tokenledger import ${anthropic ? 'anthropic' : 'openai'}-usage\`, priced at batch rates`;
  if (/^\/v1\/realtime(?:\/|$)/.test(path))
    return `${what} is not proxied: the gateway meters the Realtime API over its WebSocket (GET /v1/realtime?model=…), not over WebRTC or SIP. Connect over the WebSocket, or call the provider directly and import the usage with \`tokenledger import openai-usage\``;
  if (/^\/v1\/(?:audio|videos)(?:\/|$)/.test(path))
    return `${what} is not proxied: speech and video calls are not metered by the gateway (of the Audio API, POST /v1/audio/transcriptions and /v1/audio/translations are). Send them to the provider directly; their spend is in the costs page \`tokenledger import openai-usage\` reads`;
  return `no route ${what}; the gateway serves POST /v1/chat/completions, /v1/responses, /v1/responses/compact, /v1/completions, /v1/embeddings, /v1/audio/transcriptions, /v1/audio/translations, /v1/images/generations, /v1/images/edits, /v1/images/variations, /v1/messages, /v1/messages/count_tokens, /v1/moderations, /v1/responses/input_tokens; GET /v1/models, /v1/models/{model}; stored responses, chat completions and conversations (docs/gateway.md, Routes)`;
}

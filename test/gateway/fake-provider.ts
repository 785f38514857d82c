import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { WebSocket, WebSocketServer } from 'ws';
import { listenLocal } from '../helpers/listen-local.js';

/**
 * A local stand-in for api.openai.com and api.anthropic.com that speaks their wire formats as documented (status
 * codes, JSON bodies, SSE framing, usage blocks with cached, cache-write and reasoning tokens, error bodies). The
 * model name picks a behaviour: `*-e429` / `*-e500` answer errors, `*-busy` answers the provider's too-busy error
 * with `retry-after: 1` (OpenAI's 429, Anthropic's 529), `*-slow` spaces chunks 30 ms apart, `*-late` sends
 * a stream's headers 300 ms before its first chunk and a chat completion's whole answer 300 ms late (a model that
 * thinks before it answers), `*-lingering` ends a
 * stream 300 ms after its last event, `*-broken`
 * cuts the connection mid-stream (`*-broken-at-start` before its first event: a Messages stream left without
 * message_start, the only usage of the call's input), `*-hang` stops sending after two chunks (until the client gives up),
 * `*-overloaded` sends the provider's in-stream error event after two chunks and ends the stream (the status was 200;
 * `*-overloaded-lingering` ends it 300 ms later; `*-error-after-delta` sends it in place of the last event, a
 * Messages stream's message_stop, after message_delta),
 * `*-gzip` answers `content-encoding: gzip` whatever the request accepted (as a CDN in front of a server may),
 * `*-stall` sends half a JSON answer and then nothing, `*-cut` sends half a JSON answer and cuts the connection,
 * `*-redirect` answers 307 to another host, `*-silent` never answers at all, and a Responses stream for `*-failed`
 * ends with `response.failed` (its error and final usage) instead of `response.completed`, and a Messages stream
 * for `*-nodelta` ends without its `message_delta` (the event with the final output usage), for `*-bare-delta` with
 * a `message_delta` that carries no `usage` (as an Anthropic-compatible server may send it); a chat completion or an
 * embeddings list for `*-nousage` has no `usage` (as some OpenAI-compatible servers answer); a chat answer for `*-long`
 * is LONG_ANSWER (2 MiB), and a chat stream for `*-long` carries
 * LONG_STREAM_BYTES of text (more than a client's and the kernel's socket buffers hold), and for `*-long-zipped` the
 * same stream gzipped whole and sent in one write (a server that compresses a finished answer): a few kB that have all
 * arrived long before a client has read what they hold.
 *
 * A request that declares a server-side web search tool is answered as if it searched: a Messages answer runs
 * ANTHROPIC_SEARCHES searches, or the fewer its tool's `max_uses` allows (`server_tool_use` and
 * `web_search_tool_result` blocks, usage.server_tool_use, in the stream's message_delta too) and one free web fetch
 * when `web_fetch` is declared; a Responses answer has OPENAI_SEARCHES `web_search_call` output items and echoes the
 * tools it was given, as the API does.
 *
 * A Messages request whose `context_management.edits` holds a `compact_20260112` edit is answered as if the
 * conversation had reached the trigger: a `compaction` block first, and `usage.iterations` with the compaction's
 * own usage (COMPACTION_USAGE, which the top-level usage leaves out) before the answer's `message` iteration.
 *
 * A chat completion from an audio model (`gpt-audio*`, `gpt-4o*-audio-preview*`) reports AUDIO_USAGE: audio tokens
 * among the prompt and completion tokens (`prompt_tokens_details.audio_tokens`, `completion_tokens_details.audio_tokens`).
 *
 * The Images API's generations, edits and variations (images()) answer with IMAGE_B64 images and, from a GPT image
 * model, IMAGE_USAGE (an edit: IMAGE_EDIT_USAGE; `gpt-image-1.5*`: IMAGE_USAGE_DETAILED), streamed or not; dall-e
 * models report no usage.
 */

export const OPENAI_USAGE = { prompt: 1500, cached: 1024, completion: 420, reasoning: 256 };
/**
 * The cache writes among OPENAI_USAGE.prompt of a `gpt-5.6*` answer: GPT-5.6 and later bill writes at 1.25x input
 * and report them as a part of the input, `input_tokens_details.cache_write_tokens` (with
 * `cache_write_tokens_details.ttl_30m_tokens` / `ttl_12h_tokens`) in a response and
 * `prompt_tokens_details.cache_write_tokens` in a chat completion (openai/openai-node 7.40–7.50,
 * src/resources/responses/responses.ts `ResponseUsage.InputTokensDetails`, completions.ts `PromptTokensDetails`).
 */
export const OPENAI_CACHE_WRITE = 300;
const writesCache = (model: string) => model.startsWith('gpt-5.6');
export const AUDIO_USAGE = {
  prompt: 1200,
  cached: 0,
  completion: 300,
  reasoning: 0,
  audioIn: 800,
  audioOut: 200,
};
const isAudioModel = (model: string) => /^gpt-audio|^gpt-4o(-mini)?-audio-preview/.test(model);
export const ANTHROPIC_USAGE = { input: 350, cache_read: 2048, cache_5m: 512, cache_1h: 256, output: 180 };
/**
 * The reasoning among ANTHROPIC_USAGE.output of an answer that thought: `usage.output_tokens_details.thinking_tokens`
 * (anthropics/anthropic-sdk-typescript src/resources/messages/messages.ts `OutputTokensDetails`, in `Usage` and
 * `MessageDeltaUsage`; "Always ≤ `output_tokens`").
 */
export const ANTHROPIC_THINKING_TOKENS = 120;
/**
 * The usage of a server-side compaction (anthropics/anthropic-sdk-typescript src/resources/beta/messages/messages.ts
 * `BetaCompactionIterationUsage`, an entry of `usage.iterations`, in `BetaUsage` and `BetaMessageDeltaUsage`: "A
 * `compaction` entry's tokens are not included in the top-level `usage` fields"): a context of 199,000 tokens read
 * and summarised in 3,500.
 */
export const COMPACTION_USAGE = { input: 199_000, output: 3_500 };
export const COMPACTION_SUMMARY = 'Summary of the conversation: the user greeted me.';
export const EMBEDDING_TOKENS = 64;
export const ANTHROPIC_SEARCHES = 3;
export const OPENAI_SEARCHES = 2;
export const WORDS = ['Hello', ' there', ',', ' how', ' can', ' I', ' help', ' you', ' today', '?'];
/** The text of a `*-long` chat stream, in 4 kB deltas. */
export const LONG_STREAM_BYTES = 24 << 20;
const LONG_DELTA = 'lorem ipsum '.repeat(4096 / 12);
/** The answer of a non-streamed `*-long` chat completion: 2 MiB of text, an answer the gateway reads skimmed. */
export const LONG_ANSWER = 'lorem ipsum '.repeat((2 << 20) / 12);

export interface FakeRequest {
  path: string;
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** A multipart/form-data request's text fields and its file's bytes. */
  form?: { fields: Record<string, string>; file: Buffer | null };
}

/** A WebSocket to the fake's `/v1/responses` (the Responses API's WebSocket mode): its handshake and what it sent. */
export interface FakeSocket {
  url: string;
  headers: IncomingMessage['headers'];
  messages: Record<string, unknown>[];
}

export interface FakeProvider {
  url: string;
  requests: FakeRequest[];
  sockets: FakeSocket[];
  /** Closes every WebSocket open to the fake with this code and reason. */
  closeSockets(code: number, reason: string): void;
  close(): Promise<void>;
}

export async function startFakeProvider(): Promise<FakeProvider> {
  const requests: FakeRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const request: FakeRequest = {
        path: req.url ?? '',
        method: req.method ?? '',
        headers: req.headers,
        body,
      };
      requests.push(request);
      const path = req.url ?? '';
      if (path === '/v1/audio/transcriptions') return void transcription(raw, request, res);
      if (path === '/v1/audio/translations') return void translation(raw, request, res);
      if (path === '/v1/images/generations')
        return void images('image_generation', JSON.parse(body) as Record<string, unknown>, res);
      if (path === '/v1/images/edits' || path === '/v1/images/variations')
        return void imageForm(path, raw, request, res);
      if (path.startsWith('/v1/responses/') && STORED.test(path.split('?')[0]!))
        return void storedResponse(req.method ?? '', path, res);
      if (
        path.startsWith('/v1/chat/completions') &&
        !(req.method === 'POST' && path === '/v1/chat/completions')
      )
        return void storedCompletion(req.method ?? '', path.split('?')[0]!, body, res);
      if (path.startsWith('/v1/conversations'))
        return void conversation(req.method ?? '', path.split('?')[0]!, body, res);
      if (req.method === 'GET') return void answerGet(req, res);
      void answer(path, JSON.parse(body) as Record<string, unknown>, res, req.headers);
    });
  });
  server.keepAliveTimeout = 30_000;
  const sockets: FakeSocket[] = [];
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/responses' && path !== '/v1/realtime') return void socket.destroy();
    // OpenAI's answer to a key it does not know, before any upgrade.
    if (req.headers.authorization === 'Bearer sk-refused') {
      const body = JSON.stringify({
        error: {
          message: 'Incorrect API key provided: sk-refused.',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
      return void socket.end(
        `HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const s: FakeSocket = { url: req.url ?? '', headers: req.headers, messages: [] };
      sockets.push(s);
      if (path === '/v1/realtime') realtimeSocket(ws, s);
      else responsesSocket(ws, s);
    });
  });
  const listening = await listenLocal(server);
  return {
    ...listening,
    requests,
    sockets,
    closeSockets: (code, reason) => {
      for (const ws of wss.clients) ws.close(code, reason);
    },
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      return listening.close();
    },
  };
}

/**
 * The Responses API's WebSocket mode (https://developers.openai.com/api/docs/guides/websocket-mode): each
 * `response.create` is answered with the events of a streamed response, as JSON messages; creates naming a lane
 * (`stream_id`) are answered in order within it, lanes at once, and each event echoes its lane.
 */
function responsesSocket(ws: WebSocket, s: FakeSocket): void {
  const lanes = new Map<string, Promise<void>>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    s.messages.push(m);
    if (m.type !== 'response.create') return;
    const lane = typeof m.stream_id === 'string' ? m.stream_id : '';
    lanes.set(
      lane,
      (lanes.get(lane) ?? Promise.resolve()).then(() => answerCreate(ws, m)),
    );
  });
}

/**
 * What the fake's Realtime responses used, in the shape of the Realtime API's `response.done` (RealtimeResponseUsage):
 * input counts cached tokens, each split by modality.
 */
export const REALTIME_USAGE = {
  total_tokens: 1900,
  input_tokens: 1500,
  output_tokens: 400,
  input_token_details: {
    text_tokens: 700,
    audio_tokens: 800,
    image_tokens: 0,
    cached_tokens: 1000,
    cached_tokens_details: { text_tokens: 500, audio_tokens: 500, image_tokens: 0 },
  },
  output_token_details: { text_tokens: 100, audio_tokens: 300 },
};

/**
 * The Audio API's transcriptions (https://platform.openai.com/docs/api-reference/audio/createTranscription): a
 * multipart/form-data request, answered with `{text, usage}` (token usage; whisper-1's in seconds), the text alone
 * for `response_format=text`, or with `stream=true` as SSE: `transcript.text.delta` events, then
 * `transcript.text.done` with the usage.
 */
async function transcription(raw: Buffer, request: FakeRequest, res: ServerResponse): Promise<void> {
  const { fields } = await readForm(raw, request);
  const text = WORDS.join('');
  if (fields.response_format === 'text') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    return void res.end(text);
  }
  if (fields.model === 'whisper-1') return json(res, 200, { text, usage: { type: 'duration', seconds: 4 } });
  if (fields.stream !== 'true') return json(res, 200, { text, usage: TRANSCRIPTION_USAGE });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const delta of WORDS)
    res.write(`data: ${JSON.stringify({ type: 'transcript.text.delta', delta })}\n\n`);
  res.end(`data: ${JSON.stringify({ type: 'transcript.text.done', text, usage: TRANSCRIPTION_USAGE })}\n\n`);
}

/**
 * The Audio API's translations (https://platform.openai.com/docs/api-reference/audio/createTranslation), whisper-1's
 * alone: `{text}` for `json` (the default), `{task, language, duration, text, segments}` for `verbose_json` (the
 * openai SDKs' `Translation` and `TranslationVerbose`: neither has usage), the text alone for `text`. A `prompt` of
 * `stall` sends half an answer and then nothing.
 */
async function translation(raw: Buffer, request: FakeRequest, res: ServerResponse): Promise<void> {
  const { fields } = await readForm(raw, request);
  const text = WORDS.join('');
  if (fields.prompt === 'stall') {
    // Half an answer, then nothing: until the gateway gives up (timeouts.idle_ms).
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.write('{"text": "Hel');
  }
  if (fields.response_format === 'text') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    return void res.end(text);
  }
  if (fields.response_format === 'verbose_json')
    return json(res, 200, { task: 'translate', language: 'english', duration: 4.2, text, segments: [] });
  json(res, 200, { text });
}

/** A multipart/form-data request's text fields and its (first) file, kept on the request for tests to look at. */
async function readForm(raw: Buffer, request: FakeRequest): Promise<NonNullable<FakeRequest['form']>> {
  const form = await new Response(raw, {
    headers: { 'content-type': String(request.headers['content-type']) },
  }).formData();
  const fields: Record<string, string> = {};
  let file: Buffer | null = null;
  for (const [name, value] of form) {
    if (typeof value === 'string') fields[name] = value;
    else file ??= Buffer.from(await value.arrayBuffer());
  }
  request.form = { fields, file };
  return request.form;
}

/**
 * What a generation with gpt-image-1 used (openai-node src/resources/images.ts `ImagesResponse.Usage`): its answers
 * carry no `output_tokens_details`, every output token being the image's.
 */
export const IMAGE_USAGE = {
  input_tokens: 50,
  input_tokens_details: { text_tokens: 50, image_tokens: 0 },
  output_tokens: 4160,
  total_tokens: 4210,
};
/** What an edit used: the input images among its input tokens. */
export const IMAGE_EDIT_USAGE = {
  input_tokens: 373,
  input_tokens_details: { text_tokens: 50, image_tokens: 323 },
  output_tokens: 1056,
  total_tokens: 1429,
};
/** What a gpt-image-1.5 call used: its output split into text and image tokens (`output_tokens_details`). */
export const IMAGE_USAGE_DETAILED = {
  input_tokens: 50,
  input_tokens_details: { text_tokens: 50, image_tokens: 0 },
  output_tokens: 4200,
  output_tokens_details: { text_tokens: 40, image_tokens: 4160 },
  total_tokens: 4250,
};
/** The fake's image: a PNG signature and 96 kB, so that a stream's events span several reads of the socket. */
export const IMAGE_B64 = Buffer.concat([
  Buffer.from('89504e470d0a1a0a', 'hex'),
  Buffer.alloc(96 * 1024, 0x42),
]).toString('base64');

/**
 * The Images API's edits and variations (https://platform.openai.com/docs/api-reference/images): multipart/form-data
 * with the image(s) and text fields, answered as generations are. A variation is dall-e-2's (the only model it takes,
 * and the one it defaults to).
 */
async function imageForm(
  path: string,
  raw: Buffer,
  request: FakeRequest,
  res: ServerResponse,
): Promise<void> {
  const { fields } = await readForm(raw, request);
  const params: Record<string, unknown> = { ...fields, stream: fields.stream === 'true' };
  if (fields.n !== undefined) params.n = Number(fields.n);
  if (fields.partial_images !== undefined) params.partial_images = Number(fields.partial_images);
  if (path === '/v1/images/variations') params.model = 'dall-e-2';
  images('image_edit', params, res);
}

/**
 * An Images API answer (https://platform.openai.com/docs/api-reference/images/create): an `ImagesResponse` with `n`
 * images and the call's usage, which dall-e-2 and dall-e-3 (billed per image) leave out, answering with URLs unless
 * asked for `b64_json`. Streamed (`stream: true`, GPT image models): `partial_images` events `<kind>.partial_image`,
 * then `<kind>.completed` with the image and usage, each with its `event:` name; a `*-hang` model sends the partial
 * images and then nothing, until the client leaves.
 */
function images(
  kind: 'image_generation' | 'image_edit',
  params: Record<string, unknown>,
  res: ServerResponse,
): void {
  const model = String(params.model ?? 'dall-e-2');
  const n = typeof params.n === 'number' ? params.n : 1;
  const usage = model.startsWith('gpt-image-1.5')
    ? IMAGE_USAGE_DETAILED
    : kind === 'image_edit'
      ? IMAGE_EDIT_USAGE
      : IMAGE_USAGE;
  const created = 1_767_225_600;
  const settings = { background: 'opaque', output_format: 'png', quality: 'high', size: '1024x1024' };
  if (model.startsWith('dall-e')) {
    const image =
      params.response_format === 'b64_json'
        ? { b64_json: IMAGE_B64 }
        : { url: 'https://oaidalleapiprodscus.blob.core.windows.net/private/img-fake.png' };
    return void json(res, 200, { created, data: Array.from({ length: n }, () => image) });
  }
  if (params.stream !== true)
    return void json(res, 200, {
      created,
      data: Array.from({ length: n }, () => ({ b64_json: IMAGE_B64 })),
      ...settings,
      usage,
    });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (type: string, fields: Record<string, unknown>) =>
    res.write(
      `event: ${type}\ndata: ${JSON.stringify({ type, b64_json: IMAGE_B64, created_at: created, ...settings, ...fields })}\n\n`,
    );
  const partials = typeof params.partial_images === 'number' ? params.partial_images : 0;
  for (let i = 0; i < partials; i++) send(`${kind}.partial_image`, { partial_image_index: i });
  if (model.endsWith('-hang')) return;
  send(`${kind}.completed`, { usage });
  res.end();
}

/** What the fake's input transcriptions used (`conversation.item.input_audio_transcription.completed`). */
export const TRANSCRIPTION_USAGE = {
  type: 'tokens',
  input_tokens: 60,
  output_tokens: 12,
  total_tokens: 72,
  input_token_details: { text_tokens: 10, audio_tokens: 50 },
};

/**
 * The Realtime API over a WebSocket (https://platform.openai.com/docs/guides/realtime-websocket): `session.created`
 * on connect; a response for each `response.create`, and for each `input_audio_buffer.commit` (as server voice
 * detection makes one when the user stops speaking): `response.created`, its transcript and audio deltas, then
 * `response.done` with its usage. The deltas come 5 ms apart, as audio does, so a `response.cancel` can end a running
 * response: `cancelled`, with what it used so far. A session configured to transcribe its input
 * (`audio.input.transcription`) reports each commit's transcription with its usage.
 */
function realtimeSocket(ws: WebSocket, s: FakeSocket): void {
  const query = new URLSearchParams(s.url.split('?')[1] ?? '');
  const model = query.get('model') ?? '';
  // A transcription session (`?intent=transcription`) transcribes the audio and makes no responses.
  const transcriptionOnly = query.get('intent') === 'transcription';
  let n = 0;
  /** The transcription model the session names, if any. */
  let transcriber: string | null = null;
  const running = new Map<string, { cancelled: boolean }>();
  const send = (e: object) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ event_id: `event_fake${++n}`, ...e }));
  };
  const session = transcriptionOnly
    ? { type: 'transcription', object: 'realtime.transcription_session', id: 'sess_fake1' }
    : { type: 'realtime', object: 'realtime.session', id: 'sess_fake1', model, output_modalities: ['audio'] };
  send({ type: 'session.created', session });
  const respond = async () => {
    const id = `resp_rt${++n}`;
    const state = { cancelled: false };
    running.set(id, state);
    const response = {
      object: 'realtime.response',
      id,
      conversation_id: 'conv_fake1',
      output: [],
      usage: null,
    };
    send({ type: 'response.created', response: { ...response, status: 'in_progress' } });
    for (const delta of WORDS) {
      await sleep(5);
      if (state.cancelled) break;
      send({ type: 'response.output_audio_transcript.delta', response_id: id, item_id: 'item_1', delta });
      send({ type: 'response.output_audio.delta', response_id: id, item_id: 'item_1', delta: 'AAAA' });
    }
    running.delete(id);
    send({
      type: 'response.done',
      response: state.cancelled
        ? {
            ...response,
            status: 'cancelled',
            status_details: { type: 'cancelled', reason: 'client_cancelled' },
            usage: {
              ...REALTIME_USAGE,
              output_tokens: 40,
              output_token_details: { text_tokens: 10, audio_tokens: 30 },
            },
          }
        : { ...response, status: 'completed', status_details: null, usage: REALTIME_USAGE },
    });
  };
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    s.messages.push(m);
    if (m.type === 'session.update') {
      const update = m.session as { audio?: { input?: { transcription?: { model?: string } | null } } };
      transcriber = update.audio?.input?.transcription?.model ?? null;
      send({ type: 'session.updated', session: { ...session, ...update } });
    } else if (m.type === 'response.create') void respond();
    else if (m.type === 'input_audio_buffer.commit') {
      send({ type: 'input_audio_buffer.committed', item_id: 'item_0', previous_item_id: null });
      // whisper-1 reports the seconds of audio it heard, the others their tokens.
      if (transcriber !== null)
        send({
          type: 'conversation.item.input_audio_transcription.completed',
          item_id: 'item_0',
          content_index: 0,
          transcript: 'Hello there.',
          usage: transcriber === 'whisper-1' ? { type: 'duration', seconds: 2 } : TRANSCRIPTION_USAGE,
        });
      if (!transcriptionOnly) void respond();
    } else if (m.type === 'response.cancel') {
      const r = running.get(String(m.response_id));
      if (r !== undefined) r.cancelled = true;
    }
  });
}

async function answerCreate(ws: WebSocket, m: Record<string, unknown>): Promise<void> {
  const model = String(m.model);
  const lane = typeof m.stream_id === 'string' ? { stream_id: m.stream_id } : {};
  const send = (e: object) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ ...e, ...lane }));
  };
  if (m.previous_response_id === 'resp_unknown')
    return send({
      type: 'error',
      status: 400,
      error: {
        type: 'invalid_request_error',
        code: 'previous_response_not_found',
        message: "Previous response with id 'resp_unknown' not found.",
        param: 'previous_response_id',
      },
    });
  // A rate limit or a server error: the socket's error event carries the HTTP call's status and error object.
  if (model.endsWith('-e429') || model.endsWith('-e500')) {
    const status = model.endsWith('-e429') ? 429 : 500;
    return send({ type: 'error', status, ...failureBody(status, false) });
  }
  const events = responseEvents(model, responseTools(m));
  // A failing model fails after the first word, as its HTTP stream does.
  const failAt = events.findIndex((e) => e.type === 'response.output_text.delta') + 1;
  for (let i = 0; i < events.length; i++) {
    if (i === failAt && model.endsWith('-broken')) return void ws.terminate();
    if (i === failAt && model.endsWith('-hang')) return; // until the gateway gives up (timeouts.idle_ms)
    if (i === failAt && model.includes('-overloaded'))
      return send(JSON.parse(STREAM_ERRORS.responses.split('data: ')[1]!) as object);
    send(events[i]!);
    if (model.endsWith('-slow')) await sleep(30);
  }
}

/** A rate limit (429) or a server error (500) as the provider's error body gives it. */
function failureBody(status: 429 | 500, anthropic: boolean): Record<string, unknown> {
  return anthropic
    ? {
        type: 'error',
        error: { type: status === 429 ? 'rate_limit_error' : 'api_error', message: 'fake failure' },
      }
    : {
        error: {
          message: 'fake failure',
          type: status === 429 ? 'requests' : 'server_error',
          param: null,
          code: status === 429 ? 'rate_limit_exceeded' : null,
        },
      };
}

async function answer(
  path: string,
  body: Record<string, unknown>,
  out: ServerResponse,
  headers: IncomingMessage['headers'],
): Promise<void> {
  let model = String(body.model);
  const res = model.endsWith('-gzip') ? gzipped(out) : out;
  if (model.endsWith('-silent')) return; // until the gateway gives up (timeouts.first_byte_ms)
  if (model.endsWith('-redirect')) {
    res.writeHead(307, { location: 'http://203.0.113.7/v1/chat/completions', 'content-length': 0 });
    return void res.end();
  }
  if (model.endsWith('-stall') || model.endsWith('-cut')) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_fake' });
    res.write('{"id":"chatcmpl-fake1","object":"chat.completion",');
    if (model.endsWith('-cut')) setTimeout(() => res.destroy(), 20);
    return; // -stall: until the gateway gives up (timeouts.idle_ms)
  }
  const anthropic = path.startsWith('/v1/messages');
  if (model.endsWith('-busy')) return overloaded(res, anthropic);
  if (model.endsWith('-flaky')) {
    // The official SDKs number their attempts (x-stainless-retry-count): the first is refused, a retry answered.
    if ((headers['x-stainless-retry-count'] ?? '0') === '0') return overloaded(res, anthropic);
    model = model.slice(0, -'-flaky'.length);
    body = { ...body, model };
  }
  if (model.endsWith('-e429') || model.endsWith('-e500')) {
    const status = model.endsWith('-e429') ? 429 : 500;
    return json(res, status, failureBody(status, anthropic));
  }
  switch (path) {
    case '/v1/chat/completions':
      if (body.stream === true) return chatStream(body, res);
      if (model.endsWith('-late')) await sleep(300);
      return json(res, 200, chatCompletion(model, servedTier(body)));
    case '/v1/completions':
      return json(res, 200, {
        id: 'cmpl-fake1',
        object: 'text_completion',
        created: 1_760_000_000,
        model,
        choices: [{ text: WORDS.join(''), index: 0, logprobs: null, finish_reason: 'stop' }],
        usage: openAiUsage(),
      });
    case '/v1/embeddings':
      return json(res, 200, {
        object: 'list',
        data: Array.from({ length: embeddingInputs(body.input) }, (_, index) => ({
          object: 'embedding',
          index,
          embedding: embedding(body.encoding_format, body.dimensions),
        })),
        model: model.replace(/-nousage$/, ''),
        ...(model.endsWith('-nousage')
          ? {}
          : { usage: { prompt_tokens: EMBEDDING_TOKENS, total_tokens: EMBEDDING_TOKENS } }),
      });
    case '/v1/responses': {
      const bg = body.background === true ? startBackground(model) : null;
      const tools = responseTools(body);
      if (body.stream === true) return responsesStream(model, res, tools, bg);
      return json(res, 200, bg === null ? response(model, tools) : backgroundObject(bg));
    }
    case '/v1/messages': {
      const thinking = (body.thinking as { type?: string } | undefined)?.type === 'enabled';
      const tools = serverTools(body);
      const compact = compacts(body);
      return body.stream === true
        ? messagesStream(model, servedSpeed(body), res, servedGeo(body), tools, thinking, compact)
        : json(res, 200, message(model, servedSpeed(body), servedGeo(body), tools, thinking, compact));
    }
    case '/v1/messages/count_tokens':
      return json(res, 200, { input_tokens: 2095 });
    case '/v1/responses/compact':
      return json(res, 200, compacted());
    case '/v1/responses/input_tokens':
      return json(res, 200, { object: 'response.input_tokens', input_tokens: 1187 });
    case '/v1/moderations':
      return json(res, 200, moderation(body));
    default:
      return json(res, 404, {
        error: {
          message: `Invalid URL (POST ${path})`,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
  }
}

/** OpenAI's moderation answer (https://platform.openai.com/docs/api-reference/moderations/object): nothing flagged. */
function moderation(body: Record<string, unknown>) {
  const categories = [
    'harassment',
    'harassment/threatening',
    'hate',
    'hate/threatening',
    'illicit',
    'illicit/violent',
    'self-harm',
    'self-harm/instructions',
    'self-harm/intent',
    'sexual',
    'sexual/minors',
    'violence',
    'violence/graphic',
  ];
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const each = <T>(v: T) => Object.fromEntries(categories.map((c) => [c, v]));
  return {
    id: 'modr-fake1',
    model: typeof body.model === 'string' ? body.model : 'omni-moderation-latest',
    results: inputs.map(() => ({
      flagged: false,
      categories: each(false),
      category_scores: each(0.0001),
      category_applied_input_types: each(['text']),
    })),
  };
}

/** The models the fake knows, as each provider lists them. */
export const FAKE_MODELS = {
  openai: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'],
  anthropic: ['claude-sonnet-4-20250514', 'claude-opus-4-6'],
};

/**
 * GET routes: the model list and one model, in OpenAI's shape (https://platform.openai.com/docs/api-reference/models)
 * or, for a request with `anthropic-version`, Anthropic's (https://docs.anthropic.com/en/api/models-list), with each
 * provider's 404 for a model it does not know.
 */
function answerGet(req: IncomingMessage, res: ServerResponse) {
  const path = (req.url ?? '').split('?')[0]!;
  const anthropic = req.headers['anthropic-version'] !== undefined;
  const base = '/v1/models';
  if (path === base) {
    const data = anthropic ? FAKE_MODELS.anthropic.map(anthropicModel) : FAKE_MODELS.openai.map(openAiModel);
    const list = anthropic
      ? { data, has_more: false, first_id: data[0]!.id, last_id: data.at(-1)!.id }
      : { object: 'list', data };
    return json(res, 200, list);
  }
  if (path.startsWith(`${base}/`)) {
    const id = decodeURIComponent(path.slice(base.length + 1));
    if (anthropic && FAKE_MODELS.anthropic.includes(id)) return json(res, 200, anthropicModel(id));
    if (anthropic)
      return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: `model: ${id}` } });
    if (FAKE_MODELS.openai.includes(id)) return json(res, 200, openAiModel(id));
    return json(res, 404, {
      error: {
        message: `The model '${id}' does not exist`,
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      },
    });
  }
  json(res, 404, {
    error: { message: `Invalid URL (GET ${path})`, type: 'invalid_request_error', param: null, code: null },
  });
}

function openAiModel(id: string) {
  return { id, object: 'model', created: 1_715_367_049, owned_by: 'system' };
}

function anthropicModel(id: string) {
  return {
    type: 'model',
    id,
    display_name: id,
    created_at: '2025-05-22T00:00:00Z',
    capabilities: null,
    deprecated_at: null,
    lifecycle: 'active',
    line: id.includes('opus') ? 'opus' : 'sonnet',
    max_input_tokens: 200_000,
    max_tokens: 64_000,
    retires_at: null,
  };
}

/** The response compressed with gzip, each write flushed so a stream still arrives event by event. */
function gzipped(res: ServerResponse): ServerResponse {
  const gzip = createGzip();
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  const writeHead = res.writeHead.bind(res);
  gzip.on('data', (d: Buffer) => write(d));
  gzip.on('end', () => end());
  return Object.assign(res, {
    writeHead: (status: number, headers: Record<string, string | number>) => {
      const { 'content-length': _, ...rest } = headers;
      return writeHead(status, { ...rest, 'content-encoding': 'gzip' });
    },
    write: (chunk: string) => {
      gzip.write(chunk);
      gzip.flush();
      return true;
    },
    end: (chunk?: string) => {
      gzip.end(chunk);
      return res;
    },
  }) as ServerResponse;
}

/**
 * The official clients ask for base64 (little-endian float32) and decode it themselves. A vector has `dimensions`
 * numbers when asked (else 3), [0.0023, -0.0093, 0.0157] over and over.
 */
function embedding(format: unknown, dimensions: unknown): number[] | string {
  const n = typeof dimensions === 'number' ? dimensions : 3;
  const v = Array.from({ length: n }, (_, i) => [0.0023, -0.0093, 0.0157][i % 3]!);
  return format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
}

/** One vector per input: a list of strings or of token arrays; a string or a single token array is one. */
function embeddingInputs(input: unknown): number {
  return Array.isArray(input) && typeof input[0] !== 'number' ? input.length : 1;
}

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-request-id': 'req_fake',
    'content-length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

/**
 * A provider too busy to answer, as each says so: Anthropic's 529 `overloaded_error`
 * (https://docs.anthropic.com/en/api/errors) and OpenAI's 429 `rate_limit_exceeded`, both with `retry-after`.
 */
function overloaded(res: ServerResponse, anthropic: boolean) {
  if (anthropic)
    return json(
      res,
      529,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      { 'retry-after': '1', 'x-should-retry': 'true', 'request-id': 'req_fake_overloaded' },
    );
  json(
    res,
    429,
    {
      error: {
        message: 'Rate limit reached for requests',
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    },
    { 'retry-after': '1', 'x-ratelimit-remaining-requests': '0' },
  );
}

function openAiUsage(model = '') {
  const u = isAudioModel(model) ? AUDIO_USAGE : { ...OPENAI_USAGE, audioIn: 0, audioOut: 0 };
  // DeepSeek reports its cache hits beside prompt_tokens, not in prompt_tokens_details.
  if (model.startsWith('deepseek-'))
    return {
      prompt_tokens: u.prompt,
      completion_tokens: u.completion,
      total_tokens: u.prompt + u.completion,
      prompt_cache_hit_tokens: u.cached,
      prompt_cache_miss_tokens: u.prompt - u.cached,
    };
  // xAI's Grok counts reasoning apart from completion_tokens (its total still holds both); OpenAI counts it inside.
  const apart = model.startsWith('grok-') ? u.reasoning : 0;
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion - apart,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: {
      cached_tokens: u.cached,
      audio_tokens: u.audioIn,
      ...(writesCache(model) ? { cache_write_tokens: OPENAI_CACHE_WRITE } : {}),
    },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: u.audioOut,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/**
 * The tier OpenAI names in its answer: the one that served the call, `priority` or `flex` when asked for and
 * granted, else `default` (https://platform.openai.com/docs/api-reference/chat/object, service_tier).
 */
function servedTier(body: Record<string, unknown>): string {
  return body.service_tier === 'priority' || body.service_tier === 'flex' ? body.service_tier : 'default';
}

function chatCompletion(model: string, tier: string) {
  return {
    id: 'chatcmpl-fake1',
    object: 'chat.completion',
    created: 1_760_000_000,
    // The model that answered, as a server names it: the behaviour suffix is the request's alone.
    model: model.replace(/-nousage$/, ''),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: model.endsWith('-long') ? LONG_ANSWER : WORDS.join(''),
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    ...(model.endsWith('-nousage') ? {} : { usage: openAiUsage(model) }),
    service_tier: tier,
    system_fingerprint: 'fp_fake',
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What each API sends inside a stream that fails after its 200 (then the stream ends). */
const STREAM_ERRORS = {
  // Anthropic: an `error` event, e.g. when the API is overloaded.
  messages: `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`,
  // Chat completions: a data line with an error object and no choices.
  chat: `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })}\n\n`,
  // Responses API: an `error` event with a top-level code.
  responses: `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'server_error', message: 'The server had an error while processing your request.', param: null, sequence_number: 3 })}\n\n`,
};

async function sse(
  res: ServerResponse,
  model: string,
  events: string[],
  api: keyof typeof STREAM_ERRORS,
  /** The event at which a failing model fails (the ones before it are sent). */
  failAt = 3,
): Promise<void> {
  if (model.endsWith('-long-zipped')) {
    const whole = gzipSync(events.join(''), { level: 9 });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'content-encoding': 'gzip',
      'content-length': whole.length,
    });
    return void res.end(whole);
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': 'req_fake',
  });
  if (model.endsWith('-late')) {
    res.flushHeaders();
    await sleep(300);
  }
  const brokenAt = model.endsWith('-broken') ? failAt : model.endsWith('-broken-at-start') ? 0 : -1;
  for (let i = 0; i < events.length; i++) {
    if (i === brokenAt) {
      res.flushHeaders();
      await sleep(20);
      return void res.destroy();
    }
    if (
      (model.includes('-overloaded') && i === failAt) ||
      (model.endsWith('-error-after-delta') && i === events.length - 1)
    ) {
      res.write(STREAM_ERRORS[api]);
      break;
    }
    if (model.endsWith('-hang') && i === failAt) {
      await sleep(30_000);
      return void res.destroy();
    }
    res.write(events[i]);
    if (model.endsWith('-slow')) await sleep(30);
  }
  if (model.endsWith('-lingering')) await sleep(300);
  res.end();
}

function chatStream(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const model = String(body.model);
  const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const head = {
    id: 'chatcmpl-fake2',
    object: 'chat.completion.chunk',
    created: 1_760_000_000,
    model,
    service_tier: servedTier(body),
    system_fingerprint: 'fp_fake',
  };
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(withUsage ? { usage: null } : {}) })}\n\n`;
  const events = [
    chunk({ role: 'assistant', content: '', refusal: null }, null),
    ...(model.endsWith('-long') || model.endsWith('-long-zipped')
      ? Array.from({ length: Math.ceil(LONG_STREAM_BYTES / LONG_DELTA.length) }, () =>
          chunk({ content: LONG_DELTA }, null),
        )
      : WORDS.map((w) => chunk({ content: w }, null))),
    chunk({}, 'stop'),
  ];
  if (withUsage)
    events.push(`data: ${JSON.stringify({ ...head, choices: [], usage: openAiUsage(model) })}\n\n`);
  events.push('data: [DONE]\n\n');
  return sse(res, model, events, 'chat');
}

function toolsOf(body: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
}

/** A Responses request's tools, and the most built-in tool calls it allows (`max_tool_calls`). */
interface ResponseTools {
  declared: Record<string, unknown>[];
  maxCalls: number;
}

function responseTools(body: Record<string, unknown>): ResponseTools {
  const max = body.max_tool_calls;
  return { declared: toolsOf(body), maxCalls: typeof max === 'number' ? max : Number.POSITIVE_INFINITY };
}

const NO_RESPONSE_TOOLS: ResponseTools = { declared: [], maxCalls: Number.POSITIVE_INFINITY };

/**
 * One `web_search_call` item per search when a web search tool (either version) was declared: OPENAI_SEARCHES, or
 * the fewer `max_tool_calls` allows.
 */
function searchCalls(tools: ResponseTools) {
  if (!tools.declared.some((t) => String(t.type).startsWith('web_search'))) return [];
  return Array.from({ length: Math.min(OPENAI_SEARCHES, tools.maxCalls) }, (_, i) => ({
    type: 'web_search_call',
    id: `ws_fake${i + 1}`,
    status: 'completed',
    action: { type: 'search', query: `query ${i + 1}` },
  }));
}

/** The assistant's message item of a Responses output (after any web_search_call items). */
function answerItem() {
  return {
    type: 'message',
    id: 'msg_fake1',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text: WORDS.join(''), annotations: [] }],
  };
}

function response(model: string, tools: ResponseTools = NO_RESPONSE_TOOLS) {
  const u = OPENAI_USAGE;
  return {
    id: 'resp_fake1',
    object: 'response',
    created_at: 1_760_000_000,
    status: 'completed',
    model,
    tools: tools.declared,
    output: [...searchCalls(tools), answerItem()],
    usage: {
      input_tokens: u.prompt,
      input_tokens_details: {
        cached_tokens: u.cached,
        ...(writesCache(model)
          ? {
              cache_write_tokens: OPENAI_CACHE_WRITE,
              cache_write_tokens_details: { ttl_30m_tokens: OPENAI_CACHE_WRITE, ttl_12h_tokens: 0 },
            }
          : {}),
      },
      output_tokens: u.completion,
      output_tokens_details: { reasoning_tokens: u.reasoning },
      total_tokens: u.prompt + u.completion,
    },
  };
}

/**
 * A compaction (https://platform.openai.com/docs/api-reference/responses/compact): the user's messages, then one
 * compaction item, and the usage of the pass. The object names no model.
 */
function compacted() {
  const { created_at, usage } = response('gpt-4o');
  return {
    id: 'resp_fakecmp1',
    object: 'response.compaction',
    created_at,
    output: [
      { type: 'message', id: 'msg_fakeu1', status: 'completed', role: 'user', content: answerItem().content },
      { type: 'compaction', id: 'cmp_fake1', encrypted_content: 'gAAAAABfake' },
    ],
    usage,
  };
}

/**
 * Background mode (https://platform.openai.com/docs/guides/background): the POST answers `queued` at once (or, streamed,
 * opens with `response.created` and `response.queued`); each retrieve moves the response on, queued → in_progress →
 * completed (with its usage and completed_at), a cancel ends it `cancelled`, without usage; its events can be
 * streamed again with `GET /v1/responses/{id}?stream=true`. Retrieving an id the fake never made is OpenAI's 404.
 */
interface Background {
  id: string;
  model: string;
  status: 'queued' | 'in_progress' | 'completed' | 'cancelled';
}
const backgrounds = new Map<string, Background>();
const STORED = /^\/v1\/responses\/resp_[^/]+(?:\/cancel|\/input_items)?$/;

function startBackground(model: string): Background {
  const b: Background = { id: `resp_bg${backgrounds.size + 1}`, model, status: 'queued' };
  backgrounds.set(b.id, b);
  return b;
}

function backgroundObject(b: Background) {
  const whole = response(b.model);
  const done = b.status === 'completed';
  return {
    ...whole,
    id: b.id,
    status: b.status,
    background: true,
    output: done ? whole.output : [],
    usage: done ? whole.usage : null,
    completed_at: done ? whole.created_at + 12 : null,
  };
}

function storedResponse(method: string, url: string, out: ServerResponse): Promise<void> | void {
  const [path, query = ''] = url.split('?') as [string, string?];
  const [, , , id, sub] = path.split('/');
  const b = backgrounds.get(id!);
  // A background response created for a `*-gzip` model is answered compressed whenever it is asked for.
  const res = b?.model.endsWith('-gzip') ? gzipped(out) : out;
  if (b === undefined)
    return json(res, 404, {
      error: {
        message: `Response with id '${id}' not found.`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  if (method === 'DELETE') return json(res, 200, { id: b.id, object: 'response', deleted: true });
  if (sub === 'input_items')
    return json(res, 200, {
      object: 'list',
      data: [{ id: 'msg_in1', type: 'message', role: 'user', status: 'completed', content: [] }],
      first_id: 'msg_in1',
      last_id: 'msg_in1',
      has_more: false,
    });
  if (sub === 'cancel') {
    if (b.status !== 'completed') b.status = 'cancelled';
    return json(res, 200, backgroundObject(b));
  }
  if (new URLSearchParams(query).get('stream') === 'true')
    return responsesStream(b.model, res, NO_RESPONSE_TOOLS, b);
  if (b.status === 'queued') b.status = 'in_progress';
  else if (b.status === 'in_progress') b.status = 'completed';
  return json(res, 200, backgroundObject(b));
}

/**
 * Stored chat completions (https://platform.openai.com/docs/api-reference/chat/list): the one completion the fake
 * answers, listed, retrieved, its metadata updated, its messages listed, deleted.
 */
function storedCompletion(method: string, path: string, body: string, res: ServerResponse) {
  const [, , , , id, sub] = path.split('/');
  const stored = { ...chatCompletion('gpt-4o', 'default'), metadata: {} as unknown };
  const list = (data: unknown[]) => ({
    object: 'list',
    data,
    first_id: null,
    last_id: null,
    has_more: false,
  });
  if (id === undefined) return json(res, 200, list([stored]));
  if (id !== stored.id)
    return json(res, 404, {
      error: {
        message: `Completion ${id} not found`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  if (sub === 'messages')
    return json(
      res,
      200,
      list([{ id: `${id}-0`, role: 'user', content: 'hi', name: null, content_parts: null }]),
    );
  if (method === 'DELETE') return json(res, 200, { id, object: 'chat.completion.deleted', deleted: true });
  if (method === 'POST') stored.metadata = (JSON.parse(body) as { metadata: unknown }).metadata;
  return json(res, 200, stored);
}

/**
 * The Conversations API (https://platform.openai.com/docs/api-reference/conversations): one conversation, created
 * with the items given, listed back.
 */
const conversations = new Map<string, { created_at: number; metadata: unknown; items: unknown[] }>();
function conversation(method: string, path: string, body: string, res: ServerResponse) {
  const [, , , id, sub] = path.split('/');
  if (id === undefined && method === 'POST') {
    const b = JSON.parse(body || '{}') as { items?: unknown[]; metadata?: unknown };
    const conv = { created_at: 1_760_000_000, metadata: b.metadata ?? {}, items: b.items ?? [] };
    const newId = `conv_fake${conversations.size + 1}`;
    conversations.set(newId, conv);
    return json(res, 200, {
      id: newId,
      object: 'conversation',
      created_at: conv.created_at,
      metadata: conv.metadata,
    });
  }
  const conv = conversations.get(id ?? '');
  if (conv === undefined)
    return json(res, 404, {
      error: { message: 'Conversation not found', type: 'invalid_request_error', param: null, code: null },
    });
  if (method === 'DELETE' && sub === undefined)
    return json(res, 200, { id, object: 'conversation.deleted', deleted: true });
  if (sub === 'items')
    return json(res, 200, {
      object: 'list',
      data: conv.items,
      first_id: null,
      last_id: null,
      has_more: false,
    });
  return json(res, 200, { id, object: 'conversation', created_at: conv.created_at, metadata: conv.metadata });
}

async function responsesStream(
  model: string,
  res: ServerResponse,
  tools: ResponseTools = NO_RESPONSE_TOOLS,
  bg: Background | null = null,
): Promise<void> {
  if (bg?.status === 'queued') bg.status = 'in_progress';
  const events = responseEvents(model, tools, bg);
  // A failing model fails after the first word, as chat and messages streams do.
  const firstWord = events.findIndex((e) => e.type === 'response.output_text.delta');
  await sse(
    res,
    model,
    events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`),
    'responses',
    firstWord + 1,
  );
  // A background response runs on when its client leaves: it is finished whether or not the stream was read.
  if (bg !== null && bg.status === 'in_progress') bg.status = 'completed';
}

/** The events of a streamed response (https://platform.openai.com/docs/api-reference/responses-streaming), in order. */
function responseEvents(
  model: string,
  tools: ResponseTools = NO_RESPONSE_TOOLS,
  bg: Background | null = null,
): { type: string }[] {
  let seq = 0;
  const ev = (type: string, data: object) => ({ type, sequence_number: seq++, ...data });
  const item = answerItem();
  const part = item.content[0]!;
  const at = { item_id: item.id, output_index: 0, content_index: 0 };
  const inProgress = {
    ...(bg === null ? response(model, tools) : backgroundObject(bg)),
    status: 'in_progress',
    output: [],
    usage: null,
  };
  return [
    ...(bg === null
      ? [ev('response.created', { response: inProgress })]
      : [
          ev('response.created', { response: { ...inProgress, status: 'queued' } }),
          ev('response.queued', { response: { ...inProgress, status: 'queued' } }),
        ]),
    ev('response.in_progress', { response: inProgress }),
    ev('response.output_item.added', {
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    }),
    ev('response.content_part.added', { ...at, part: { ...part, text: '' } }),
    ...WORDS.map((w) => ev('response.output_text.delta', { ...at, delta: w, logprobs: [] })),
    ev('response.output_text.done', { ...at, text: part.text, logprobs: [] }),
    ev('response.content_part.done', { ...at, part }),
    ev('response.output_item.done', { output_index: 0, item }),
    model.endsWith('-failed')
      ? ev('response.failed', {
          response: {
            ...response(model, tools),
            status: 'failed',
            error: { code: 'server_error', message: 'The model failed to generate a response.' },
          },
        })
      : ev('response.completed', {
          response: bg === null ? response(model, tools) : backgroundObject({ ...bg, status: 'completed' }),
        }),
  ];
}

/** The speed Anthropic names in usage.speed: fast when asked for (platform.claude.com, Fast mode). */
function servedSpeed(body: Record<string, unknown>): string {
  return body.speed === 'fast' ? 'fast' : 'standard';
}

/** Where Anthropic says the call ran (usage.inference_geo): `us` when asked for, else `global` (Data residency). */
function servedGeo(body: Record<string, unknown>): string {
  return body.inference_geo === 'us' ? 'us' : 'global';
}

/**
 * The server tools a Messages request declares (`web_search_20250305`, `web_fetch_20250910`, …): the searches the
 * answer runs (ANTHROPIC_SEARCHES, or fewer when the search tool's `max_uses` allows fewer), and whether it fetches.
 */
function serverTools(body: Record<string, unknown>): ServerTools {
  const tools = toolsOf(body);
  const search = tools.find((t) => String(t.type).startsWith('web_search'));
  const maxUses = typeof search?.max_uses === 'number' ? search.max_uses : ANTHROPIC_SEARCHES;
  return {
    searches: search === undefined ? 0 : Math.min(ANTHROPIC_SEARCHES, maxUses),
    fetch: tools.some((t) => String(t.type).startsWith('web_fetch')),
  };
}

interface ServerTools {
  searches: number;
  fetch: boolean;
}

/** The usage.server_tool_use of an answer that searched (and fetched) as its request allowed. */
function serverToolUse(tools: ServerTools) {
  return tools.searches > 0 || tools.fetch
    ? { web_search_requests: tools.searches, web_fetch_requests: tools.fetch ? 1 : 0 }
    : undefined;
}

/** The blocks of the searches, before the answer's text: a server_tool_use and its result per search. */
function searchBlocks(tools: ServerTools) {
  return Array.from({ length: tools.searches }, (_, i) => [
    {
      type: 'server_tool_use',
      id: `srvtoolu_fake${i + 1}`,
      name: 'web_search',
      input: { query: `query ${i + 1}` },
    },
    {
      type: 'web_search_tool_result',
      tool_use_id: `srvtoolu_fake${i + 1}`,
      content: [
        {
          type: 'web_search_result',
          url: `https://example.com/${i + 1}`,
          title: `Result ${i + 1}`,
          encrypted_content: 'Zm9v',
          page_age: null,
        },
      ],
    },
  ]).flat();
}

const NO_TOOLS: ServerTools = { searches: 0, fetch: false };

/** The request asks for server-side compaction (`context_management.edits`: `compact_20260112`). */
function compacts(body: Record<string, unknown>): boolean {
  const edits = (body.context_management as { edits?: { type?: string }[] } | undefined)?.edits;
  return Array.isArray(edits) && edits.some((e) => e.type === 'compact_20260112');
}

/** The compaction block that opens a compacted answer (`BetaCompactionBlock`). */
function compactionBlock() {
  return { type: 'compaction', content: COMPACTION_SUMMARY, encrypted_content: null };
}

/**
 * `usage.iterations` of a compacted answer: the compaction, then the answer's own sampling (`BetaMessageIterationUsage`),
 * which is what the top-level fields count.
 */
function iterations(model: string) {
  const u = ANTHROPIC_USAGE;
  const cache = { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
  return [
    {
      type: 'compaction',
      input_tokens: COMPACTION_USAGE.input,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: cache,
      output_tokens: COMPACTION_USAGE.output,
    },
    {
      type: 'message',
      model,
      input_tokens: u.input,
      cache_creation_input_tokens: u.cache_5m + u.cache_1h,
      cache_read_input_tokens: u.cache_read,
      cache_creation: { ephemeral_5m_input_tokens: u.cache_5m, ephemeral_1h_input_tokens: u.cache_1h },
      output_tokens: u.output,
    },
  ];
}

/**
 * Extended thinking's blocks (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking): a summarised
 * thinking block with its signature, then one the safety systems redacted (encrypted `data`), before the answer.
 * Their tokens are inside usage.output_tokens; usage.output_tokens_details.thinking_tokens says how many.
 */
export const THINKING = {
  thinking: 'The user greets me. I should greet back and offer help.',
  signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds',
  redacted: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP',
};

function thinkingBlocks() {
  return [
    { type: 'thinking', thinking: THINKING.thinking, signature: THINKING.signature },
    { type: 'redacted_thinking', data: THINKING.redacted },
  ];
}

function message(
  model: string,
  speed = 'standard',
  geo = 'global',
  tools = NO_TOOLS,
  thinking = false,
  compact = false,
) {
  const u = ANTHROPIC_USAGE;
  return {
    id: 'msg_fake1',
    type: 'message',
    role: 'assistant',
    model,
    content: [
      ...(compact ? [compactionBlock()] : []),
      ...(thinking ? thinkingBlocks() : []),
      ...searchBlocks(tools),
      { type: 'text', text: WORDS.join('') },
    ],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: u.input,
      cache_creation_input_tokens: u.cache_5m + u.cache_1h,
      cache_read_input_tokens: u.cache_read,
      cache_creation: { ephemeral_5m_input_tokens: u.cache_5m, ephemeral_1h_input_tokens: u.cache_1h },
      output_tokens: u.output,
      service_tier: 'standard',
      speed,
      inference_geo: geo,
      server_tool_use: serverToolUse(tools),
      ...(thinking ? { output_tokens_details: { thinking_tokens: ANTHROPIC_THINKING_TOKENS } } : {}),
      ...(compact ? { iterations: iterations(model) } : {}),
    },
  };
}

function messagesStream(
  model: string,
  speed: string,
  res: ServerResponse,
  geo: string,
  tools = NO_TOOLS,
  thinking = false,
  compact = false,
): Promise<void> {
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const start = message(model, speed, geo, tools);
  // The compaction block streams first: its summary in one compaction_delta (`BetaCompactionContentBlockDelta`).
  const compaction = compact
    ? [
        ev('content_block_start', {
          index: 0,
          content_block: { ...compactionBlock(), content: null },
        }),
        ev('content_block_delta', {
          index: 0,
          delta: { type: 'compaction_delta', content: COMPACTION_SUMMARY, encrypted_content: null },
        }),
        ev('content_block_stop', { index: 0 }),
      ]
    : [];
  const blocks = searchBlocks(tools);
  const used = serverToolUse(tools);
  // Streamed thinking: thinking_delta, then the block's signature_delta; a redacted block comes whole at its start.
  const thought = THINKING.thinking.split(/(?<= )/);
  const first = compaction.length === 0 ? 0 : 1;
  const thoughts = first + (thinking ? 2 : 0);
  const text = thoughts + blocks.length;
  const events = [
    ev('message_start', {
      message: {
        ...start,
        content: [],
        stop_reason: null,
        // Searches run after message_start: it counts none yet.
        usage: { ...start.usage, output_tokens: 1, server_tool_use: used && { web_search_requests: 0 } },
      },
    }),
    ...compaction,
    ...(thinking
      ? [
          ev('content_block_start', {
            index: first,
            content_block: { type: 'thinking', thinking: '', signature: '' },
          }),
          ...thought.map((t) =>
            ev('content_block_delta', { index: first, delta: { type: 'thinking_delta', thinking: t } }),
          ),
          ev('content_block_delta', {
            index: first,
            delta: { type: 'signature_delta', signature: THINKING.signature },
          }),
          ev('content_block_stop', { index: first }),
          ev('content_block_start', { index: first + 1, content_block: thinkingBlocks()[1] }),
          ev('content_block_stop', { index: first + 1 }),
        ]
      : []),
    ...blocks.flatMap((block, i) => [
      ev('content_block_start', { index: thoughts + i, content_block: block }),
      ev('content_block_stop', { index: thoughts + i }),
    ]),
    ev('content_block_start', { index: text, content_block: { type: 'text', text: '' } }),
    ev('ping', {}),
    ...WORDS.map((w) => ev('content_block_delta', { index: text, delta: { type: 'text_delta', text: w } })),
    ev('content_block_stop', { index: text }),
    // Cumulative: a meter that summed message_start and message_delta would count output_tokens + 1.
    ...(model.endsWith('-nodelta')
      ? []
      : model.endsWith('-bare-delta')
        ? [ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null } })]
        : [
            ev('message_delta', {
              delta: { stop_reason: 'end_turn', stop_sequence: null },
              usage: {
                output_tokens: ANTHROPIC_USAGE.output,
                server_tool_use: used,
                ...(thinking
                  ? { output_tokens_details: { thinking_tokens: ANTHROPIC_THINKING_TOKENS } }
                  : {}),
                ...(compact ? { iterations: iterations(model) } : {}),
              },
            }),
          ]),
    ev('message_stop', {}),
  ];
  return sse(res, model, events, 'messages');
}

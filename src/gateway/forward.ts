import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BackgroundResponses } from './background-responses.js';
import { CallAbort } from './call-abort.js';
import type { CarriedContext } from './carried-context.js';
import type { Upstream } from './config.js';
import { decodedResponse } from './content-decoding.js';
import { withModel } from './json-splice.js';
import type { VirtualKeyRecord } from './keys/virtual-key.js';
import type { GatewayDeps } from './pipeline.js';
import type { Provider } from './providers/provider.js';
import { parseJsonBody, readRequestBody } from './request-body.js';
import { respondRetrieved } from './retrieved-response.js';
import { type ForwardRoute, pathModel } from './routes.js';
import { type Candidate, candidates, defaultUpstream } from './select-upstream.js';
import {
  brokenBodyError,
  type UpstreamClient,
  type UpstreamResponse,
  unreachableError,
} from './upstream-client.js';
import { clientHeaders, upstreamHeaders } from './upstream-headers.js';

export interface ForwardDeps {
  gateway: GatewayDeps;
  client: UpstreamClient;
  background: BackgroundResponses;
  /** What conversations made or added to through the gateway hold, for the responses that go on from them. */
  carried: CarriedContext;
  /** The pipeline's own key check: a virtual key is exchanged for the provider key here too. */
  authenticate(provider: Provider, req: IncomingMessage, first: Candidate): Promise<VirtualKeyRecord | null>;
  /** The caller's virtual key, or null when it sent none; GW_KEY_INVALID for one unknown or revoked. */
  virtualKey(provider: Provider, req: IncomingMessage): Promise<VirtualKeyRecord | null>;
}

/**
 * An unmetered call (routes.ts, ForwardRoute): sent to the upstream that serves the model it names, or else to the
 * upstream named like the API type, with the same key handling as a metered call; the answer passes as it came
 * (status, headers, body). Nothing is recorded: these calls cost nothing and report no usage.
 */
export async function forwardCall(
  d: ForwardDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: ForwardRoute,
  url: string,
): Promise<void> {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const config = d.gateway.config;
  const raw = route.method === 'POST' ? await readRequestBody(req, config.body_limit_bytes) : null;
  if (raw === null) req.resume();
  let json: Record<string, unknown> | null = null;
  let requested: string | null = null;
  if (route.model === 'path') requested = pathModel(path);
  else if (route.model === 'body' && raw !== null) {
    json = parseJsonBody(raw);
    requested = typeof json.model === 'string' && json.model !== '' ? json.model : null;
  }
  const type = route.provider.type;
  const c: Candidate =
    requested !== null
      ? candidates(config, type, requested)[0]!
      : {
          upstream:
            (route.response !== null ? d.background.upstreamOf(route.response.id) : null) ??
            defaultUpstream(config, type),
          model: '',
        };
  const key = await d.authenticate(route.provider, req, c);
  // OpenAI-type base URLs end in /v1 (the rest of the path is appended), Anthropic's do not.
  let target = type === 'openai' ? url.slice(3) : url;
  let body = raw;
  // The upstream is asked about the name it knows (after an alias or an `UPSTREAM/model` prefix).
  if (route.model === 'path')
    target = `${type === 'openai' ? '' : '/v1'}/models/${encodeURIComponent(c.model)}${q < 0 ? '' : url.slice(q)}`;
  else if (requested !== null && c.model !== requested && raw !== null)
    body = withModel(raw, json ?? {}, c.model);
  const headers = upstreamHeaders(req.headers, route.provider, c.upstream, key !== null, d.gateway.env);
  const abort = new CallAbort();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const t0 = performance.now();
  const attempt = await d.client.send(c.upstream, target, headers, body, abort, route.method);
  if (attempt.kind === 'unreachable') {
    if (abort.aborted) return;
    throw unreachableError(c.upstream, attempt);
  }
  d.gateway.metrics.recordLatency(c.upstream.name, (performance.now() - t0) / 1000);
  const r = attempt.response;
  try {
    if (route.response?.finishes === true && r.status < 300)
      return await respondRetrieved(
        d,
        req,
        res,
        { key, upstream: c.upstream, responseId: route.response.id },
        r,
      );
    const items = r.status < 300 && raw !== null ? conversationItems(path) : null;
    if (items === null) return await passThrough(res, r, c.upstream, abort, config.timeouts.idle_ms);
    const sent = bodyOf(raw!)?.items;
    if (items.id !== null) {
      d.carried.added(items.id, sent);
      return await passThrough(res, r, c.upstream, abort, config.timeouts.idle_ms);
    }
    // Made: its id is in the answer, decoded (as a metered answer is) if a server in front compressed it anyway.
    const answer: Buffer[] = [];
    await passThrough(res, decodedResponse(r), c.upstream, abort, config.timeouts.idle_ms, (chunk) =>
      answer.push(chunk),
    );
    const made = bodyOf(Buffer.concat(answer))?.id;
    if (typeof made === 'string') d.carried.opened(made, sent);
  } catch (e) {
    // The client left (a stream it stopped reading): nothing to answer, and no fault of ours.
    if (!abort.aborted) throw e;
    res.destroy();
  }
}

/**
 * An upstream's answer passed to the client as it came: status, headers (hop-by-hop ones aside) and body. One the
 * upstream stalls or breaks off is its fault (GW_UPSTREAM_TIMEOUT / _UNREACHABLE, the client's connection then cut),
 * and one the client leaves nobody's: neither is an internal error.
 */
export async function passThrough(
  res: ServerResponse,
  r: UpstreamResponse,
  upstream: Upstream,
  signal: { readonly aborted: boolean },
  idleMs: number,
  /** Told each chunk as it passes (a conversation's answer, for its id). */
  tap?: (chunk: Buffer) => void,
): Promise<void> {
  res.writeHead(r.status, clientHeaders(r.headers, {}));
  try {
    for await (const chunk of r.body.stream()) {
      res.write(chunk);
      tap?.(chunk);
    }
  } catch (e) {
    if (signal.aborted) return void res.destroy();
    throw brokenBodyError(upstream, e, idleMs);
  }
  res.end();
}

/**
 * A Conversations API call that puts items into a conversation (carried-context.ts): one that makes it (`id` null: the
 * answer names it) or adds to it. Null for any other.
 */
function conversationItems(path: string): { id: string | null } | null {
  if (path === '/v1/conversations') return { id: null };
  const m = CONVERSATION_ITEMS.exec(path);
  return m === null ? null : { id: m[1]! };
}

const CONVERSATION_ITEMS = /^\/v1\/conversations\/([^/]+)\/items$/;

/** A JSON object body, or null for one that is not (the upstream answered the request; the gateway only reads it). */
function bodyOf(raw: Buffer): Record<string, unknown> | null {
  try {
    return parseJsonBody(raw);
  } catch {
    return null;
  }
}

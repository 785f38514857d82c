import type { IncomingMessage, ServerResponse } from 'node:http';
import { drainedOrClosed } from '../http/drained.js';
import { formatUsd } from '../money/money.js';
import { attribute } from './attribution.js';
import {
  type BackgroundResponse,
  backgroundEventId,
  backgroundResponse,
  finishedOutcome,
  identify,
} from './background-responses.js';
import { type CallContext, recordCall } from './call.js';
import { callIds } from './call-ids.js';
import type { Upstream } from './config.js';
import { decodedResponse } from './content-decoding.js';
import { errorBody } from './errors.js';
import type { ForwardDeps } from './forward.js';
import type { VirtualKeyRecord } from './keys/virtual-key.js';
import { openAiProvider } from './providers/openai/openai.js';
import { jsonOrNull, str } from './providers/provider.js';
import { GATEWAY_ROUTES } from './routes.js';
import { eachEvent, SseSplitter } from './sse.js';
import type { UpstreamResponse } from './upstream-client.js';
import { clientHeaderList } from './upstream-headers.js';

export interface Retrieval {
  key: VirtualKeyRecord | null;
  upstream: Upstream;
  /** The id in the path: a background response's event id is known before its answer. */
  responseId: string;
}

/** Text that may hold a stream's final event (its `event:` line or its `type`). */
const FINAL_EVENTS = ['completed', 'incomplete', 'failed', 'cancelled'].map((s) =>
  Buffer.from(`response.${s}`),
);

/**
 * A stored response as the upstream answered a retrieve (`GET /v1/responses/{id}`, streamed with `?stream=true` or
 * not) or a cancel: passed back as it came (decoded, when the upstream compressed it: content-decoding.ts), and a
 * background response seen finished for the first time is recorded (background-responses.ts) before the answer
 * ends. Its event id goes in `x-tokenledger-event-id`, with the cost when recorded now.
 */
export async function respondRetrieved(
  d: ForwardDeps,
  req: IncomingMessage,
  res: ServerResponse,
  q: Retrieval,
  upstream: UpstreamResponse,
): Promise<void> {
  // Read decoded, as a metered answer is: a compressed poll would otherwise never show the response finished.
  const r = decodedResponse(upstream);
  if (String(r.headers['content-type']).includes('text/event-stream')) return streamed(d, req, res, q, r);
  const body = await r.body.bytes();
  const ours = ['content-length', String(body.length)];
  const bg = backgroundResponse(jsonOrNull(body.toString('utf8')));
  if (bg !== null) ours.push('x-tokenledger-event-id', backgroundEventId(bg.id));
  if (bg?.final === true) {
    const recorded = await recordFinished(d, req, q, bg);
    if (recorded === 'failed') return notRecorded(res);
    if (recorded !== null && recorded !== '') ours.push('x-tokenledger-cost-usd', recorded);
  }
  res.writeHead(r.status, clientHeaderList(r.headers, ours, undefined));
  res.end(body);
}

/**
 * A background response's events (only background responses can be streamed again): passed chunk by chunk; the
 * final event, if the stream reaches it, is recorded before the stream ends. A client that leaves earlier leaves the
 * response running: it is recorded by whichever later call sees it finished.
 */
async function streamed(
  d: ForwardDeps,
  req: IncomingMessage,
  res: ServerResponse,
  q: Retrieval,
  r: UpstreamResponse,
): Promise<void> {
  res.writeHead(
    r.status,
    clientHeaderList(r.headers, ['x-tokenledger-event-id', backgroundEventId(q.responseId)], undefined),
  );
  res.flushHeaders();
  const splitter = new SseSplitter();
  let final: BackgroundResponse | null = null;
  for await (const chunk of r.body.stream()) {
    const done = splitter.completed(chunk as Buffer);
    if (FINAL_EVENTS.some((name) => done.includes(name)))
      eachEvent(done, (e) => {
        const bg = backgroundResponse(jsonOrNull(e.data));
        if (bg?.final === true) final = bg;
      });
    if (!res.write(chunk)) await drainedOrClosed(res);
    // The client left: the response runs on upstream; its end, if this stream saw it, is recorded below.
    if (res.destroyed) break;
  }
  if (final !== null && (await recordFinished(d, req, q, final)) === 'failed') {
    res.destroy();
    return;
  }
  res.end();
}

/**
 * Records a finished background response unless this process already has: with the call that created it when this
 * process holds it, else as the response says, attributed to the caller that retrieved it (its key and headers, and
 * the `metadata` and `user` the response carries from its request). The cost as sent in `x-tokenledger-cost-usd`,
 * '' when unpriced, null when already recorded, 'failed' when the write-ahead log refused it.
 */
async function recordFinished(
  d: ForwardDeps,
  req: IncomingMessage,
  q: Retrieval,
  bg: BackgroundResponse,
): Promise<string | null | 'failed'> {
  if (!d.background.markRecorded(bg.id, q.upstream)) return null;
  const held = d.background.take(bg.id);
  const call: CallContext = held ?? {
    deps: d.gateway,
    provider: openAiProvider,
    route: GATEWAY_ROUTES.get('/v1/responses')!,
    json: {},
    started: performance.now(),
    ts: Date.now() * 1000,
    ...callIds(),
    attribution: attribute(q.key, req.headers, bg.body, req.rawHeaders),
    upstream: q.upstream,
    model: str(bg.body.model) ?? '',
    reservation: null,
    background: d.background,
    // Created through another process (or before a restart): its request is not known here.
    keepText: null,
    carried: null,
  };
  identify(call, bg);
  try {
    const event = await recordCall(call, finishedOutcome(bg));
    // Made elsewhere, so not remembered by recordCall: a call going on from it now carries what it really handed on,
    // not the unseen guess (carried-context.ts).
    if (held === null) d.carried.record({ conversation: bg.body.conversation }, bg.id, event);
    return event.cost_usd === null ? '' : formatUsd(event.cost_usd);
  } catch {
    // Not in the log: the next call that sees it finished records it.
    d.background.forget(bg.id);
    if (held !== null) d.background.hold(bg.id, held);
    return 'failed';
  }
}

function notRecorded(res: ServerResponse): void {
  // Stored responses are OpenAI's Responses API.
  const b = errorBody(
    'openai',
    503,
    'GW_NOT_RECORDED',
    'the response finished upstream but could not be recorded (write-ahead log); it was not returned, retrieve it again',
  );
  res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) }).end(b);
}

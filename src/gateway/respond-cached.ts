import type { ServerResponse } from 'node:http';
import { formatUsd } from '../money/money.js';
import { type CachedAnswer, cachedSourceRef } from './cache/response-cache.js';
import { type CallContext, recordCall } from './call.js';
import { answerText, jsonOrNull, NO_USAGE } from './providers/provider.js';
import { notRecorded } from './respond-json.js';
import { clientHeaderList } from './upstream-headers.js';

/**
 * A call the response cache answers: nothing goes upstream. It is recorded as every call is, before the answer
 * leaves (a call of its model with no tokens, so $0, its source_ref the event whose answer it was sent), and the
 * answer is sent whole: a stream's events at once.
 */
export async function respondCached(
  call: CallContext,
  hit: CachedAnswer,
  res: ServerResponse,
): Promise<void> {
  const stream = hit.contentType.includes('text/event-stream');
  let event: Awaited<ReturnType<typeof recordCall>>;
  try {
    event = await recordCall(call, {
      facts: { usage: NO_USAGE, model: hit.model, service_tier: null, response_id: null },
      status: 'ok',
      error: null,
      sourceRef: cachedSourceRef(hit.eventId),
      completion: () =>
        stream ? streamText(call, hit.body) : answerText(jsonOrNull(hit.body.toString('utf8'))),
    });
  } catch (e) {
    notRecorded(call, res, e, 'the cached answer was found');
    return;
  }
  call.deps.metrics.recordCacheHit(call.upstream.name, hit.cost);
  const ours = [
    'content-type',
    hit.contentType,
    'content-length',
    String(hit.body.length),
    'x-tokenledger-event-id',
    event.event_id,
    'x-tokenledger-cache',
    'hit',
  ];
  if (!stream && event.cost_usd !== null) ours.push('x-tokenledger-cost-usd', formatUsd(event.cost_usd));
  res.writeHead(200, clientHeaderList({}, ours, call.reservation?.headers));
  res.end(hit.body);
}

/** The answer text of a stream, read by the provider's own meter, for a key that keeps call text. */
function streamText(call: CallContext, body: Buffer): string {
  const meter = call.provider.streamMeter(call.route.operation, false);
  meter.push(body);
  meter.end();
  return meter.outputText();
}

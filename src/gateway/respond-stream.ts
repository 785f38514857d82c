import type { ServerResponse } from 'node:http';
import { type CallContext, recordCall } from './call.js';
import type { UpstreamResponse } from './upstream-client.js';
import { clientHeaderList, servedTierHeader } from './upstream-headers.js';

/**
 * An SSE response: each upstream chunk is written to the client as it arrives (the meter reads usage on the side and
 * returns the chunk itself unless it must hide injected usage). The event is in the write-ahead log before the
 * response ends; a stream the client abandons aborts the upstream call and is recorded as `aborted`, its output counted with the
 * tokenizer; a stream the upstream breaks is recorded as an error and the client's connection is cut, not ended,
 * so it cannot mistake a partial answer for a whole one.
 */
export async function respondStream(
  call: CallContext,
  r: UpstreamResponse,
  res: ServerResponse,
  injectedUsage: boolean,
  signal: { readonly aborted: boolean },
): Promise<void> {
  res.writeHead(
    r.status,
    clientHeaderList(r.headers, ['x-tokenledger-event-id', call.eventId], call.reservation?.headers),
  );
  res.flushHeaders();
  const meter = call.provider.streamMeter(call.route.operation, injectedUsage);
  let ttft: number | null = null;
  const outcome = await new Promise<'ok' | 'aborted' | 'broken'>((resolve) => {
    r.body.on('data', (chunk: Buffer) => {
      ttft ??= Math.round(performance.now() - call.started);
      const out = meter.push(chunk);
      if (out !== null && !res.write(out)) {
        r.body.pause();
        res.once('drain', () => r.body.resume());
      }
    });
    r.body.on('end', () => resolve('ok'));
    r.body.on('error', () => resolve(signal.aborted || res.destroyed ? 'aborted' : 'broken'));
  });
  const tail = meter.end();
  if (tail !== null && outcome === 'ok') res.write(tail);
  const facts = meter.facts();
  facts.service_tier ??= servedTierHeader(r.headers);
  // An error event ends the stream cleanly after a 200: the call failed, and unless the error carried the final
  // usage (response.failed), the usage before it is partial.
  const streamError = outcome === 'ok' ? meter.error() : null;
  const usageFinal = facts.usage !== null && meter.usageComplete();
  const complete = outcome === 'ok' && usageFinal && (streamError?.usageFinal ?? true);
  try {
    await recordCall(call, {
      facts,
      status: outcome === 'aborted' ? 'aborted' : outcome === 'ok' && streamError === null ? 'ok' : 'error',
      error:
        outcome === 'ok'
          ? (streamError?.type ?? (usageFinal ? null : 'usage_missing'))
          : outcome === 'aborted'
            ? 'client_disconnected'
            : 'upstream_stream_broken',
      ttft_ms: ttft,
      estimate: complete ? undefined : { outputText: meter.outputText() },
    });
  } catch {
    res.destroy();
    return;
  }
  if (outcome === 'ok') res.end();
  else res.destroy();
}

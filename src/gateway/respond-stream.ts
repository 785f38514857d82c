import type { ServerResponse } from 'node:http';
import { type BackgroundResponse, backgroundResponse, identify } from './background-responses.js';
import { type CallContext, type Outcome, recordCall } from './call.js';
import { jsonOrNull, type ResponseFacts, type StreamMeter } from './providers/provider.js';
import { eachEvent, SseSplitter } from './sse.js';
import type { UpstreamResponse } from './upstream-client.js';
import { clientHeaderList, servedTierHeader } from './upstream-headers.js';

/** How much of a background stream waits for the event naming its response (the first) before it is sent anyway. */
const HEAD_LIMIT = 64 * 1024;

/**
 * An SSE response: each upstream chunk is written to the client as it arrives (the meter reads usage on the side and
 * returns the chunk itself unless it must hide injected usage). The event is in the write-ahead log before the
 * response ends; a stream the client abandons aborts the upstream call and is recorded as `aborted`, its output counted with the
 * tokenizer; a stream the upstream breaks is recorded as an error and the client's connection is cut, not ended,
 * so it cannot mistake a partial answer for a whole one.
 *
 * A Responses stream in background mode names its response in its first event: the headers wait for it, so that
 * `x-tokenledger-event-id` is the response's own (background-responses.ts). If that stream ends before the response
 * finishes (the client left: a background response runs on), nothing is recorded yet: the call waits for a
 * retrieve that sees the response finished.
 */
export async function respondStream(
  call: CallContext,
  r: UpstreamResponse,
  res: ServerResponse,
  injectedUsage: boolean,
  signal: { readonly aborted: boolean },
): Promise<void> {
  let wrote = false;
  /** The upstream's body has ended. */
  let ended = false;
  let corked = false;
  // What a turn of the event loop forwards leaves in one write to the socket, at the end of the turn (each write
  // costs ~15-40 µs here): the headers with the first chunk, as it mostly comes in the same turn. When the upstream
  // ends in that turn too, as a short stream's last read does, nothing leaves until the call is in the write-ahead
  // log and res.end() sends it with the stream's end: one write where there were two. A stream whose first chunk
  // is slower gets its headers at the end of the turn; a turn's chunks never wait for a later turn's.
  // The socket is corked, not the response: from Node 22 a corked response keeps its chunks in a buffer of its own,
  // where flushHeaders left the headers waiting for the first chunk and a write past its mark waited for a 'drain'
  // that never came (a slow reader's stream hung). res.end() uncorks the socket fully.
  const hold = () => {
    if (corked) return;
    corked = true;
    res.socket?.cork();
    setImmediate(() => {
      if (ended) return;
      corked = false;
      if (!wrote && !res.writableEnded && !res.destroyed) res.flushHeaders();
      res.socket?.uncork();
    });
  };
  // What the client is sent, gathered for the response cache when it looked this call up (and the stream fits it).
  let kept: Buffer[] | null = call.cache !== undefined && r.status === 200 ? [] : null;
  let keptBytes = 0;
  const send = (b: Buffer): boolean => {
    wrote = true;
    hold();
    if (kept !== null) {
      keptBytes += b.length;
      if (call.cache!.fits(keptBytes)) kept.push(b);
      else kept = null;
    }
    return res.write(b);
  };
  const writeHead = () => {
    // The event id as it is now: a background stream's is its response's, known from its first event.
    const ours = ['x-tokenledger-event-id', call.eventId];
    if (call.cache !== undefined) ours.push('x-tokenledger-cache', 'miss');
    res.writeHead(r.status, clientHeaderList(r.headers, ours, call.reservation?.headers));
    hold();
  };
  const head = call.background === null ? null : new StreamHead();
  if (head === null) writeHead();
  const meter = call.provider.streamMeter(call.route.operation, injectedUsage);
  let ttft: number | null = null;
  const outcome = await new Promise<StreamEnd>((resolve) => {
    /** Forwards one read of the upstream; false when the client's socket is full (wait for 'drain'). */
    const take = (chunk: Buffer): boolean => {
      ttft ??= Math.round(performance.now() - call.started);
      const out = meter.push(chunk);
      if (head !== null && !head.sent) {
        if (!head.read(chunk, out)) return true;
        if (head.response !== null) identify(call, head.response);
        writeHead();
        let room = true;
        for (const b of head.flush()) room = send(b);
        return room;
      }
      return out === null || send(out);
    };
    // One write to the client per read of the upstream's socket (forward hands over what one read brought as one
    // buffer): undici parses ~10 HTTP chunks from one read of a short completion, and each would be a write of its
    // own with chunked framing around it.
    const more = r.body.forward({
      data: (chunk) => {
        if (take(chunk)) return true;
        // Deferred: forward may hand over what already arrived before it returns `more`.
        res.once('drain', () => more());
        return false;
      },
      end: () => {
        ended = true;
        resolve('ok');
      },
      error: () => resolve(signal.aborted || res.destroyed ? 'aborted' : 'broken'),
    });
    // A client that leaves while the stream waits for it to read: the upstream may have finished already (its last
    // read is held here, or in the decoder of a compressed answer), and then no error would ever end the wait.
    res.once('close', () => resolve('aborted'));
  });
  if (head !== null && !head.sent && !res.destroyed) {
    writeHead();
    for (const b of head.flush()) send(b);
  }
  const tail = meter.end();
  if (tail !== null && outcome === 'ok') send(tail);
  const o = streamOutcome(meter, outcome, ttft);
  o.facts.service_tier ??= servedTierHeader(r.headers);
  const response = head?.response ?? null;
  if (response !== null) {
    const usageFinal = o.facts.usage !== null && meter.usageComplete();
    if (!(outcome === 'ok' && (usageFinal || meter.error() !== null))) {
      // The response runs on upstream: recorded when a retrieve sees it finished.
      call.background!.hold(response.id, call);
      call.heldForLater = true;
      if (outcome === 'ok') res.end();
      else res.destroy();
      return;
    }
    call.background!.markRecorded(response.id, call.upstream);
  }
  let event: Awaited<ReturnType<typeof recordCall>>;
  try {
    event = await recordCall(call, o);
  } catch {
    // Not in the log: a background response is recorded, for this call, by the next call that sees it finished.
    if (response !== null) call.background!.unrecorded(response.id, call);
    res.destroy();
    return;
  }
  if (kept !== null && outcome === 'ok') call.cache!.keep(Buffer.concat(kept, keptBytes), r.headers, event);
  if (outcome === 'ok') res.end();
  else res.destroy();
}

/** How a metered stream ended: the upstream's end (`ok`), the client gone, or the upstream's connection broken. */
export type StreamEnd = 'ok' | 'aborted' | 'broken';

/** What a stream's meter read, as the call's outcome to record. */
export function streamOutcome(
  meter: StreamMeter,
  end: StreamEnd,
  ttft: number | null,
): Outcome & { facts: ResponseFacts } {
  const facts = meter.facts();
  // An error event ends the stream cleanly after a 200: the call failed, and unless the error carried the final
  // usage (response.failed), the usage before it is partial. It is the call's end also when the client left or the
  // connection broke after it: the SDKs stop reading at the error and close, often before the upstream's end arrives.
  const streamError = meter.error();
  const usageFinal = facts.usage !== null && meter.usageComplete();
  const complete = end === 'ok' && usageFinal && (streamError?.usageFinal ?? true);
  return {
    facts,
    status: streamError !== null || end === 'broken' ? 'error' : end === 'aborted' ? 'aborted' : 'ok',
    error:
      streamError?.type ??
      (end === 'ok'
        ? usageFinal
          ? null
          : 'usage_missing'
        : end === 'aborted'
          ? 'client_disconnected'
          : 'upstream_stream_broken'),
    ttft_ms: ttft,
    estimate: complete ? undefined : { outputText: meter.outputText() },
    completion: () => meter.outputText(),
  };
}

/**
 * The start of a background stream, held until its first event (`response.created`), which names the response. An
 * upstream that ignored `background` names a response that is not one: the stream then goes on as any other.
 */
class StreamHead {
  sent = false;
  response: BackgroundResponse | null = null;
  private readonly splitter = new SseSplitter();
  private held: Buffer[] = [];
  private size = 0;
  private first = false;

  /** Takes a chunk (and what the meter forwards of it); true once the headers can go. */
  read(chunk: Buffer, out: Buffer | null): boolean {
    if (out !== null) this.held.push(out);
    this.size += chunk.length;
    eachEvent(this.splitter.completed(chunk), (e) => {
      if (this.first || e.data === '') return;
      this.first = true;
      this.response = backgroundResponse(jsonOrNull(e.data));
    });
    return this.first || this.size > HEAD_LIMIT;
  }

  flush(): Buffer[] {
    this.sent = true;
    const held = this.held;
    this.held = [];
    return held;
  }
}

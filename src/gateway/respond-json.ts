import type { ServerResponse } from 'node:http';
import { errors } from 'undici';
import { formatUsd } from '../money/money.js';
import { backgroundResponse, finishedOutcome, identify } from './background-responses.js';
import { type CallContext, type Outcome, recordCall } from './call.js';
import { decodedResponse } from './content-decoding.js';
import { errorBody } from './errors.js';
import { answerText, emptyFacts, jsonOrNull, obj, str } from './providers/provider.js';
import { SKIM_ABOVE_BYTES, skimmedText } from './skim-json.js';
import { brokenBodyError, type UpstreamResponse } from './upstream-client.js';
import { clientHeaderList, servedTierHeader } from './upstream-headers.js';

/**
 * A whole (non-streamed) response: read it, meter it, record it durably, then send it with the event id and exact
 * cost in headers. Upstream errors keep their status and body and are recorded as `status = "error"`.
 */
export async function respondJson(
  call: CallContext,
  r: UpstreamResponse,
  res: ServerResponse,
  signal: { readonly aborted: boolean },
): Promise<void> {
  let body: Buffer;
  try {
    body = await r.body.bytes();
  } catch (e) {
    if (signal.aborted || res.destroyed) {
      // The client went away before the answer was complete.
      await recordCall(call, {
        facts: null,
        status: 'aborted',
        error: 'client_disconnected',
        abortedBeforeOutput: true,
      });
      if (!res.destroyed) res.destroy();
      return;
    }
    // The upstream stalled (timeouts.idle_ms) or broke off its answer: nothing was sent yet, so the client still
    // gets an error it can act on (504 or 502), and the call is recorded as the upstream's failure, its input estimated.
    const timeout = e instanceof errors.BodyTimeoutError;
    await recordCall(call, {
      facts: null,
      status: 'error',
      error: timeout ? 'upstream_timeout' : 'upstream_body_broken',
      abortedBeforeOutput: true,
    }).catch(() => {});
    throw brokenBodyError(call.upstream, e, call.deps.config.timeouts.idle_ms);
  }
  // A large answer is metered from its JSON without its long strings (skim-json.ts), decoded whole only for its text.
  const parsed = jsonOrNull(skimmedText(body));
  let full = body.length > SKIM_ABOVE_BYTES ? undefined : parsed;
  const whole = () => {
    full ??= jsonOrNull(body.toString('utf8'));
    return full;
  };
  // A 3xx is no answer either (a base URL that moved): passed on as it came, never followed, recorded as an error.
  const ok = r.status < 300;
  // A background response is read whole: its text is read from the response it holds (finishedOutcome).
  const background = ok && call.background !== null ? backgroundResponse(whole()) : null;
  if (background !== null) {
    identify(call, background);
    if (!background.final) {
      // Queued: the usage comes when the response finishes, seen in a later retrieve (background-responses.ts).
      call.background!.hold(background.id, call);
      call.heldForLater = true;
      const ours = ['x-tokenledger-event-id', call.eventId, 'content-length', String(body.length)];
      res.writeHead(r.status, clientHeaderList(r.headers, ours, call.reservation?.headers));
      res.end(body);
      return;
    }
    call.background!.markRecorded(background.id, call.upstream);
  }
  const outcome: Outcome =
    background !== null
      ? finishedOutcome(background)
      : ok
        ? answered(call, r, parsed, whole, body)
        : failed(r, parsed, body);
  let event: Awaited<ReturnType<typeof recordCall>>;
  try {
    event = await recordCall(call, outcome);
  } catch (e) {
    // Not in the log: a background response is recorded, for this call, by the next call that sees it finished.
    if (background !== null) call.background!.unrecorded(background.id, call);
    notRecorded(call, res, e, 'the call succeeded upstream');
    return;
  }
  const ours = ['x-tokenledger-event-id', event.event_id, 'content-length', String(body.length)];
  if (event.cost_usd !== null) ours.push('x-tokenledger-cost-usd', formatUsd(event.cost_usd));
  if (call.cache !== undefined) {
    ours.push('x-tokenledger-cache', 'miss');
    if (r.status === 200 && background === null) call.cache.keep(body, r.headers, event);
  }
  res.writeHead(r.status, clientHeaderList(r.headers, ours, call.reservation?.headers));
  res.end(body);
}

/** The answer to a call that could not be written to the log: a 503, as nothing unrecorded is returned. */
export function notRecorded(call: CallContext, res: ServerResponse, e: unknown, what: string): void {
  const msg = `${what} but could not be recorded (${(e as Error).message}); it was not returned`;
  const b = errorBody(call.provider.type, 503, 'GW_NOT_RECORDED', msg);
  res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) }).end(b);
}

function answered(
  call: CallContext,
  r: UpstreamResponse,
  parsed: unknown,
  whole: () => unknown,
  body: Buffer,
): Outcome {
  const facts = call.provider.readJson(call.route.operation, parsed);
  facts.service_tier ??= servedTierHeader(r.headers);
  // An answer that is not JSON (a transcription asked for as plain text, subtitles) is its own text.
  const completion = () => (parsed === null ? body.toString('utf8') : answerText(whole()));
  // An answer without usage (some OpenAI-compatible servers send none) is counted with the tokenizer, not as free.
  if (facts.usage === null)
    return {
      facts,
      status: 'ok',
      error: 'usage_missing',
      estimate: { outputText: completion() },
      completion,
    };
  return { facts, status: 'ok', error: null, completion };
}

/**
 * An answer a fallback replaces (429, 5xx): the provider saw that request and refused it, so it is recorded as an
 * error of its own (no tokens, no cost), as an SDK's retry is; its body is read for the error type, never sent.
 */
export async function recordReplaced(call: CallContext, r: UpstreamResponse): Promise<void> {
  const d = decodedResponse(r);
  const body = await d.body.bytes().catch(() => Buffer.alloc(0));
  const outcome = failed(d, jsonOrNull(body.toString('utf8')), body);
  // A log that cannot be written refuses the answering attempt's record too, which the client is told of.
  await recordCall(call, { ...outcome, replaced: true }).catch(() => {});
}

function failed(r: UpstreamResponse, parsed: unknown, body: Buffer): Outcome {
  const err = obj(obj(parsed)?.error);
  return {
    facts: emptyFacts(),
    status: 'error',
    error: str(err?.type) ?? str(err?.code) ?? `http_${r.status}`,
    completion: () => body.toString('utf8'),
  };
}

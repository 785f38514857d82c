import type { IncomingMessage } from 'node:http';
import type { Reservation } from '../../budgets/enforcer.js';
import { audioMsOfSeconds } from '../../ledger/audio-ms.js';
import type { Attribution } from '../../ledger/event.js';
import { admission } from '../admission.js';
import { attribute } from '../attribution.js';
import type { CallContext, Outcome } from '../call.js';
import { callIds } from '../call-ids.js';
import { GatewayError } from '../errors.js';
import type { ForwardDeps } from '../forward.js';
import { checkModelAllowed, reachableFor } from '../key-access.js';
import type { VirtualKeyRecord } from '../keys/virtual-key.js';
import { realtimeFacts, realtimeUsage } from '../providers/openai/realtime-usage.js';
import { count, durationUsage, jsonOrNull, obj, str } from '../providers/provider.js';
import type { GatewayRoute } from '../routes.js';
import { type Candidate, candidates, defaultUpstream } from '../select-upstream.js';
import { upstreamHeaders } from '../upstream-headers.js';
import { type ClientSocket, OrderedSender } from './ordered-sender.js';
import { notRecordedEvent, recordSocketCall, refusalEvent, releaseReservation } from './socket-calls.js';
import { type SocketFailure, UpstreamSocket } from './upstream-socket.js';

/** A Realtime handshake the gateway accepts: where its session may go and whose it is. */
export interface RealtimeHandshake {
  req: IncomingMessage;
  /** Where the session goes, then its fallbacks (`models.fallbacks`), each where the caller's key may go. */
  candidates: Candidate[];
  key: VirtualKeyRecord | null;
  attribution: Attribution;
  /** The client's query; its `model` is replaced by the one sent upstream. */
  params: URLSearchParams;
}

/**
 * Reads a Realtime handshake (`GET /v1/realtime?model=…`) before it is accepted: the model it names picks the
 * upstream (aliases, `UPSTREAM/model` prefixes and fallbacks apply), and the key is checked as a call's is. Throws
 * what the handshake is refused with.
 */
export async function realtimeHandshake(
  d: ForwardDeps,
  route: GatewayRoute,
  req: IncomingMessage,
  url: string,
): Promise<RealtimeHandshake> {
  const q = url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const model = params.get('model');
  // A transcription session (`?intent=transcription`) names no model: its transcription model is in its configuration.
  const transcription = params.get('intent') === 'transcription';
  if ((model === null || model === '') && !transcription)
    throw new GatewayError(
      'GW_BAD_REQUEST',
      'a Realtime WebSocket names its model in the query: GET /v1/realtime?model=gpt-realtime (or ?intent=transcription)',
    );
  const list =
    model === null || model === ''
      ? [{ upstream: defaultUpstream(d.gateway.config, route.provider.type), model: '' }]
      : candidates(d.gateway.config, route.provider.type, model);
  const key = await d.authenticate(route.provider, req, list[0]!);
  if (model !== null && model !== '') checkModelAllowed(key, model);
  // A transcription session names its model later, in its configuration: a key limited to models opens none.
  else if (key?.models !== undefined)
    throw new GatewayError(
      'GW_MODEL_NOT_ALLOWED',
      `virtual key ${key.id} may call ${key.models.join(', ')}; a Realtime transcription session names no model at its handshake, so a key limited to models cannot open one`,
    );
  const attribution = attribute(key, req.headers, {}, req.rawHeaders);
  d.gateway.sessions?.check(attribution);
  // A fallback must not take a caller where its key would not have let it go (pipeline.ts).
  return {
    req,
    candidates: reachableFor(key, route.provider, req.headers, list[0]!.upstream)(list),
    key,
    attribution,
    params,
  };
}

/** One response of the session: its call, when its first output came, and its admission (awaited to record it). */
interface Turn {
  call: CallContext;
  ttft: number | null;
  admitted: Promise<void>;
}

/** The model a transcription is recorded under when the session's configuration did not say (unpriced). */
const UNNAMED_TRANSCRIBER = 'input_audio_transcription';

/** Events of a response's output: the first of them is its time to first token. */
const OUTPUT = /^response\.output_(?:audio|text|audio_transcript)\.delta$/;

/**
 * One client's Realtime API session over a WebSocket (`/v1/realtime`), proxied to the upstream that serves its
 * model and metered: each response, whether the client asked for it (`response.create`) or the server's voice
 * detection did, is one call, recorded from its `response.done` (its usage: text, audio and cached tokens). Messages
 * pass both ways as they came.
 *
 * The upstream's socket is opened before the client's handshake is accepted (upgrades.ts), so a refusal there (a
 * key, a rate limit, no such model) reaches the client as the handshake's HTTP answer, as it would without the
 * gateway, after the fallbacks were tried. A response is admitted against budgets and rate limits when it starts
 * (`response.created`): the input the session carries is not known ahead, so the reservation covers its output
 * bound; one refused is cancelled (`response.cancel`) and the client told in an `error` event. Its `response.done`
 * reaches the client once the call is in the write-ahead log.
 */
export class RealtimeSocket {
  private readonly upstream: UpstreamSocket<Turn>;
  /** What goes to the client before its handshake is accepted (the upstream's session.created) waits here. */
  private early: (string | Buffer | Promise<string>)[] | null = [];
  private out: OrderedSender | null = null;
  /** The model the upstream says the session runs (`session.created`, `session.updated`). */
  private model: string | null = null;
  /** The model that transcribes the user's audio, when the session's configuration names one. */
  private transcriber: string | null = null;
  /** The client left: the session ends once its responses have reported what they used. */
  private gone = false;
  private failure: SocketFailure | null = null;
  /** Settles once the upstream's socket is open (null), or failed before (its failure). */
  readonly ready: Promise<SocketFailure | null>;

  constructor(
    private readonly d: ForwardDeps,
    private readonly route: GatewayRoute,
    private readonly h: RealtimeHandshake,
    /** The one of the handshake's candidates this session tries. */
    private readonly c: Candidate,
  ) {
    let settle: (f: SocketFailure | null) => void = () => {};
    this.ready = new Promise((r) => {
      settle = r;
    });
    const u = c.upstream;
    const headers = upstreamHeaders(h.req.headers, route.provider, u, h.key !== null, d.gateway.env);
    const query = new URLSearchParams(h.params);
    if (c.model !== '') query.set('model', c.model);
    this.upstream = new UpstreamSocket<Turn>(u, `/realtime?${query}`, headers, d.gateway.config.timeouts, {
      open: () => settle(null),
      message: (data, binary) => this.send(this.passed(data, binary)),
      failed: (f) => {
        settle(f);
        this.failed(f);
      },
    });
  }

  /** The client's socket, once its handshake is accepted. */
  attach(client: ClientSocket): void {
    this.out = new OrderedSender(client);
    for (const m of this.early!) this.out.send(m);
    this.early = null;
    // Failed after it opened, while the client's handshake was being accepted.
    if (this.failure !== null) this.end(this.out);
  }

  /** A message from the client: passed upstream as it came (the session's usage is in the upstream's events). */
  take(data: Buffer, _binary: boolean): void {
    this.upstream.send(data);
  }

  /**
   * The client closed: responses still running are cancelled, and the upstream's socket closed once each has
   * reported what it used (its `response.done`; the socket's `timeouts.idle_ms` bounds the wait).
   */
  clientClosed(): void {
    if (this.gone) return;
    this.gone = true;
    const open = this.upstream.openLanes();
    for (const id of open)
      this.upstream.send(Buffer.from(JSON.stringify({ type: 'response.cancel', response_id: id })));
    if (open.length === 0) this.upstream.close();
  }

  /** The server is stopping: responses still running are recorded now, while the log takes them, as left. */
  stop(): void {
    this.gone = true;
    for (const [, turn] of this.upstream.drain())
      void this.record(turn, {
        facts: null,
        status: 'aborted',
        error: 'client_disconnected',
        ttft_ms: turn.ttft,
      });
    this.upstream.close();
  }

  private send(m: string | Buffer | Promise<string>): void {
    if (this.out === null) this.early?.push(m);
    else this.out.send(m);
  }

  /** An upstream event as the client gets it: read on the side, a response's `response.done` once it is recorded. */
  private passed(data: Buffer, binary: boolean): string | Buffer | Promise<string> {
    if (binary) return data;
    const text = data.toString('utf8');
    const event = obj(jsonOrNull(text));
    const type = str(event?.type);
    if (type === 'session.created' || type === 'session.updated') this.configured(obj(event!.session));
    else if (type === 'conversation.item.input_audio_transcription.completed')
      return this.transcribed(event!, text);
    else if (type === 'response.created') this.started(obj(event!.response));
    else if (type === 'response.done') return this.done(obj(event!.response), text);
    else if (type !== null && OUTPUT.test(type)) {
      const turn = this.upstream.head(str(event!.response_id) ?? '');
      if (turn !== undefined) turn.ttft ??= Math.round(performance.now() - turn.call.started);
    }
    return text;
  }

  /** The session's configuration, as the upstream says it is: its model and its transcription model. */
  private configured(session: Record<string, unknown> | null): void {
    if (session === null) return;
    this.model = str(session.model) ?? this.model;
    // The GA interface's `audio.input.transcription`, the beta's `input_audio_transcription`; null turns it off.
    const input = obj(obj(session.audio)?.input);
    const t =
      input !== null && 'transcription' in input ? input.transcription : session.input_audio_transcription;
    if (t !== undefined) this.transcriber = str(obj(t)?.model);
  }

  /** A response started: its call opened, and admitted. */
  private started(response: Record<string, unknown> | null): void {
    const id = str(response?.id);
    if (id === null || this.upstream.head(id) !== undefined) return;
    // What admission reads of a response: its model and output limit (`max_output_tokens`, a number or "inf").
    const limit = count(response!.max_output_tokens);
    const call = this.call(this.c.model, limit > 0 ? { max_output_tokens: limit } : {});
    const turn: Turn = { call, ttft: null, admitted: Promise.resolve() };
    turn.admitted = this.admit(call).catch((e: unknown) => {
      this.upstream.send(Buffer.from(JSON.stringify({ type: 'response.cancel', response_id: id })));
      this.send(refusalEvent(this.d.gateway, e, null));
    });
    this.upstream.start(id, turn);
  }

  /** A call of this session to `model`, starting now. */
  private call(model: string, json: Record<string, unknown>): CallContext {
    const { requestId, eventId } = callIds();
    return {
      deps: this.d.gateway,
      provider: this.route.provider,
      route: this.route,
      json: { model, ...json },
      started: performance.now(),
      ts: Date.now() * 1000,
      requestId,
      eventId,
      attribution: this.h.attribution,
      upstream: this.c.upstream,
      model,
      reservation: null,
      background: null,
      keepText: null,
      carried: null,
    };
  }

  /** Admission against budgets and rate limits: the call's reservation set, or the refusal thrown. */
  private async admit(call: CallContext): Promise<void> {
    const enforcer = this.d.gateway.enforcer;
    if (enforcer === undefined) return;
    const c = { upstream: call.upstream, model: call.model };
    let r: Reservation | null = null;
    try {
      const admitted = admission(enforcer, {
        provider: call.provider,
        operation: 'realtime',
        json: call.json,
        raw: Buffer.from(JSON.stringify(call.json)),
        attribution: call.attribution,
        key: this.h.key,
        ts: call.ts,
        eventId: call.eventId,
        carried: this.d.carried,
      })(c);
      r = admitted instanceof Promise ? await admitted : admitted;
      // A downgrade budget names another model, which a running session cannot switch to.
      if (r.model !== c.model)
        throw new GatewayError(
          'GW_BUDGET_EXCEEDED',
          `a budget sends ${c.model} to ${r.model} now, and a Realtime session cannot change its model; connect again with ?model=${r.model}`,
        );
      call.reservation = r;
      r = null;
    } finally {
      if (r !== null && !r.done) releaseReservation(this.d.gateway, r);
    }
  }

  /**
   * The transcription of the user's audio, which a session runs beside its responses when its configuration names
   * a transcription model (`audio.input.transcription`), is billed by that model: a call of its own, recorded before
   * the client gets the event. It ran already: a budget that refuses it only keeps it out of its counters.
   */
  private transcribed(event: Record<string, unknown>, text: string): string | Promise<string> {
    const usage = obj(event.usage);
    if (usage === null) return text;
    const model = this.transcriber ?? UNNAMED_TRANSCRIBER;
    const facts = { usage: null, model: null, service_tier: null, response_id: null };
    let recorded: Promise<boolean>;
    const ms = usage.type === 'duration' ? audioMsOfSeconds(usage.seconds) : null;
    if (usage.type === 'tokens' || ms !== null) {
      // Its output is known: admission reserves that much, and the settle replaces it with the exact cost. whisper-1
      // reports the seconds of audio it heard (`type: "duration"`), which it is billed by: nothing to reserve ahead.
      const json = ms === null ? { max_output_tokens: Math.max(1, count(usage.output_tokens)) } : {};
      const call = this.call(model, json);
      const outcome: Outcome = {
        facts: { ...facts, usage: ms === null ? realtimeUsage(usage) : durationUsage(ms) },
        status: 'ok',
        error: null,
      };
      recorded = this.admit(call)
        .catch(() => {})
        .then(() => this.record({ call, ttft: null, admitted: Promise.resolve() }, outcome));
    } else {
      // Usage of a kind not known here: recorded all the same, its output counted from the transcript, so that a
      // model without token prices is kept unpriced, not free.
      const call = this.call(model, {});
      const outcome: Outcome = {
        facts,
        status: 'ok',
        error: 'usage_missing',
        estimate: { outputText: str(event.transcript) ?? '' },
      };
      recorded = this.record({ call, ttft: null, admitted: Promise.resolve() }, outcome);
    }
    return recorded.then((ok) => (ok ? text : notRecordedEvent(null)));
  }

  /** A response ended: its call recorded (once admitted) before the client gets the event. */
  private done(response: Record<string, unknown> | null, text: string): string | Promise<string> {
    const id = str(response?.id);
    const turn = id === null ? undefined : this.upstream.head(id);
    if (turn === undefined) return text;
    this.upstream.finish(id!);
    const recorded = turn.admitted.then(() => this.record(turn, this.outcome(response!, turn)));
    if (this.gone && this.upstream.openLanes().length === 0) void recorded.then(() => this.upstream.close());
    return recorded.then((ok) => (ok ? text : notRecordedEvent(null)));
  }

  /**
   * What a response's end says: completed (or incomplete, at its output limit) is `ok`; cancelled (the client's
   * `response.cancel`, or the user speaking over it) `aborted`; failed an error. Its usage is the provider's in each.
   */
  private outcome(response: Record<string, unknown>, turn: Turn): Outcome {
    const facts = realtimeFacts(response, this.model);
    const details = obj(response.status_details);
    switch (response.status) {
      case 'cancelled':
        return { facts, status: 'aborted', error: str(details?.reason) ?? 'cancelled', ttft_ms: turn.ttft };
      case 'failed':
        return {
          facts,
          status: 'error',
          error: str(obj(details?.error)?.type) ?? str(details?.reason) ?? 'response_failed',
          ttft_ms: turn.ttft,
        };
      default:
        return {
          facts,
          status: 'ok',
          error: facts.usage === null ? 'usage_missing' : null,
          ttft_ms: turn.ttft,
        };
    }
  }

  /**
   * The upstream's socket failed: open responses are recorded as errors with no usage (a Realtime stream carries
   * none before its end), the client told and its socket closed (the session lived on that socket). Before the client
   * was accepted, its handshake gets the failure instead (upgrades.ts).
   */
  private failed(f: SocketFailure): void {
    const recorded = Promise.all(
      this.upstream
        .drain()
        .map(([, turn]) =>
          this.record(turn, { facts: null, status: 'error', error: f.error, ttft_ms: turn.ttft }),
        ),
    );
    this.failure = f;
    if (this.out !== null && !this.gone) this.end(this.out, recorded);
  }

  /** The client is told the upstream failed, once the responses it ended are recorded, and its socket closed. */
  private end(out: OrderedSender, recorded: Promise<unknown> = Promise.resolve()): void {
    const f = this.failure!;
    out.send(recorded.then(() => f.event(null)));
    out.close(f.closed?.code ?? 1011, f.closed?.reason ?? 'upstream failed');
  }

  /** Records a turn's call; false when it could not be (its reservation is then given back). */
  private record(turn: Turn, o: Outcome): Promise<boolean> {
    return recordSocketCall(turn.call, o);
  }
}

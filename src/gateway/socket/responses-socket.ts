import type { IncomingMessage } from 'node:http';
import type { Reservation } from '../../budgets/enforcer.js';
import { type Admit, admission, refusedForItsModel, sameScope } from '../admission.js';
import { attribute } from '../attribution.js';
import { type CallContext, type Outcome, recordCall } from '../call.js';
import { callIds } from '../call-ids.js';
import type { Upstream } from '../config.js';
import { GatewayError } from '../errors.js';
import type { ForwardDeps } from '../forward.js';
import { withModel } from '../json-splice.js';
import { checkModelAllowed, reachableFor } from '../key-access.js';
import type { VirtualKeyRecord } from '../keys/virtual-key.js';
import { jsonOrNull, obj, type StreamMeter, str } from '../providers/provider.js';
import { parseJsonBody } from '../request-body.js';
import { streamOutcome } from '../respond-stream.js';
import type { GatewayRoute } from '../routes.js';
import { type Candidate, candidates } from '../select-upstream.js';
import { upstreamHeaders } from '../upstream-headers.js';
import { type ClientSocket, OrderedSender } from './ordered-sender.js';
import { notRecordedEvent, recordSocketCall, refusalEvent, releaseReservation } from './socket-calls.js';
import { type SocketFailure, UpstreamSocket } from './upstream-socket.js';

/** The events that end a response: its final usage is in the first three; an `error` ends it without. */
const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

/**
 * One `response.create` on its way: the call it is (this attempt's upstream and model), the meter reading its events,
 * when its first event came, and what trying it on a fallback needs.
 */
interface Turn {
  call: CallContext;
  meter: StreamMeter;
  ttft: number | null;
  create: Create;
}

/** A create as the client sent it, with the candidates left for it (`models.fallbacks`). */
interface Create {
  raw: Buffer;
  json: Record<string, unknown>;
  /** Its `stream_id`; null for none. */
  lane: string | null;
  key: VirtualKeyRecord | null;
  /** Admission to a candidate; null without budgets. */
  admit: Admit | null;
  /** Of a list of candidates, those the caller's key may go to (withoutGated). */
  reachable(list: Candidate[]): Candidate[];
  /** The fallbacks not tried yet, in order. */
  rest: Candidate[];
}

/**
 * One client's WebSocket to `/v1/responses` (the Responses API's WebSocket mode): each `response.create` is a call,
 * admitted, metered and recorded as a streamed `POST /v1/responses` is, its events passed on as they come.
 *
 * The handshake carries no model, so the upstream socket is opened at the first `response.create` to the upstream
 * its model goes to, and kept for the creates that follow to the same upstream: a connection's cached response,
 * which `previous_response_id` continues from, lives on it. A create names its lane (`stream_id`; none is one lane
 * of its own): the upstream answers a lane's creates in order and echoes its `stream_id` in their events, so an
 * event is the response of the oldest create of its lane still open.
 *
 * Fallbacks are tried as over HTTP: a create whose upstream socket could not be opened (unreachable, a 429 or 5xx to
 * the handshake) or gave no answer in time, or whose first event is an `error` with status 429 or 5xx, goes to the
 * next of `models.fallbacks`, held to that model's budgets; the attempt is recorded as replaced, and the client sees
 * only the answer.
 *
 * A response's last event waits until the call is in the write-ahead log, as a stream's end does over HTTP, and the
 * events after it wait behind it, so the client sees them in the upstream's order.
 */
export class ResponsesSocket {
  private readonly upstreams = new Map<Upstream, UpstreamSocket<Turn>>();
  private readonly out: OrderedSender;
  /** Client messages are taken one at a time: creates of one lane must reach the upstream in the order sent. */
  private inbound: Promise<void> = Promise.resolve();
  /** Where a client event the gateway does not read goes when it names no lane open on one: the last used. */
  private last: UpstreamSocket<Turn> | null = null;
  private gone = false;

  constructor(
    private readonly d: ForwardDeps,
    private readonly route: GatewayRoute,
    private readonly req: IncomingMessage,
    /** The handshake's query string (with its `?`), kept on the upstream's URL. */
    private readonly query: string,
    client: ClientSocket,
  ) {
    this.out = new OrderedSender(client);
  }

  /** A message from the client. */
  take(data: Buffer, binary: boolean): void {
    this.inbound = this.inbound
      .then(() => this.read(data, binary))
      .catch((e: unknown) => this.refuse(null, e));
  }

  /** The client closed: every open response is recorded as abandoned, and the upstream sockets closed. */
  clientClosed(): void {
    if (this.gone) return;
    this.gone = true;
    for (const u of this.upstreams.values()) {
      for (const [, turn] of u.drain())
        void this.record(turn, streamOutcome(turn.meter, 'aborted', turn.ttft));
      u.close();
    }
    this.upstreams.clear();
  }

  /** The server is stopping: as if the client left (its open responses recorded as abandoned). */
  stop(): void {
    this.clientClosed();
  }

  private async read(data: Buffer, binary: boolean): Promise<void> {
    if (this.gone) return;
    if (binary)
      return this.refuse(
        null,
        new GatewayError(
          'GW_BAD_REQUEST',
          'a binary message is not a Responses event; send each event as a JSON text message',
        ),
      );
    let json: Record<string, unknown>;
    try {
      json = parseJsonBody(data);
    } catch (e) {
      return this.refuse(null, e);
    }
    const lane = str(json.stream_id);
    if (json.type === 'response.create') return this.create(data, json, lane);
    // Another client event (a newer one the gateway does not meter): to the upstream that holds the lane it names.
    const target = (lane !== null ? this.holding(lane) : null) ?? this.last;
    if (target === null)
      return this.refuse(
        lane,
        new GatewayError(
          'GW_BAD_REQUEST',
          `a ${JSON.stringify(json.type ?? null)} event before any response.create: the gateway picks the upstream by the model a response.create names`,
        ),
      );
    target.send(data);
  }

  private async create(raw: Buffer, json: Record<string, unknown>, lane: string | null): Promise<void> {
    const d = this.d.gateway;
    const provider = this.route.provider;
    let reservation: Reservation | null = null;
    try {
      if (typeof json.model !== 'string' || json.model === '')
        throw new GatewayError(
          'GW_BAD_REQUEST',
          'response.create has no "model" string; name the model to call',
        );
      const started = performance.now();
      const ts = Date.now() * 1000;
      let list = candidates(d.config, provider.type, json.model);
      const routed = list[0]!.upstream;
      // Checked at every create, not once at the handshake: a key revoked mid-connection stops here.
      const key = await this.d.authenticate(provider, this.req, list[0]!);
      checkModelAllowed(key, json.model);
      const attribution = attribute(key, this.req.headers, json, this.req.rawHeaders);
      d.sessions?.check(attribution);
      const { requestId, eventId } = callIds();
      const admit: Admit | null =
        d.enforcer === undefined
          ? null
          : admission(d.enforcer, {
              provider,
              operation: this.route.operation,
              json,
              raw,
              attribution,
              key,
              ts,
              eventId,
              carried: this.d.carried,
            });
      if (admit !== null) {
        const admitted = admit(list[0]!);
        reservation = admitted instanceof Promise ? await admitted : admitted;
        if (reservation.model !== list[0]!.model)
          list = candidates(d.config, provider.type, reservation.model);
      }
      // A fallback or a downgrade must not take a caller where its key would not have let it go (pipeline.ts).
      const reachable = reachableFor(key, provider, this.req.headers, routed);
      list = reachable(list);
      // The client left while its create waited (for admission): nothing is sent for it.
      if (this.gone) return;
      const c = list[0]!;
      const call: CallContext = {
        deps: d,
        provider,
        route: this.route,
        json,
        started,
        ts,
        requestId,
        eventId,
        attribution,
        upstream: c.upstream,
        model: c.model,
        reservation,
        background: null,
        keepText: key?.store_content === true ? raw : null,
        carried: this.d.carried,
      };
      this.send({ raw, json, lane, key, admit, reachable, rest: list.slice(1) }, c, call);
      reservation = null;
    } catch (e) {
      this.refuse(lane, e);
    } finally {
      // Held by the turn once it went upstream (settled when recorded); anything else gives it back.
      if (reservation !== null && !reservation.done) this.release(reservation);
    }
  }

  /** Sends a create to candidate `c` as `call` (whose reservation the turn then holds). */
  private send(create: Create, c: Candidate, call: CallContext): void {
    const { raw, json } = create;
    const body = c.model === json.model ? json : { ...json, model: c.model };
    const upstream = this.upstreamFor(c.upstream, create.key);
    const meter = this.route.provider.streamMeter('responses', false);
    upstream.start(create.lane ?? '', { call: { ...call, json: body }, meter, ttft: null, create });
    upstream.send(body === json ? raw : withModel(raw, json, c.model));
    this.last = upstream;
  }

  /**
   * A turn that got no answer where it went (`o`, recorded as a replaced attempt) goes to the next fallback, after
   * this one's: a fallback to another model is held to that model's budgets and rate limits, as over HTTP.
   */
  private fallBack(turn: Turn, o: Outcome): void {
    this.inbound = this.inbound.then(async () => {
      const { call: tried, create } = turn;
      // A log that cannot be written refuses the answering attempt's record too, which the client is told of.
      await recordCall(tried, { ...o, replaced: true }).catch(() => {});
      let reservation = tried.reservation;
      /** The candidate `reservation` holds budget for; null once given back. */
      let admittedFor: Candidate | null = tried;
      try {
        while (create.rest.length !== 0) {
          let c = create.rest.shift()!;
          if (create.admit !== null && (admittedFor === null || !sameScope(c, admittedFor))) {
            if (reservation !== null && !reservation.done) this.release(reservation);
            reservation = null;
            admittedFor = null;
            try {
              reservation = await create.admit(c);
            } catch (e) {
              if (create.rest.length !== 0 && refusedForItsModel(e)) continue;
              throw e;
            }
            if (reservation.model !== c.model)
              c = create.reachable(
                candidates(this.d.gateway.config, tried.provider.type, reservation.model),
              )[0]!;
            admittedFor = c;
          }
          if (this.gone) return;
          this.send(create, c, { ...tried, upstream: c.upstream, model: c.model, reservation });
          reservation = null;
          return;
        }
      } catch (e) {
        this.refuse(create.lane, e);
      } finally {
        if (reservation !== null && !reservation.done) this.release(reservation);
      }
    });
  }

  /** The socket to an upstream, opened at its first create. */
  private upstreamFor(u: Upstream, key: VirtualKeyRecord | null): UpstreamSocket<Turn> {
    const open = this.upstreams.get(u);
    if (open !== undefined) return open;
    const headers = upstreamHeaders(
      this.req.headers,
      this.route.provider,
      u,
      key !== null,
      this.d.gateway.env,
    );
    const s = new UpstreamSocket<Turn>(
      u,
      `/responses${this.query}`,
      headers,
      this.d.gateway.config.timeouts,
      {
        message: (data, binary) => {
          const m = this.passed(s, data, binary);
          if (m !== null) this.out.send(m);
        },
        failed: (f) => this.upstreamFailed(s, f),
      },
    );
    this.upstreams.set(u, s);
    return s;
  }

  /**
   * An event from an upstream as the client gets it: metered on the side and passed on as it came, a response's last
   * once its call is recorded. Null for one the client does not get: a refusal a fallback answers in its place.
   */
  private passed(
    u: UpstreamSocket<Turn>,
    data: Buffer,
    binary: boolean,
  ): string | Buffer | Promise<string> | null {
    if (binary) return data;
    const text = data.toString('utf8');
    const event = obj(jsonOrNull(text));
    const type = str(event?.type);
    const lane = str(event?.stream_id) ?? '';
    const turn = type === null ? undefined : u.head(lane);
    if (turn === undefined) return text;
    const first = turn.ttft === null;
    turn.ttft ??= Math.round(performance.now() - turn.call.started);
    // The meter reads SSE: the event as one, its name the event's type (a message's JSON holds no raw line break
    // unless pretty-printed, and then it is written again on one line).
    const line = text.includes('\n') ? JSON.stringify(event) : text;
    turn.meter.push(Buffer.from(`event: ${type}\ndata: ${line}\n\n`));
    if (!FINAL_EVENTS.has(type!)) return text;
    u.finish(lane);
    // An error as a create's first event is a refusal (an unknown previous_response_id, a bad parameter, a rate
    // limit), as an HTTP 4xx or 5xx is: nothing ran, nothing is estimated. One with a 429 or 5xx is for a fallback.
    const refusal: Outcome | null =
      first && type === 'error'
        ? { facts: null, status: 'error', error: turn.meter.error()?.type ?? 'stream_error', ttft_ms: null }
        : null;
    const status = event?.status;
    if (
      refusal !== null &&
      turn.create.rest.length !== 0 &&
      typeof status === 'number' &&
      (status === 429 || status >= 500)
    ) {
      this.fallBack(turn, refusal);
      return null;
    }
    const outcome = refusal ?? streamOutcome(turn.meter, 'ok', turn.ttft);
    return this.record(turn, outcome).then((recorded) =>
      recorded ? text : notRecordedEvent(lane === '' ? null : lane),
    );
  }

  /** An upstream socket that failed (refused, unreachable, timed out, closed): its open responses end with it. */
  private upstreamFailed(u: UpstreamSocket<Turn>, f: SocketFailure): void {
    this.upstreams.delete(u.upstream);
    if (this.last === u) this.last = null;
    for (const [lane, turn] of u.drain()) {
      if (f.retryable && turn.ttft === null && turn.create.rest.length !== 0) {
        this.fallBack(turn, { facts: null, status: 'error', error: f.error, ttft_ms: null });
        continue;
      }
      // Nothing came back: recorded as an HTTP call that got no answer is, nothing estimated. Else the output so far.
      const outcome: Outcome =
        turn.ttft === null
          ? { facts: null, status: 'error', error: f.error, ttft_ms: null }
          : { ...streamOutcome(turn.meter, 'broken', turn.ttft), error: f.error };
      const answer = f.event(lane === '' ? null : lane);
      this.out.send(this.record(turn, outcome).then(() => answer));
    }
    // The upstream closed its socket (OpenAI's 60-minute limit, a restart): the client's closes in turn, so that it
    // reconnects knowing the connection's cached response is gone, as it would without the gateway.
    if (f.closed !== null) this.out.close(f.closed.code, f.closed.reason);
  }

  /** Records a turn's call; false when it could not be (its reservation is then given back). */
  private record(turn: Turn, o: Outcome): Promise<boolean> {
    return recordSocketCall(turn.call, o);
  }

  private holding(lane: string): UpstreamSocket<Turn> | null {
    for (const u of this.upstreams.values()) if (u.head(lane) !== undefined) return u;
    return null;
  }

  /** The client is told why a create (or a message) was not sent, in an `error` event on its lane. */
  private refuse(lane: string | null, e: unknown): void {
    this.out.send(refusalEvent(this.d.gateway, e, lane));
  }

  private release(r: Reservation): void {
    releaseReservation(this.d.gateway, r);
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Enforcer, Reservation } from '../budgets/enforcer.js';
import { RateLimitedError } from '../budgets/rate-limited.js';
import { TokenledgerError } from '../errors.js';
import { retryAfterMs } from '../http/retry-after.js';
import type { CallContent } from '../ledger/call-content.js';
import { type Attribution, GATEWAY_UPSTREAM_TAG, type UsageEvent } from '../ledger/event.js';
import type { Pricer } from '../pricing/pricer.js';
import { type LearnedRouter, routeOf } from '../router/learned-router.js';
import { admission, CARRIES_CONTEXT, refusedForItsModel, sameScope } from './admission.js';
import { attribute } from './attribution.js';
import { formAudioMs } from './audio-duration.js';
import { BackgroundResponses } from './background-responses.js';
import { Balancer } from './balance.js';
import { type CacheSlot, cacheTags, type ResponseCache } from './cache/response-cache.js';
import { type CallContext, recordCall } from './call.js';
import { CallAbort } from './call-abort.js';
import { callIds } from './call-ids.js';
import { CarriedContext } from './carried-context.js';
import type { GatewayConfig } from './config.js';
import { decodedResponse } from './content-decoding.js';
import { errorAnswer } from './error-answer.js';
import { errorBody, GatewayError } from './errors.js';
import { formFields, withFormModel } from './form-body.js';
import { type ForwardDeps, forwardCall, passThrough } from './forward.js';
import { withModel } from './json-splice.js';
import { checkModelAllowed, checkNotExpired, keyRequired, reachableFor } from './key-access.js';
import type { KeyRing } from './keys/key-ring.js';
import { isVirtualKey, type VirtualKeyRecord } from './keys/virtual-key.js';
import type { GatewayMetrics } from './metrics.js';
import type { ApiType, Operation, Provider } from './providers/provider.js';
import { parseJsonBody, readRequestBody } from './request-body.js';
import { respondCached } from './respond-cached.js';
import { recordReplaced, respondJson } from './respond-json.js';
import { respondStream } from './respond-stream.js';
import type { ForwardRoute, GatewayRoute } from './routes.js';
import { type Candidate, candidates } from './select-upstream.js';
import { SessionBlockedError, type SessionGuard } from './session-guard.js';
import { SocketUpgrades } from './socket/upgrades.js';
import { readBody } from './upstream-body.js';
import { UpstreamClient, unreachableError } from './upstream-client.js';
import { upstreamHeaders } from './upstream-headers.js';

/** The Audio API's calls: their form carries the audio file, whose length bills whisper-1. */
const AUDIO_OPERATIONS: ReadonlySet<Operation> = new Set(['transcription', 'translation']);

export interface GatewayDeps {
  config: GatewayConfig;
  pricer: Pricer;
  /** Resolves once the event (and the call's text, when its key keeps it) is in the write-ahead log. */
  record: (e: UsageEvent, content?: CallContent) => Promise<void>;
  keys: KeyRing;
  metrics: GatewayMetrics;
  env: NodeJS.ProcessEnv;
  /** Budgets and rate limits; absent, every call passes unchecked. */
  enforcer?: Enforcer | undefined;
  /** Live runaway-agent detection (and blocking, when configured). */
  sessions?: SessionGuard | undefined;
  /** Learned routers by the model name that calls them (`routers:`, docs/router.md). */
  routers?: ReadonlyMap<string, LearnedRouter> | undefined;
  /** Answers served again to the same request (`cache:`, cache/open-cache.ts); closed with the gateway. */
  cache?: ResponseCache | null | undefined;
}

/**
 * The metering proxy. Stages, in order: read body → parse → choose upstream → authenticate → attribute → forward
 * (with fallbacks) → meter → record (WAL, before the response ends) → respond.
 */
export class Gateway {
  private readonly client: UpstreamClient;
  private readonly forwarding: ForwardDeps;
  private readonly background: BackgroundResponses;
  private readonly sockets: SocketUpgrades;
  /**
   * Upstreams (by name) that refused the usage option metering adds to a stream (Provider.usageOptionRefused): their
   * streams are sent as the client wrote them from then on, until the gateway restarts.
   */
  private readonly noUsageOption = new Set<string>();
  /** What the Responses calls this process recorded hand on to the calls that continue them. */
  private readonly carried = new CarriedContext();
  /** Answers served again to the same request (`cache:`); null without. */
  private readonly cache: ResponseCache | null;
  /** `models.balance`'s turns; null without it. */
  private readonly balancer: Balancer | null;

  constructor(private readonly d: GatewayDeps) {
    this.client = new UpstreamClient(d.config);
    this.cache = d.cache ?? null;
    this.balancer = Object.keys(d.config.balance).length === 0 ? null : new Balancer(d.config.balance);
    this.background = new BackgroundResponses((r) => {
      d.enforcer?.release(r).catch((e: Error) => this.warn(e));
    });
    this.forwarding = {
      gateway: d,
      client: this.client,
      background: this.background,
      carried: this.carried,
      authenticate: (provider, req, first) => this.authenticate(provider, req, first),
      virtualKey: (provider, req) => this.virtualKey(provider, req),
    };
    this.sockets = new SocketUpgrades(this.forwarding);
  }

  /** A WebSocket handshake to a metered route that has one (Responses, Realtime): socket/upgrades.ts. */
  upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    route: GatewayRoute,
    url: string,
  ): Promise<void> {
    return this.sockets.upgrade(req, socket, head, route, url);
  }

  /** An unmetered call (routes.ts, ForwardRoute): forwarded and passed back as it came, not recorded. */
  async forward(req: IncomingMessage, res: ServerResponse, route: ForwardRoute, url: string): Promise<void> {
    try {
      await forwardCall(this.forwarding, req, res, route, url);
    } catch (e) {
      this.fail(res, e, route.provider.type);
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse, route: GatewayRoute, url: string): Promise<void> {
    const started = performance.now();
    const ts = Date.now() * 1000;
    let reservation: Reservation | null = null;
    let call: CallContext | null = null;
    /** The cache's place of the attempt sent upstream last, which identical calls may be waiting on (settled after). */
    let sent: CacheSlot | null = null;
    try {
      const raw = await readRequestBody(req, this.d.config.body_limit_bytes);
      const form = route.form === true ? (req.headers['content-type'] ?? '') : null;
      const json = form === null ? parseJsonBody(raw) : await formFields(raw, req.headers['content-type']);
      // Metered as the API's one model; the body goes as it came, and the upstream applies its own default.
      if (json.model === undefined && route.defaultModel !== undefined) json.model = route.defaultModel;
      if (typeof json.model !== 'string' || json.model === '')
        throw new GatewayError(
          'GW_BAD_REQUEST',
          'request body has no "model" string; name the model to call',
        );
      const provider = route.provider;
      // A router's name: the model it picks for the prompt is called as if the client had named it (docs/router.md).
      const router = this.d.routers?.get(json.model);
      const model = router === undefined ? json.model : routeOf(router, provider.inputText(json));
      // The upstream the request names decides whether it needs a virtual key and where a key of the caller's own
      // may go (reachableFor, below): not the balanced target whose turn it happens to be.
      const named = candidates(this.d.config, provider.type, model);
      const routed = named[0]!.upstream;
      const key = await this.authenticate(provider, req, named[0]!);
      checkModelAllowed(key, json.model);
      // Balanced where the gateway's provider keys go, or none: a key of the caller's own goes where its request
      // names, as without balance (reachableFor).
      const balancer =
        this.balancer !== null && (key !== null || provider.callerKey(req.headers) === null)
          ? this.balancer
          : null;
      let list = balancer === null ? named : candidates(this.d.config, provider.type, model, balancer);
      const attribution = attribute(key, req.headers, json, req.rawHeaders);
      this.d.sessions?.check(attribution);
      // The answer's event id: admission gives it to a reservation that a rebuild of the counters may have to look for.
      const { requestId, eventId } = callIds();
      // Admission: after attribution (budgets are per scope), before anything is sent upstream.
      const enforcer = route.metered ? this.d.enforcer : undefined;
      const admit =
        enforcer === undefined
          ? null
          : admission(enforcer, {
              provider,
              operation: route.operation,
              json,
              raw,
              attribution,
              key,
              ts,
              eventId,
              carried: this.carried,
            });
      if (admit !== null) {
        const admitted = admit(list[0]!);
        reservation = admitted instanceof Promise ? await admitted : admitted;
        if (reservation.model !== list[0]!.model)
          list = candidates(this.d.config, provider.type, reservation.model, balancer);
      }
      // A fallback or a downgrade must not take a caller where its key would not have let it go, nor hand a provider
      // key of the caller's own to an upstream other than the one its request names.
      const reachable = reachableFor(key, provider, req.headers, routed);
      list = reachable(list);
      /** The candidate the reservation was made for; null once it is given back for a fallback the budgets refused. */
      let admittedFor: Candidate | null = list[0]!;
      const abort = new CallAbort();
      const gone = () => {
        if (!res.writableFinished) abort.abort();
      };
      res.on('close', gone);
      // The client may have left already, while its call waited (for admission: a rebuild of the counters, a hung
      // Redis under fail-open, the tokenizer loading): its 'close' came before this listener.
      if (res.destroyed) gone();
      const path = provider.type === 'openai' ? url.slice(3) : url;
      const cacheScope =
        this.cache?.scope(
          route.operation,
          form !== null,
          req.headers,
          key,
          provider.callerKey(req.headers),
        ) ?? null;
      for (let i = 0; i < list.length; i++) {
        let c = list[i]!;
        // A fallback to another model or provider is a call to it, held to its own budgets and rate limits as a
        // direct call is: else one whose budget is full would run, its cost settled in the first model's counters.
        if (admit !== null && reservation !== null && (admittedFor === null || !sameScope(c, admittedFor))) {
          // Given back before the fallback is admitted, not after: both are this one call, and a budget the two models
          // share must hold only the attempt about to be sent, not its worst case twice (which refused a fallback
          // that fits).
          if (!reservation.done)
            await this.d.enforcer!.release(reservation).catch((e: Error) => this.warn(e));
          admittedFor = null;
          let next: Reservation;
          try {
            const admitted = admit(c);
            next = admitted instanceof Promise ? await admitted : admitted;
          } catch (e) {
            // Refused: the next fallback is tried; with none left, the client is told why, as for a direct call.
            if (i < list.length - 1 && refusedForItsModel(e)) continue;
            throw e;
          }
          reservation = next;
          // Its downgrade budget is full: the model it names instead, where the caller's key may go.
          if (next.model !== c.model)
            c = reachable(candidates(this.d.config, provider.type, next.model, balancer))[0]!;
          admittedFor = c;
        }
        const body = c.model === json.model ? json : { ...json, model: c.model };
        // Another model (an alias, a prefix naming the upstream, a fallback, a downgrade): only its value changes.
        const bytes =
          body === json
            ? raw
            : form === null
              ? withModel(raw, json, c.model)
              : withFormModel(raw, form, c.model);
        const prepared = provider.prepare(
          route.operation,
          bytes,
          body,
          !this.noUsageOption.has(c.upstream.name),
        );
        const headers = upstreamHeaders(req.headers, provider, c.upstream, key !== null, this.d.env);
        call = {
          deps: this.d,
          provider,
          route,
          json: body,
          started,
          ts,
          requestId,
          eventId,
          // A balanced call says which of the model's upstreams served it (an account, a region).
          attribution: c.balanced === undefined ? attribution : servedBy(attribution, c.upstream.name),
          upstream: c.upstream,
          model: c.model,
          reservation,
          routeId: router === undefined ? null : json.model,
          background: route.operation === 'responses' && body.background === true ? this.background : null,
          // A form's body is audio or image files: no text to keep.
          keepText: key?.store_content === true && form === null ? raw : null,
          carried: CARRIES_CONTEXT.has(route.operation) ? this.carried : null,
          audioMs:
            form !== null && AUDIO_OPERATIONS.has(route.operation) ? () => formAudioMs(raw, form) : undefined,
        };
        // Nothing of this attempt was sent yet: a client that left gets no call made (and paid for) on its behalf. Not
        // recorded; the reservation is given back below.
        if (abort.aborted) return;
        if (cacheScope !== null) {
          // A stream is not coalesced: waiting for another call's whole answer would hold back its first bytes.
          const slot = this.cache!.slot(
            cacheScope,
            c.upstream.name,
            path,
            prepared.body,
            prepared.injectedUsage,
            !prepared.stream,
          );
          // An attempt before this one (a fallback follows) was sent upstream: the calls waiting on it look again.
          sent?.settle();
          sent = slot;
          const hit = await slot.answer();
          // The client left while its call waited for an identical one in flight: nothing to answer, nothing recorded.
          if (abort.aborted) return;
          call.attribution = {
            ...call.attribution,
            tags: cacheTags(call.attribution.tags, hit !== undefined),
          };
          if (hit !== undefined) return await respondCached(call, hit, res);
          this.d.metrics.recordCacheMiss(c.upstream.name);
          call.cache = slot;
        }
        const t0 = performance.now();
        const attempt = await this.client.send(c.upstream, path, headers, prepared.body, abort);
        if (attempt.kind === 'unreachable') {
          if (abort.aborted) {
            if (route.metered)
              await recordCall(call, {
                facts: null,
                status: 'aborted',
                error: 'client_disconnected',
                abortedBeforeOutput: true,
              });
            return;
          }
          if (c.balanced !== undefined) this.rest(c.balanced, null);
          const error = attempt.timeout ? 'upstream_timeout' : 'upstream_unreachable';
          // A fallback follows: this attempt is recorded as its own (call.ts, Outcome.replaced).
          const replaced = i < list.length - 1;
          if (route.metered) {
            const recorded = await recordCall(call, { facts: null, status: 'error', error, replaced }).then(
              () => true,
              () => false,
            );
            // The 502 that follows names the event, as every answer of a recorded call does.
            if (recorded && !replaced) res.setHeader('x-tokenledger-event-id', call.eventId);
          }
          if (replaced) continue;
          throw unreachableError(c.upstream, attempt);
        }
        this.d.metrics.recordLatency(c.upstream.name, (performance.now() - t0) / 1000);
        const r = attempt.response;
        if ((r.status === 429 || r.status >= 500) && c.balanced !== undefined)
          this.rest(c.balanced, retryAfterMs(r.headers['retry-after']));
        if ((r.status === 429 || r.status >= 500) && i < list.length - 1) {
          await (route.metered ? recordReplaced(call, r) : r.body.dump());
          continue;
        }
        if (!route.metered)
          return await passThrough(res, r, c.upstream, abort, this.d.config.timeouts.idle_ms);
        let d = decodedResponse(r);
        // A 400 to a body we added the usage option to is looked into first: if it refuses that option, which the
        // client never sent, the client must not get it; the same candidate is sent the body as the client wrote it.
        if (d.status === 400 && prepared.body !== bytes && provider.usageOptionRefused !== undefined) {
          const answer = await d.body.bytes().then(
            (b) => b,
            (e: Error) => e,
          );
          if (answer instanceof Buffer && provider.usageOptionRefused(d.status, answer)) {
            this.noUsageOption.add(c.upstream.name);
            i--;
            continue;
          }
          d = { ...d, body: readBody(answer) };
        }
        const sse =
          prepared.stream &&
          d.status < 400 &&
          String(d.headers['content-type']).includes('text/event-stream');
        await (sse
          ? respondStream(call, d, res, prepared.injectedUsage, abort)
          : respondJson(call, d, res, abort));
        return;
      }
    } catch (e) {
      this.fail(res, e, route.provider.type);
    } finally {
      // The cache's calls waiting on this one's answer look for it now (kept or not).
      sent?.settle();
      // Settled by recordCall when the call was recorded; anything else (an error, a client gone) gives it back.
      // A background response's call keeps it until the response finishes (background-responses.ts).
      if (reservation !== null && !reservation.done && call?.heldForLater !== true)
        this.d.enforcer!.release(reservation).catch((e: Error) => this.warn(e));
    }
  }

  /** A balanced target refused the call: it rests for `ms` (its retry-after), and /metrics counts it. */
  private rest(target: NonNullable<Candidate['balanced']>, ms: number | null): void {
    this.balancer!.rest(target.model, target.target, ms);
    this.d.metrics.recordRest(target.model, target.target);
  }

  private warn(e: Error): void {
    process.stderr.write(`gateway: releasing a budget reservation failed: ${e.message}\n`);
  }

  private async authenticate(
    provider: Provider,
    req: IncomingMessage,
    first: Candidate,
  ): Promise<VirtualKeyRecord | null> {
    const key = await this.virtualKey(provider, req);
    if (key === null && (this.d.config.keys_required || first.upstream.require_virtual_key))
      throw keyRequired(provider, first);
    return key;
  }

  /**
   * The caller's virtual key; null when it sent none (a provider key of its own, or no key). GW_KEY_INVALID for one
   * unknown or revoked, GW_KEY_EXPIRED for one past its `--expires`.
   */
  private async virtualKey(provider: Provider, req: IncomingMessage): Promise<VirtualKeyRecord | null> {
    const presented = provider.callerKey(req.headers);
    if (presented === null || !isVirtualKey(presented)) return null;
    const key = await this.d.keys.lookup(presented);
    if (key === null)
      throw new GatewayError(
        'GW_KEY_INVALID',
        'the virtual key is unknown or revoked; ask for a new one (tokenledger keys create)',
      );
    checkNotExpired(key);
    return key;
  }

  /** Answers the gateway's own error `e`, in the error shape of the API type `api` the caller called. */
  private fail(res: ServerResponse, e: unknown, api: ApiType): void {
    // Node's "aborted": the client left before its request body was whole. Nothing went upstream; not our bug.
    if ((e as NodeJS.ErrnoException | null)?.code === 'ECONNRESET' && res.req.destroyed) {
      this.d.metrics.recordError('GW_CLIENT_CLOSED');
      res.destroy();
      return;
    }
    const { status, code, message, refusal } = errorAnswer(e);
    this.d.metrics.recordError(code);
    if (!(e instanceof TokenledgerError))
      process.stderr.write(`gateway: ${(e as Error)?.stack ?? String(e)}\n`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = errorBody(api, status, code, message, refusal?.fields());
    const headers: Record<string, string | number> = {
      ...(e instanceof RateLimitedError ? e.headers : {}),
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    const retryAfter =
      refusal?.retryAfterSeconds ?? (e instanceof SessionBlockedError ? e.retryAfterSeconds : null);
    if (retryAfter !== null) headers['retry-after'] = retryAfter;
    // Both official SDKs retry a 429 or 5xx after sleeping the whole retry-after (OpenAI's without any bound,
    // Anthropic's up to 24.8 days), and obey x-should-retry. A refusal that lasts past a minute (a budget until its
    // window resets, a blocked session) or a missing provider key is not worth a retry: the app gets its error now
    // instead of hanging until the month ends. A rate limit's minute is: its retry is the point.
    if ((retryAfter !== null && retryAfter > 60) || code === 'GW_PROVIDER_KEY_MISSING')
      headers['x-should-retry'] = 'false';
    if (code === 'GW_BODY_TOO_LARGE') headers.connection = 'close';
    res.writeHead(status, headers).end(body);
  }

  /**
   * Closes the WebSocket connections (their open responses recorded as left): first when the server stops, as an
   * upgraded connection would keep it from closing.
   */
  closeSockets(): void {
    this.sockets.close();
  }

  async close(): Promise<void> {
    await this.cache?.close();
    await this.client.close();
  }
}

/** `attribution` with the tag naming the upstream a balanced call went to (GATEWAY_UPSTREAM_TAG). */
function servedBy(attribution: Attribution, upstream: string): Attribution {
  return { ...attribution, tags: { ...attribution.tags, [GATEWAY_UPSTREAM_TAG]: upstream } };
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TokenledgerError } from '../errors.js';
import type { UsageEvent } from '../ledger/event.js';
import { eventId } from '../ledger/event-id.js';
import type { Pricer } from '../pricing/pricer.js';
import { attribute } from './attribution.js';
import { type CallContext, recordCall } from './call.js';
import type { GatewayConfig } from './config.js';
import { errorBody, GatewayError } from './errors.js';
import type { KeyRing } from './keys/key-ring.js';
import { isVirtualKey, type VirtualKeyRecord } from './keys/virtual-key.js';
import type { GatewayMetrics } from './metrics.js';
import type { Provider } from './providers/provider.js';
import { parseJsonBody, readBody } from './request-body.js';
import { respondJson } from './respond-json.js';
import { respondStream } from './respond-stream.js';
import type { GatewayRoute } from './routes.js';
import { type Candidate, candidates } from './select-upstream.js';
import { UpstreamClient } from './upstream-client.js';
import { clientHeaders, upstreamHeaders } from './upstream-headers.js';

export interface GatewayDeps {
  config: GatewayConfig;
  pricer: Pricer;
  /** Resolves once the event is durable (the WAL). */
  record: (e: UsageEvent) => Promise<void>;
  keys: KeyRing;
  metrics: GatewayMetrics;
  env: NodeJS.ProcessEnv;
}

/**
 * The metering proxy. Stages, in order: read body → parse → choose upstream → authenticate → attribute → forward
 * (with fallbacks) → meter → record (WAL, before the response ends) → respond.
 */
export class Gateway {
  private readonly client: UpstreamClient;

  constructor(private readonly d: GatewayDeps) {
    this.client = new UpstreamClient(d.config);
  }

  async handle(req: IncomingMessage, res: ServerResponse, route: GatewayRoute, url: string): Promise<void> {
    const started = performance.now();
    const ts = Date.now() * 1000;
    try {
      const raw = await readBody(req, this.d.config.body_limit_bytes);
      const json = parseJsonBody(raw);
      if (typeof json.model !== 'string' || json.model === '')
        throw new GatewayError(
          'GW_BAD_REQUEST',
          'request body has no "model" string; name the model to call',
        );
      const provider = route.provider;
      const list = candidates(this.d.config, provider.type, json.model);
      const key = await this.authenticate(provider, req, list[0]!);
      const attribution = attribute(key, req.headers, json);
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      const requestId = randomUUID();
      const path = provider.type === 'openai' ? url.slice(3) : url;
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        const body = c.model === json.model ? json : { ...json, model: c.model };
        const prepared = provider.prepare(
          route.operation,
          body === json ? raw : Buffer.from(JSON.stringify(body)),
          body,
        );
        const headers = upstreamHeaders(req.headers, provider, c.upstream, key !== null, this.d.env);
        const call: CallContext = {
          deps: this.d,
          provider,
          route,
          json: body,
          started,
          ts,
          requestId,
          eventId: eventId('gateway', requestId),
          attribution,
          upstream: c.upstream,
          model: c.model,
        };
        const t0 = performance.now();
        const attempt = await this.client.send(c.upstream, path, headers, prepared.body, abort.signal);
        if (attempt.kind === 'unreachable') {
          if (abort.signal.aborted) {
            if (route.metered)
              await recordCall(call, {
                facts: null,
                status: 'aborted',
                error: 'client_disconnected',
                abortedBeforeOutput: true,
              });
            return;
          }
          if (i < list.length - 1) continue;
          if (route.metered)
            await recordCall(call, { facts: null, status: 'error', error: 'upstream_unreachable' }).catch(
              () => {},
            );
          throw new GatewayError(
            attempt.timeout ? 'GW_UPSTREAM_TIMEOUT' : 'GW_UPSTREAM_UNREACHABLE',
            `upstream ${c.upstream.name} did not answer (${attempt.error.message}); check it is running and its base URL in --upstream or tokenledger.config.yaml`,
            { cause: attempt.error },
          );
        }
        this.d.metrics.recordLatency(c.upstream.name, (performance.now() - t0) / 1000);
        const r = attempt.response;
        if ((r.status === 429 || r.status >= 500) && i < list.length - 1) {
          await r.body.dump();
          continue;
        }
        if (!route.metered) {
          res.writeHead(r.status, clientHeaders(r.headers, {}));
          for await (const chunk of r.body) res.write(chunk);
          res.end();
          return;
        }
        const sse =
          prepared.stream &&
          r.status < 400 &&
          String(r.headers['content-type']).includes('text/event-stream');
        await (sse
          ? respondStream(call, r, res, prepared.injectedUsage, abort.signal)
          : respondJson(call, r, res));
        return;
      }
    } catch (e) {
      this.fail(res, e);
    }
  }

  private async authenticate(
    provider: Provider,
    req: IncomingMessage,
    first: Candidate,
  ): Promise<VirtualKeyRecord | null> {
    const presented = provider.callerKey(req.headers);
    if (presented !== null && isVirtualKey(presented)) {
      const key = await this.d.keys.lookup(presented);
      if (key === null)
        throw new GatewayError(
          'GW_KEY_INVALID',
          'the virtual key is unknown or revoked; ask for a new one (tokenledger keys create)',
        );
      return key;
    }
    if (this.d.config.keys_required || first.upstream.require_virtual_key)
      throw new GatewayError(
        'GW_KEY_REQUIRED',
        `upstream ${first.upstream.name} needs a tokenledger virtual key (tlk_…) in ${provider.keyHeaders[0]}; create one with tokenledger keys create`,
      );
    return null;
  }

  private fail(res: ServerResponse, e: unknown): void {
    const status = e instanceof GatewayError ? e.status : 500;
    const code = e instanceof TokenledgerError ? e.code : 'GW_INTERNAL';
    const message =
      e instanceof TokenledgerError ? e.message : 'internal error in the gateway; see the server log';
    this.d.metrics.recordError(code);
    if (!(e instanceof TokenledgerError))
      process.stderr.write(`gateway: ${(e as Error)?.stack ?? String(e)}\n`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = errorBody(code, message);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    if (code === 'GW_BODY_TOO_LARGE') headers.connection = 'close';
    res.writeHead(status, headers).end(body);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

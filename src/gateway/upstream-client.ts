import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher, errors, util } from 'undici';
import type { GatewayConfig, Upstream } from './config.js';
import { GatewayError } from './errors.js';
import { DispatchedBody, type UpstreamBody } from './upstream-body.js';

export type { UpstreamBody };

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: UpstreamBody;
}

/** Outcome of one upstream attempt as data (STYLE.md §2): the caller decides about fallbacks. */
export type Attempt =
  | { kind: 'response'; response: UpstreamResponse }
  | { kind: 'unreachable'; error: Error; timeout: boolean };

/** The error a caller answers when an upstream did not answer (after any fallbacks). */
export function unreachableError(upstream: Upstream, a: { error: Error; timeout: boolean }): GatewayError {
  return new GatewayError(
    a.timeout ? 'GW_UPSTREAM_TIMEOUT' : 'GW_UPSTREAM_UNREACHABLE',
    `upstream ${upstream.name} did not answer (${a.error.message}); check it is running and its base URL in --upstream or tokenledger.config.yaml`,
    { cause: a.error },
  );
}

/**
 * The error a caller answers when an upstream's answer stopped after its headers: it stalled for `idleMs`
 * (timeouts.idle_ms, 504) or broke off (502).
 */
export function brokenBodyError(upstream: Upstream, e: unknown, idleMs: number): GatewayError {
  return e instanceof errors.BodyTimeoutError
    ? new GatewayError(
        'GW_UPSTREAM_TIMEOUT',
        `upstream ${upstream.name} stopped sending its answer for ${idleMs} ms (timeouts.idle_ms); check the upstream, or raise timeouts.idle_ms in tokenledger.config.yaml`,
        { cause: e },
      )
    : new GatewayError(
        'GW_UPSTREAM_UNREACHABLE',
        `upstream ${upstream.name} broke off its answer (${(e as Error).message}); check it is running`,
        { cause: e },
      );
}

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) and ones we set ourselves: never copied across the proxy. `expect` too: our
 * own server has already answered `100-continue` and read the whole body, and undici refuses a request that carries
 * it (curl sends it for large bodies), which failed such a call as unreachable.
 */
export const HOP_BY_HOP = new Set([
  'expect',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/**
 * Sends requests upstream over kept-alive connections, on undici's dispatch callbacks: measurably less CPU per call
 * than fetch, and than undici's `request()`, which gives every response a body stream (upstream-body.ts). One
 * dispatcher for all upstreams; URLs come only from config.
 */
export class UpstreamClient {
  private readonly agent: Agent;

  constructor(cfg: GatewayConfig) {
    this.agent = new Agent({
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: cfg.timeouts.connect_ms },
      headersTimeout: cfg.timeouts.first_byte_ms,
      bodyTimeout: cfg.timeouts.idle_ms,
    });
  }

  send(
    upstream: Upstream,
    path: string,
    headers: Record<string, string | string[]>,
    body: Buffer | null,
    /** An AbortSignal or an EventEmitter with `aborted` and 'abort' (CallAbort). */
    signal: AbortSignal | EventEmitter,
    method: 'POST' | 'GET' | 'DELETE' = 'POST',
  ): Promise<Attempt> {
    return new Promise((resolve) => {
      // Bad options and a closed agent come back through the call's onError too (undici's dispatch catches them).
      this.agent.dispatch(
        {
          origin: originOf(upstream.base_url),
          path: upstreamPath(upstream.base_url, path),
          method,
          headers,
          body,
        },
        new UpstreamCall(resolve, signal),
      );
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

const origins = new Map<string, [origin: string, path: string, query: URLSearchParams | null]>();
function split(base: string): [string, string, URLSearchParams | null] {
  let v = origins.get(base);
  if (v === undefined) {
    const u = new URL(base);
    v = [u.origin, u.pathname.replace(/\/+$/, ''), u.search === '' ? null : u.searchParams];
    origins.set(base, v);
  }
  return v;
}
function originOf(base: string): string {
  return split(base)[0];
}

/**
 * The request target upstream: the base URL's path, then the request's path, then the query. A base URL may carry
 * a query of its own (an Azure deployment's `?api-version=2024-10-21`); it is kept, and where the request names the
 * same parameter the base URL's value wins, since upstream URLs come from config, never from a request. Without a
 * base query the request's query is passed byte for byte.
 */
export function upstreamPath(base: string, path: string): string {
  const [, basePath, baseQuery] = split(base);
  if (baseQuery === null) return basePath + path;
  const q = path.indexOf('?');
  const own = new URLSearchParams(q < 0 ? '' : path.slice(q + 1));
  for (const name of baseQuery.keys()) own.delete(name);
  const rest = own.toString();
  return `${basePath}${q < 0 ? path : path.slice(0, q)}?${baseQuery.toString()}${rest === '' ? '' : `&${rest}`}`;
}

type Signal = AbortSignal | EventEmitter;

/**
 * One upstream request on undici's dispatch callbacks: resolves with the response at its headers (its body then
 * fed to a DispatchedBody) or with why there was none. The client's signal aborts it at any point.
 */
class UpstreamCall implements Dispatcher.DispatchHandler {
  private abortRequest: ((e: Error) => void) | null = null;
  private reason: Error | null = null;
  private body: DispatchedBody | null = null;
  private readonly onAbort = (): void => {
    this.reason ??= new errors.RequestAbortedError();
    this.abortRequest?.(this.reason);
  };

  constructor(
    private readonly resolve: (a: Attempt) => void,
    private readonly signal: Signal,
  ) {
    if ((signal as { aborted?: boolean }).aborted) this.reason = new errors.RequestAbortedError();
    else if ('addEventListener' in signal) signal.addEventListener('abort', this.onAbort);
    else signal.once('abort', this.onAbort);
  }

  onConnect(abort: (e?: Error) => void): void {
    if (this.reason !== null) abort(this.reason);
    else this.abortRequest = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    // 1xx answers (100 Continue, 103 Early Hints) are not the response.
    if (status < 200) return true;
    const abort = this.abortRequest!;
    this.body = new DispatchedBody(resume, abort);
    const headers = util.parseHeaders(raw) as IncomingHttpHeaders;
    this.resolve({ kind: 'response', response: { status, headers, body: this.body } });
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.body!.push(chunk);
  }

  onComplete(): void {
    this.unlisten();
    this.body!.end();
  }

  onError(error: Error): void {
    this.unlisten();
    if (this.body !== null) {
      this.body.fail(error);
      return;
    }
    const timeout =
      error instanceof errors.HeadersTimeoutError || error instanceof errors.ConnectTimeoutError;
    this.resolve({ kind: 'unreachable', error, timeout });
  }

  private unlisten(): void {
    const s = this.signal;
    if ('removeEventListener' in s) s.removeEventListener('abort', this.onAbort);
    else s.removeListener('abort', this.onAbort);
  }
}

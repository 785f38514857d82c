import type { IncomingMessage } from 'node:http';
import { type RawData, WebSocket } from 'ws';
import type { GatewayConfig, Upstream } from '../config.js';
import { errorBody, socketErrorEvent } from '../errors.js';
import { jsonOrNull, obj, str } from '../providers/provider.js';
import { upstreamPath } from '../upstream-client.js';

/** Why an upstream socket ended with responses open. */
export interface SocketFailure {
  /** The `error_type` each response it ends is recorded with. */
  error: string;
  /** The `error` event the client gets on each lane that had a response open (null: the lane without a stream_id). */
  event(lane: string | null): string;
  /** The HTTP answer a client's handshake gets when its upstream's socket failed before it opened. */
  answer: { status: number; body: string };
  /** The upstream closed its socket: the close the client's socket gets in turn. Else null. */
  closed: { code: number; reason: string } | null;
  /**
   * A failure a fallback (`models.fallbacks`) may get past, as over HTTP: no socket (unreachable, refused with a 429
   * or 5xx) or no answer in time. Not a refusal of the caller (a 401) nor a socket closed once open.
   */
  retryable: boolean;
}

export interface UpstreamEvents {
  /** The socket is open (what was sent before it now goes). */
  open?(): void;
  message(data: Buffer, binary: boolean): void;
  /** The socket is done (its end was not asked for): refused, unreachable, timed out, or closed by the upstream. */
  failed(f: SocketFailure): void;
}

/**
 * Close codes a client may be sent (RFC 6455 §7.4): the upstream's own, passed on; 1005 and 1006 (no code, no close
 * frame) only describe a close, and become 1011.
 */
const SENDABLE = /^(?:100[0-3]|100[7-9]|101[0-4]|[34]\d{3})$/;

/** How much of an upstream's HTTP answer to a handshake is read for its error. */
const REFUSAL_LIMIT = 64 * 1024;

/**
 * The gateway's WebSocket to an upstream's `/responses`, with the responses open on it by lane (`stream_id`, '' for
 * none), oldest first. Messages sent before it opens wait for it. While a response is open, the upstream must answer
 * within `timeouts.first_byte_ms` of a create and send something at least every `timeouts.idle_ms`, as over HTTP.
 */
export class UpstreamSocket<T> {
  private readonly lanes = new Map<string, T[]>();
  private readonly ws: WebSocket;
  private waiting: Buffer[] | null = [];
  private timer: NodeJS.Timeout | null = null;
  private open = 0;
  private ended = false;

  constructor(
    readonly upstream: Upstream,
    /** The path under the upstream's base URL, with the client's query. */
    private readonly path: string,
    headers: Record<string, string | string[]>,
    private readonly timeouts: GatewayConfig['timeouts'],
    private readonly on: UpstreamEvents,
  ) {
    const h: Record<string, string | string[]> = {};
    // The handshake's own headers are the ws client's to make.
    for (const name in headers) if (!name.startsWith('sec-websocket-')) h[name] = headers[name]!;
    this.ws = new WebSocket(socketUrl(upstream.base_url, path), { headers: h });
    this.arm(timeouts.connect_ms, () =>
      this.fail(
        failure(
          upstream,
          'upstream_timeout',
          504,
          'GW_UPSTREAM_TIMEOUT',
          `did not open a WebSocket within ${timeouts.connect_ms} ms (timeouts.connect_ms)`,
        ),
      ),
    );
    this.ws.on('open', () => {
      this.disarm();
      const waiting = this.waiting!;
      this.waiting = null;
      for (const m of waiting) this.ws.send(m, { binary: false });
      if (this.open !== 0) this.armFirstByte();
      this.on.open?.();
    });
    this.ws.on('message', (data: RawData, binary: boolean) => {
      if (this.ended) return;
      this.on.message(data as Buffer, binary);
      if (this.open === 0) this.disarm();
      else this.armIdle();
    });
    this.ws.on('unexpected-response', (req, res) => this.refused(req, res));
    this.ws.on('error', (e: Error) =>
      this.waiting === null
        ? this.brokeOff(1006, `broke off (${e.message})`)
        : this.fail(
            failure(
              upstream,
              'upstream_unreachable',
              502,
              'GW_UPSTREAM_UNREACHABLE',
              `could not be reached (${e.message})`,
            ),
          ),
    );
    this.ws.on('close', (code: number, reason: Buffer) => {
      const why = reason.toString('utf8');
      this.brokeOff(code, `closed the WebSocket (code ${code}${why === '' ? '' : `, ${why}`})`, why);
    });
  }

  /** The socket, once open, ended from the upstream's side: the client's is closed in turn. */
  private brokeOff(code: number, what: string, reason = ''): void {
    this.fail({
      ...failure(this.upstream, 'upstream_stream_broken', 502, 'GW_UPSTREAM_UNREACHABLE', what),
      closed: { code: SENDABLE.test(String(code)) ? code : 1011, reason },
      retryable: false,
    });
  }

  /** A response now open on `lane`, its create about to be sent. */
  start(lane: string, t: T): void {
    const l = this.lanes.get(lane);
    if (l === undefined) this.lanes.set(lane, [t]);
    else l.push(t);
    if (this.open++ === 0 && this.waiting === null) this.armFirstByte();
  }

  /** The oldest response open on `lane`: the one the lane's events are about. */
  head(lane: string): T | undefined {
    return this.lanes.get(lane)?.[0];
  }

  /** The lane's oldest response has ended. */
  finish(lane: string): void {
    const l = this.lanes.get(lane);
    if (l === undefined) return;
    l.shift();
    if (l.length === 0) this.lanes.delete(lane);
    if (--this.open === 0) this.disarm();
  }

  /** The lanes with a response open. */
  openLanes(): string[] {
    return [...this.lanes.keys()];
  }

  /** Every response still open, with its lane, taken off the socket. */
  drain(): [string, T][] {
    const all: [string, T][] = [];
    for (const [lane, l] of this.lanes) for (const t of l) all.push([lane, t]);
    this.lanes.clear();
    this.open = 0;
    return all;
  }

  send(m: Buffer): void {
    if (this.ended) return;
    if (this.waiting !== null) this.waiting.push(m);
    else this.ws.send(m, { binary: false });
  }

  /** Closed by the gateway (its client left). */
  close(): void {
    this.ended = true;
    this.disarm();
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(1000);
  }

  /** The upstream answered the handshake in HTTP: no WebSocket mode there, a key it refused, a rate limit. */
  private refused(req: { destroy(): void }, res: IncomingMessage): void {
    const status = res.statusCode ?? 502;
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < REFUSAL_LIMIT) chunks.push(c);
      size += c.length;
    });
    const done = () => {
      const err = obj(obj(jsonOrNull(Buffer.concat(chunks).toString('utf8')))?.error);
      const retryable = status === 429 || status >= 500;
      this.fail(
        err === null
          ? failure(
              this.upstream,
              `http_${status}`,
              502,
              'GW_UPSTREAM_UNREACHABLE',
              `answered the WebSocket handshake with HTTP ${status}: it may not serve WebSockets at ${this.path.split('?')[0]}`,
              retryable,
            )
          : {
              // Its own error, passed on as an HTTP call's is.
              error: str(err.type) ?? str(err.code) ?? `http_${status}`,
              closed: null,
              retryable,
              answer: { status, body: JSON.stringify({ error: err }) },
              event: (lane) =>
                JSON.stringify({
                  type: 'error',
                  status,
                  error: err,
                  ...(lane === null ? {} : { stream_id: lane }),
                }),
            },
      );
      req.destroy();
    };
    res.on('end', done);
    res.on('error', done);
  }

  private fail(f: SocketFailure): void {
    if (this.ended) return;
    this.ended = true;
    this.disarm();
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    this.on.failed(f);
  }

  private armFirstByte(): void {
    this.arm(this.timeouts.first_byte_ms, () =>
      this.timedOut('did not answer', this.timeouts.first_byte_ms, 'first_byte_ms'),
    );
  }

  private armIdle(): void {
    this.arm(this.timeouts.idle_ms, () => this.timedOut('stopped sending', this.timeouts.idle_ms, 'idle_ms'));
  }

  private timedOut(what: string, ms: number, setting: string): void {
    this.fail(
      failure(
        this.upstream,
        'upstream_timeout',
        504,
        'GW_UPSTREAM_TIMEOUT',
        `${what} for ${ms} ms (timeouts.${setting})`,
      ),
    );
  }

  private arm(ms: number, fire: () => void): void {
    this.disarm();
    this.timer = setTimeout(fire, ms);
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

function failure(
  u: Upstream,
  error: string,
  status: number,
  code: string,
  what: string,
  retryable = true,
): SocketFailure {
  const message = `upstream ${u.name} ${what}; check it is running and its base URL in --upstream or tokenledger.config.yaml`;
  return {
    error,
    event: (lane) => socketErrorEvent(status, code, message, lane),
    answer: { status, body: errorBody('openai', status, code, message) },
    closed: null,
    retryable,
  };
}

/** The upstream's WebSocket URL: its base URL's, in ws: or wss:, and the path and query as an HTTP call's. */
export function socketUrl(base: string, path: string): string {
  const u = new URL(base);
  return `${u.protocol === 'https:' ? 'wss:' : 'ws:'}//${u.host}${upstreamPath(base, path)}`;
}

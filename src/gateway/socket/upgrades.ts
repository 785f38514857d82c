import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { errorAnswer } from '../error-answer.js';
import { errorBody, GatewayError } from '../errors.js';
import type { ForwardDeps } from '../forward.js';
import type { GatewayRoute } from '../routes.js';
import { type RealtimeHandshake, RealtimeSocket, realtimeHandshake } from './realtime-socket.js';
import { ResponsesSocket } from './responses-socket.js';

/** A client's WebSocket session, as the upgrades drive it. */
interface SocketSession {
  take(data: Buffer, binary: boolean): void;
  clientClosed(): void;
  /** The server is stopping: what is open is recorded now. */
  stop(): void;
}

/**
 * The gateway's WebSocket handshakes (the Responses API's WebSocket mode, the Realtime API). The handshake is
 * authenticated as a call is, before the upgrade: an unknown or revoked virtual key, or none where `keys_required`,
 * is answered in HTTP with the JSON error of an HTTP call. A client message larger than `server.body_limit_mb`
 * closes its socket (1009).
 */
export class SocketUpgrades {
  private readonly server: WebSocketServer;
  private readonly clients = new Map<WebSocket, SocketSession>();

  constructor(private readonly d: ForwardDeps) {
    this.server = new WebSocketServer({ noServer: true, maxPayload: d.gateway.config.body_limit_bytes });
  }

  async upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    route: GatewayRoute,
    url: string,
  ): Promise<void> {
    socket.on('error', () => socket.destroy());
    if (route.operation === 'realtime') return this.realtime(req, socket, head, route, url);
    try {
      const key = await this.d.virtualKey(route.provider, req);
      if (key === null && this.d.gateway.config.keys_required)
        throw new GatewayError(
          'GW_KEY_REQUIRED',
          `this gateway needs a tokenledger virtual key (tlk_…) in ${route.provider.keyHeaders[0]}; create one with tokenledger keys create`,
        );
    } catch (e) {
      return this.refuse(socket, e);
    }
    if (socket.destroyed) return;
    this.server.handleUpgrade(req, socket, head, (ws) => {
      const q = url.indexOf('?');
      this.drive(ws, new ResponsesSocket(this.d, route, req, q < 0 ? '' : url.slice(q), ws));
    });
  }

  /**
   * A Realtime handshake: accepted once an upstream's socket is open, so that the upstream's refusal (its key, a
   * rate limit, an unknown model) is the client's handshake answer, status and body, as without the gateway. One
   * that could not be opened (unreachable, a 429 or 5xx) is followed by the next fallback, as an HTTP call is.
   */
  private async realtime(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    route: GatewayRoute,
    url: string,
  ): Promise<void> {
    let h: RealtimeHandshake;
    try {
      h = await realtimeHandshake(this.d, route, req, url);
    } catch (e) {
      return this.refuse(socket, e);
    }
    let s: RealtimeSocket | null = null;
    for (const c of h.candidates) {
      s = new RealtimeSocket(this.d, route, h, c);
      const failed = await s.ready;
      if (failed === null) break;
      if (!failed.retryable || c === h.candidates.at(-1) || socket.destroyed)
        return refuseHandshake(socket, failed.answer.status, failed.answer.body);
    }
    if (s === null) return;
    if (socket.destroyed) return s.clientClosed();
    this.server.handleUpgrade(req, socket, head, (ws) => {
      s.attach(ws);
      this.drive(ws, s);
    });
  }

  /** A handshake the gateway refuses, in HTTP with the JSON error an HTTP call would get. */
  private refuse(socket: Duplex, e: unknown): void {
    const a = errorAnswer(e);
    this.d.gateway.metrics.recordError(a.code);
    refuseHandshake(socket, a.status, errorBody('openai', a.status, a.code, a.message));
  }

  private drive(ws: WebSocket, s: SocketSession): void {
    this.clients.set(ws, s);
    ws.on('message', (data, binary) => s.take(data as Buffer, binary));
    ws.on('close', () => {
      this.clients.delete(ws);
      s.clientClosed();
    });
    // A broken connection: its 'close' follows.
    ws.on('error', () => {});
  }

  /**
   * The server is stopping: open responses are recorded as left (now, while the log takes them, not at the end of
   * the closing handshake), and the sockets closed (1001, going away).
   */
  close(): void {
    for (const [ws, s] of this.clients) {
      s.stop();
      ws.close(1001, 'server shutting down');
      // A client that does not answer the close is cut: its connection would keep the server from closing.
      setTimeout(() => ws.terminate(), 1000).unref();
    }
    this.clients.clear();
  }
}

/** An HTTP answer to a handshake on its raw socket, which then closes. */
export function refuseHandshake(socket: Duplex, status: number, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

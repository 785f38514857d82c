import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from '../gateway/errors.js';
import type { Gateway } from '../gateway/pipeline.js';
import type { ApiType } from '../gateway/providers/provider.js';
import {
  forwardRoute,
  GATEWAY_ROUTES,
  isAnthropicRequest,
  notFoundMessage,
  SOCKET_ROUTES,
  webSocketMessage,
} from '../gateway/routes.js';
import { refuseHandshake } from '../gateway/socket/upgrades.js';

export interface HttpRoutes {
  gateway: Gateway;
  metrics: () => string;
  health: () => Record<string, unknown>;
  /**
   * Further handlers (the HTTP API, the dashboard), tried in order before the 404: each returns true when it took
   * the request. Kept as a list so features plug in without touching the gateway's hot path above.
   */
  handlers?: readonly ((req: IncomingMessage, res: ServerResponse, path: string) => boolean)[];
}

/**
 * The one HTTP server of `tokenledger serve`: /v1/* → the gateway, /healthz, /metrics, then the handlers (the API's
 * /api/*, with its own tokens; the dashboard). Every
 * other path gets a 404 JSON error, so clients never mistake the gateway for an upstream they did not mean.
 */
export function createHttpServer(r: HttpRoutes): Server {
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = GATEWAY_ROUTES.get(path);
    if (route !== undefined && req.method === 'POST') {
      void r.gateway.handle(req, res, route, url);
      return;
    }
    const forward = forwardRoute(req.method ?? '', path, req.headers);
    if (forward !== null) {
      void r.gateway.forward(req, res, forward, url);
      return;
    }
    if (route !== undefined) {
      // RFC 9110 §15.5.6: a 405 names the methods the route takes (GET too where it lists stored objects).
      const allow = forwardRoute('GET', path, req.headers) === null ? 'POST' : 'GET, POST';
      res.setHeader('allow', allow);
      return json(
        res,
        route.provider.type,
        405,
        'GW_METHOD_NOT_ALLOWED',
        `${req.method} ${path}: use ${allow.replace(', ', ' or ')}`,
      );
    }
    if (path === '/healthz' && req.method === 'GET')
      return send(res, 200, 'application/json', JSON.stringify(r.health()));
    if (path === '/metrics' && req.method === 'GET')
      return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', r.metrics());
    for (const h of r.handlers ?? []) if (h(req, res, path)) return;
    req.resume();
    json(
      res,
      isAnthropicRequest(path, req.headers) ? 'anthropic' : 'openai',
      404,
      'GW_NOT_FOUND',
      notFoundMessage(req.method ?? 'GET', path, req.headers),
    );
  });
  // Every handshake comes here, not to the handler above: only the Responses API's has a WebSocket mode.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const socketRoute = SOCKET_ROUTES.get(path);
    if (socketRoute !== undefined && req.method === 'GET')
      return void r.gateway.upgrade(req, socket, head, socketRoute, url);
    socket.on('error', () => socket.destroy());
    const route = GATEWAY_ROUTES.get(path) ?? socketRoute;
    const api = route?.provider.type ?? (isAnthropicRequest(path, req.headers) ? 'anthropic' : 'openai');
    const message =
      route !== undefined ? webSocketMessage(path) : notFoundMessage(req.method ?? 'GET', path, req.headers);
    refuseHandshake(socket, 404, errorBody(api, 404, 'GW_NOT_FOUND', message));
  });
  // Streams may stay open for minutes; the gateway's own timeouts bound upstream waits.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  return server;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}

function json(res: ServerResponse, api: ApiType, status: number, code: string, message: string): void {
  send(res, status, 'application/json', errorBody(api, status, code, message));
}

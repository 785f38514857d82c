import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { BudgetBook } from '../../budgets/book/budget-book.js';
import { TokenledgerError } from '../../errors.js';
import { bearerToken } from '../../http/bearer.js';
import { drainedOrClosed } from '../../http/drained.js';
import { readBody } from '../../http/read-body.js';
import { SESSION_COOKIE } from '../../http/session-cookie.js';
import type { Pricer } from '../../pricing/pricer.js';
import type { RoiSource } from '../../roi/roi-report.js';
import type { Store } from '../../store/store.js';
import { problemOf } from '../../zod-problem.js';
import type { LedgerRecords } from '../ledger-records.js';
import { ApiError, badParam } from './api-error.js';
import { Auth, SESSION_TTL_MS } from './auth.js';
import { blocksEndpoint } from './blocks.js';
import { breakdownEndpoint, timeseriesEndpoint } from './breakdown.js';
import {
  alertsEndpoint,
  budgetEndpoint,
  budgetsEndpoint,
  createBudgetEndpoint,
  deleteBudgetEndpoint,
  updateBudgetEndpoint,
} from './budgets.js';
import { cacheEndpoint } from './cache.js';
import { crossOriginChange } from './cross-origin.js';
import { type ApiContext, type Endpoint, FileReply, type Receivers } from './endpoint.js';
import { eventContentEndpoint, eventEndpoint, eventsEndpoint } from './events.js';
import { focusEndpoint, focusMetadataEndpoint } from './focus.js';
import { dimensionsEndpoint, importsEndpoint, keysEndpoint, meEndpoint, receiversEndpoint } from './info.js';
import { anomaliesEndpoint, runawaysEndpoint } from './insight.js';
import { LEDGER_CALL_ENDPOINTS } from './ledger-calls.js';
import { metricsEndpoint } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { parseParams, readQuery } from './params.js';
import { roiEndpoint } from './roi.js';
import { routingSavingsEndpoint } from './routing.js';
import { sessionsEndpoint } from './sessions.js';
import { summaryEndpoint } from './summary.js';

const ENDPOINTS: readonly Endpoint[] = [
  summaryEndpoint,
  breakdownEndpoint,
  timeseriesEndpoint,
  metricsEndpoint,
  roiEndpoint,
  routingSavingsEndpoint,
  cacheEndpoint,
  eventsEndpoint,
  eventEndpoint,
  eventContentEndpoint,
  focusEndpoint,
  focusMetadataEndpoint,
  sessionsEndpoint,
  budgetsEndpoint,
  budgetEndpoint,
  createBudgetEndpoint,
  updateBudgetEndpoint,
  deleteBudgetEndpoint,
  alertsEndpoint,
  runawaysEndpoint,
  blocksEndpoint,
  anomaliesEndpoint,
  keysEndpoint,
  importsEndpoint,
  dimensionsEndpoint,
  receiversEndpoint,
  meEndpoint,
  ...LEDGER_CALL_ENDPOINTS,
];

export interface ApiOptions {
  store: Store;
  ledgerPath: string;
  /** The ledger's keys, API tokens and budgets. */
  records: LedgerRecords;
  /** The server's admin token (also in `<ledger>.server.json`). */
  adminToken: string;
  /** The budgets the gateway enforces; by default the ledger's own (records.budgets) alone. */
  budgets?: BudgetBook;
  pricer?: Pricer;
  /** Reads the price overrides again if they changed (ApiContext.refreshPrices). */
  refreshPrices?: () => Promise<unknown>;
  /** The OTLP receivers' ports, read when asked (serve starts them after the API); none by default. */
  receivers?: () => Receivers;
  /** Each router's strongest model, for GET /api/routing/savings; none by default. */
  strongest?: ReadonlyMap<string, string>;
  /** What GET /api/roi reads (the config's `roi:`); without it the route says how to set it. */
  roi?: RoiSource | null;
  /** Epoch µs; tests pin it. */
  now?: () => number;
  log?: (line: string) => void;
}

export interface Api {
  /** A `handlers` entry of http-server.ts: takes every /api/* request. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /**
   * A one-time login link for the dashboard (admin, valid 15 minutes, one use): what `npm start` prints.
   * @example out(`Dashboard: ${api.loginLink(running.url)}\n`)
   */
  loginLink(baseUrl: string): string;
  readonly auth: Auth;
}

interface Route {
  e: Endpoint;
  re: RegExp;
  names: string[];
}

function compile(e: Endpoint): Route {
  const names: string[] = [];
  const re = new RegExp(
    `^${e.path.replace(/\{(\w+)\}/g, (_m, n: string) => {
      names.push(n);
      return '([^/]+)';
    })}$`,
  );
  return { e, re, names };
}

/** The HTTP API under /api: auth, team scope, validation, JSON or CSV out; errors become status + code in one place. */
export function createApi(o: ApiOptions): Api {
  const auth = new Auth(o.adminToken, o.records.tokens);
  const ctx: ApiContext = {
    store: o.store,
    ledgerPath: o.ledgerPath,
    records: o.records,
    now: o.now ?? (() => Date.now() * 1000),
    budgets: o.budgets ?? new BudgetBook(o.records),
    pricer: o.pricer ?? null,
    ...(o.refreshPrices ? { refreshPrices: o.refreshPrices } : {}),
    ...(o.receivers ? { receivers: o.receivers } : {}),
    roi: o.roi ?? null,
    ...(o.strongest ? { strongest: o.strongest } : {}),
  };
  const routes = ENDPOINTS.map(compile);
  let openapi: string | null = null;

  async function serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (path === '/api/openapi.json') {
      req.resume();
      openapi ??= JSON.stringify(openApiDocument(ENDPOINTS, '0.1.0'));
      return send(res, 200, 'application/json', openapi);
    }
    // The session cookie is a browser's credential, sent whoever's page makes the request: a change it carries is
    // taken only from the dashboard's own origin. A bearer token is sent by code that holds it, so it is not checked.
    if (bearerToken(req.headers.authorization) === null && crossOriginChange(req))
      throw new ApiError(
        'API_FORBIDDEN',
        `${req.method} ${path} from origin ${req.headers.origin}: a signed-in dashboard takes changes only from its own origin; other clients send "Authorization: Bearer <token>"`,
      );
    if (path === '/api/login' && req.method === 'GET') {
      req.resume();
      const sid = auth.redeemLogin(url.searchParams.get('token') ?? '');
      if (sid === null)
        throw new ApiError(
          'API_UNAUTHORIZED',
          'this login link was used or has expired; run `npm start` again or sign in with a token',
        );
      res
        .writeHead(302, { location: '/', 'set-cookie': cookie(req, sid), 'cache-control': 'no-store' })
        .end();
      return;
    }
    if (path === '/api/session' && req.method === 'POST') {
      req.resume();
      // Exchanges a bearer token for a browser session cookie (the dashboard's sign-in form).
      const who = await auth.authenticate(req);
      if (who === null) throw new ApiError('API_UNAUTHORIZED', 'unknown or revoked token');
      res
        .writeHead(204, { 'set-cookie': cookie(req, auth.sessionFor(who)), 'cache-control': 'no-store' })
        .end();
      return;
    }
    if (path === '/api/logout' && req.method === 'POST') {
      req.resume();
      auth.logout(req);
      res.writeHead(204, { 'set-cookie': cookie(req, '', 0) }).end();
      return;
    }
    const matching = routes.flatMap((r) => {
      const m = r.re.exec(path);
      return m === null ? [] : [{ r, m }];
    });
    if (matching.length > 0) {
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const hit = matching.find(({ r }) => r.e.method === method);
      if (hit === undefined) {
        const methods = matching.map(({ r }) => r.e.method);
        // RFC 9110 §15.5.6: a 405 names the methods the route takes, as the gateway's do (http-server.ts).
        res.setHeader('allow', methods.join(', '));
        throw new ApiError('API_METHOD_NOT_ALLOWED', `${req.method} ${path}: use ${methods.join(' or ')}`);
      }
      const { r, m } = hit;
      const who = await auth.authenticate(req);
      if (who === null)
        throw new ApiError(
          'API_UNAUTHORIZED',
          `${path} needs "Authorization: Bearer <token>" (the admin token from <ledger>.server.json, or one from \`tokenledger tokens create\`) or a dashboard login`,
        );
      if (r.e.admin && who.role !== 'admin')
        throw new ApiError('API_FORBIDDEN', `${req.method} ${path} is for admin tokens only`);
      if (r.e.serverOnly !== undefined && who.id !== 'server')
        throw new ApiError('API_FORBIDDEN', r.e.serverOnly);
      const pathParams = Object.fromEntries(r.names.map((n, i) => [n, decodePart(n, m[i + 1]!)]));
      const params = parseParams(r.e.params, readQuery(url.searchParams));
      if (r.e.body === undefined) req.resume();
      const body =
        r.e.body === undefined
          ? undefined
          : parseBody(r.e.body, await readJson(req, r.e.bodyLimit ?? BODY_LIMIT));
      const reply = await r.e.handle(ctx, params, who, pathParams, body);
      if (reply instanceof FileReply) {
        const disposition: Record<string, string> = {
          ...reply.headers,
          ...(reply.filename ? { 'content-disposition': `attachment; filename="${reply.filename}"` } : {}),
        };
        if (typeof reply.body === 'string') return send(res, 200, reply.type, reply.body, disposition);
        return sendPieces(res, reply.type, reply.body, disposition);
      }
      return send(res, 200, 'application/json', JSON.stringify(reply));
    }
    throw new ApiError(
      'API_NOT_FOUND',
      `no API route ${req.method} ${path}; the routes are listed in /api/openapi.json`,
    );
  }

  return {
    auth,
    loginLink: (baseUrl) => `${baseUrl}/api/login?token=${auth.mintLogin()}`,
    handle(req, res, path) {
      if (path !== '/api' && !path.startsWith('/api/')) return false;
      serve(req, res, path).catch((e: unknown) => {
        req.resume();
        if (e instanceof ApiError) return sendError(res, e.status, e.code, e.message);
        if (e instanceof TokenledgerError && e.code === 'STORE_BAD_QUERY')
          return sendError(res, 400, 'API_BAD_PARAM', e.message);
        // A range the ledger keeps only as daily sums: the asker's to change, as the message says how.
        if (e instanceof TokenledgerError && e.code === 'STORE_RAW_RETIRED')
          return sendError(res, 400, e.code, e.message);
        o.log?.(`api error on ${req.method} ${path}: ${(e as Error)?.stack ?? String(e)}`);
        // One of ours keeps its code: a command run through the server fails as it does on the file (an export to a
        // folder that does not exist is STORE_EXPORT_FAILED either way), and the code is what docs/errors.md explains.
        if (e instanceof TokenledgerError) return sendError(res, 500, e.code, e.message);
        sendError(res, 500, 'API_INTERNAL', `${(e as Error)?.message ?? String(e)}; see the server log`);
      });
      return true;
    },
  };
}

const BODY_LIMIT = 64 * 1024;

/** A JSON request body: over `limit` bytes or not JSON is a 400 that says so. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(
    req,
    limit,
    () => new ApiError('API_BAD_PARAM', `request body: larger than ${limit} bytes`),
  );
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError('API_BAD_PARAM', `request body: not JSON (${(e as Error).message})`);
  }
}

function parseBody(schema: z.ZodType, value: unknown): unknown {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) =>
    i.path.length === 0 ? problemOf(schema, i) : `${i.path.join('.')}: ${problemOf(schema, i)}`,
  );
  throw new ApiError('API_BAD_PARAM', `request body: ${problems.join('; ')}`);
}

function decodePart(name: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badParam(name, 'malformed %-escape in the path');
  }
}

/**
 * The session cookie, Secure when the browser reached us over https: directly over TLS, or through a proxy that
 * ends TLS and says so in X-Forwarded-Proto. Without it the browser would also send the session over plain http to
 * the same host. A client that claims https falsely only gets a stricter cookie; plain http on this machine
 * (`npm start`) gets one without, which a browser would otherwise refuse to keep.
 */
function cookie(req: IncomingMessage, sid: string, maxAge = SESSION_TTL_MS / 1000): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]!
    .trim()
    .toLowerCase();
  const https = (req.socket as { encrypted?: boolean }).encrypted === true || proto === 'https';
  return `${SESSION_COOKIE}=${sid}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${https ? '; Secure' : ''}`;
}

/**
 * A 200 written piece by piece as `body` yields, waiting while the client reads behind. An error before the first
 * piece is an ordinary error answer; after it, the status is sent, so the response is cut off (the download fails
 * rather than ending as a whole file) and the error goes on to be logged. A client that leaves stops the reading.
 */
async function sendPieces(
  res: ServerResponse,
  type: string,
  body: AsyncIterable<string | Uint8Array>,
  extra: Record<string, string>,
): Promise<void> {
  const pieces = body[Symbol.asyncIterator]();
  let next = await pieces.next();
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...extra });
  try {
    for (; !next.done; next = await pieces.next()) {
      if (!res.write(next.value)) await drainedOrClosed(res);
      if (res.destroyed) {
        await pieces.return?.();
        return;
      }
    }
    res.end();
  } catch (e) {
    res.destroy();
    throw e;
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res
    .writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...extra,
    })
    .end(body);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  send(
    res,
    status,
    'application/json',
    JSON.stringify({ error: { type: 'tokenledger_error', code, message } }),
  );
}

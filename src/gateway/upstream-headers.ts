import { type IncomingHttpHeaders, type OutgoingHttpHeaders, validateHeaderValue } from 'node:http';
import { withoutSessionCookie } from '../http/session-cookie.js';
import type { Upstream } from './config.js';
import { GatewayError } from './errors.js';
import type { Provider } from './providers/provider.js';
import { HOP_BY_HOP } from './upstream-client.js';

/**
 * The caller's headers as sent upstream: hop-by-hop, x-tokenledger-* and the dashboard's session cookie removed; with a virtual key, the caller's
 * key headers replaced by the provider key from the upstream's environment variable. `accept-encoding: identity`
 * because usage must be read from the body (the client still gets the same decoded content); no `content-encoding`,
 * as a body the client compressed is sent decoded.
 */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  provider: Provider,
  upstream: Upstream,
  virtualKey: boolean,
  env: NodeJS.ProcessEnv,
): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  const hop = connectionNamed(incoming);
  for (const name in incoming) {
    const v = incoming[name];
    // The body goes upstream as the gateway read it: decoded (request-encoding.ts).
    if (v === undefined || stopsHere(name, hop) || name === 'content-encoding') continue;
    h[name] = v;
  }
  if (typeof h.cookie === 'string') {
    const cookie = withoutSessionCookie(h.cookie);
    if (cookie === null) delete h.cookie;
    else h.cookie = cookie;
  }
  h['accept-encoding'] = 'identity';
  if (virtualKey) {
    for (const k of provider.keyHeaders) delete h[k];
    const key = upstream.key_env === null ? undefined : env[upstream.key_env];
    if (key === undefined || key === '')
      throw new GatewayError(
        'GW_PROVIDER_KEY_MISSING',
        upstream.key_env === null
          ? `upstream ${upstream.name} has no key_env in tokenledger.config.yaml, so virtual keys cannot be used with it`
          : `the environment variable ${upstream.key_env} (provider key for upstream ${upstream.name}) is not set; set it and restart tokenledger serve`,
      );
    Object.assign(h, upstream.api_key_header ? { 'api-key': key } : provider.authHeaders(key));
  }
  return h;
}

/**
 * A header that does not cross the proxy, either way: hop-by-hop ones, those the message's `Connection` names
 * (`hop`), and x-tokenledger-*. Those are a caller's instructions to this gateway on the way in; on the way out, an
 * upstream that is itself a tokenledger gateway (a team's in front of the company's) sends its own event id, cost
 * and downgrade, which describe its ledger, not this one, and would pass for this gateway's where it sets none (a
 * streamed answer has no cost header; an unpriced one neither).
 */
function stopsHere(name: string, hop: Set<string> | undefined): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('x-tokenledger-') || hop?.has(name) === true;
}

/** The upstream's response headers as sent to the client, plus ours. */
export function clientHeaders(
  upstream: IncomingHttpHeaders,
  extra: OutgoingHttpHeaders,
): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {};
  const hop = connectionNamed(upstream);
  for (const name in upstream) {
    const v = upstream[name];
    if (v !== undefined && !stopsHere(name, hop)) h[name] = v;
  }
  return Object.assign(h, extra);
}

/**
 * clientHeaders as one flat `[name, value, name, value…]` list, for `res.writeHead(status, list)`: given a list, Node
 * writes each header as it is, where an object has every name and value checked again (two regular expressions per
 * header, µs a response). Every value here is already safe: the upstream's came through undici's HTTP parser, which
 * refuses control characters, `ours` are the gateway's own (ids, decimals), and of the budget headers only the
 * x-ratelimit-* numbers skip the check (x-tokenledger-downgraded names a model the request chose).
 */
export function clientHeaderList(
  upstream: IncomingHttpHeaders,
  ours: readonly string[],
  budget: Readonly<Record<string, string>> | undefined,
): (string | string[])[] {
  const list: (string | string[])[] = [];
  const hop = connectionNamed(upstream);
  for (const name in upstream) {
    const v = upstream[name];
    // Ours replace the upstream's (content-length of the body as sent, x-ratelimit-* of the gateway's limits).
    if (
      v === undefined ||
      stopsHere(name, hop) ||
      named(ours, name) ||
      (budget !== undefined && name in budget)
    )
      continue;
    list.push(name, v);
  }
  for (let i = 0; i < ours.length; i++) list.push(ours[i]!);
  if (budget !== undefined)
    for (const name in budget) {
      const v = budget[name]!;
      if (!name.startsWith('x-ratelimit-')) validateHeaderValue(name, v);
      list.push(name, v);
    }
  return list;
}

/**
 * The headers a message's `Connection` names, which are hop-by-hop too (RFC 9110 §7.6.1: a proxy removes them);
 * undefined when it names none beyond close and keep-alive, as nearly every message does.
 */
function connectionNamed(headers: IncomingHttpHeaders): Set<string> | undefined {
  const c = headers.connection;
  if (c === undefined) return undefined;
  let named: Set<string> | undefined;
  for (const token of (Array.isArray(c) ? c.join(',') : c).split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    named ??= new Set();
    named.add(name);
  }
  return named;
}

function named(list: readonly string[], name: string): boolean {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return true;
  return false;
}

/**
 * The service tier that served the call when the upstream names it in a response header instead of the body: Gemini's
 * `x-gemini-service-tier` (`standard` when a priority request was downgraded for lack of priority capacity,
 * https://ai.google.dev/gemini-api/docs/priority-inference) and Bedrock's `x-amzn-bedrock-service-tier`
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html). Two lookups in the parsed
 * header object, once per call.
 */
export function servedTierHeader(upstream: IncomingHttpHeaders): string | null {
  const v = upstream['x-gemini-service-tier'] ?? upstream['x-amzn-bedrock-service-tier'];
  return typeof v === 'string' && v !== '' ? v : null;
}

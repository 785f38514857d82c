import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import {
  type Attribution,
  emptyAttribution,
  GATEWAY_CACHE_TAG,
  GATEWAY_UPSTREAM_TAG,
  PRICING_TAGS,
} from '../ledger/event.js';
import { setOwn } from '../ledger/own-key.js';
import { GatewayError } from './errors.js';
import type { VirtualKeyRecord } from './keys/virtual-key.js';
import { obj } from './providers/provider.js';

/**
 * Tags that state facts of the call, which the gateway sets: those pricing reads, the response cache's (a hit named
 * by a caller would be counted as one in what the cache saved) and the upstream a balanced call went to.
 */
const CALL_TAGS: ReadonlySet<string> = new Set([...PRICING_TAGS, GATEWAY_CACHE_TAG, GATEWAY_UPSTREAM_TAG]);

const HEADER_FIELDS = [
  ['x-tokenledger-org', 'org'],
  ['x-tokenledger-team', 'team'],
  ['x-tokenledger-user', 'user'],
  ['x-tokenledger-project', 'project'],
  ['x-tokenledger-agent', 'agent'],
  ['x-tokenledger-session', 'session_id'],
  ['x-tokenledger-task', 'task_id'],
  ['x-tokenledger-environment', 'environment'],
] as const;

const MAX_VALUE = 256;
const MAX_METADATA_TAGS = 16;
const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * Who a call is charged to. A virtual key fixes its own fields: a header may repeat them but not change them (403),
 * so a key handed to a team cannot book spend on another. Headers fill the fields the key leaves open; OpenAI's
 * `user` and Anthropic's `metadata.user_id` fill `user` last; OpenAI's `metadata` strings become tags unless a
 * `x-tokenledger-tags` header already set that tag. Pure.
 */
export function attribute(
  key: VirtualKeyRecord | null,
  headers: IncomingHttpHeaders,
  body: Record<string, unknown>,
  rawHeaders: readonly string[] = [],
): Attribution {
  const a = emptyAttribution();
  if (key !== null) {
    a.org = key.org;
    a.team = key.team;
    a.user = key.user;
    a.project = key.project;
    a.agent = key.agent;
    a.api_key_id = key.id;
  }
  for (const [header, field] of HEADER_FIELDS) {
    const v = headerValue(headers, header, rawHeaders);
    if (v === null) continue;
    const fixed = a[field];
    if (key !== null && fixed !== null && fixed !== v)
      throw new GatewayError(
        'GW_ATTRIBUTION_CONFLICT',
        `${header}: the virtual key ${key.id} is bound to ${field} ${JSON.stringify(fixed)}, the header says ${JSON.stringify(v)}; drop the header or use a key for that ${field}`,
      );
    a[field] = v;
  }
  const tags = headerValue(headers, 'x-tokenledger-tags');
  if (tags !== null) a.tags = parseTags(tags);
  const metadata = obj(body.metadata);
  if (a.user === null) {
    const user = typeof body.user === 'string' ? body.user : metadata?.user_id;
    if (typeof user === 'string' && user !== '') a.user = user.slice(0, MAX_VALUE);
  }
  if (metadata !== null) {
    // A metadata key pricing reads is the app's own data for the provider, not a fact of the call: not a tag. At
    // most OpenAI's own 16 pairs, keys up to 64 characters: an upstream that ignores `metadata` (vLLM, Ollama) would
    // otherwise let one call put thousands of tags on its event, each stored and grouped on.
    let taken = 0;
    for (const [k, v] of Object.entries(metadata)) {
      if (taken === MAX_METADATA_TAGS) break;
      if (
        typeof v !== 'string' ||
        k === 'user_id' ||
        k.length > 64 ||
        Object.hasOwn(a.tags, k) ||
        CALL_TAGS.has(k)
      )
        continue;
      setOwn(a.tags, k, v.slice(0, MAX_VALUE));
      taken++;
    }
  }
  return a;
}

/**
 * Node reads header bytes as latin1, so `x-tokenledger-team: équipe` sent as UTF-8 (as curl and most HTTP clients
 * send it) arrives as "Ã©quipe". Bytes that are valid UTF-8 are read as UTF-8; others (a latin1 "é" as fetch sends
 * it) stay as they are. ASCII, the common case, is one regular expression test.
 */
function headerValue(
  headers: IncomingHttpHeaders,
  name: string,
  rawHeaders: readonly string[] = [],
): string | null {
  const raw = headers[name];
  let v = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (v === undefined || v === '') return null;
  // Node joins a repeated header's values with ", ": two different teams would be booked as one called "a, b".
  if (v.includes(',')) v = onceSent(name, v, rawHeaders);
  if (NON_ASCII.test(v)) {
    const bytes = Buffer.from(v, 'latin1');
    if (isUtf8(bytes)) v = bytes.toString('utf8');
  }
  if (v.length > MAX_VALUE)
    throw new GatewayError('GW_BAD_ATTRIBUTION', `${name}: longer than ${MAX_VALUE} characters; shorten it`);
  return v;
}

/**
 * `joined`, or the one value behind it when `name` was sent several times with the same value; GW_BAD_ATTRIBUTION
 * when it was sent with different ones (rawHeaders: name, value, name, value, …).
 */
function onceSent(name: string, joined: string, rawHeaders: readonly string[]): string {
  const values = new Set<string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.toLowerCase() === name) values.add(rawHeaders[i + 1]!.trim());
  if (values.size > 1)
    throw new GatewayError(
      'GW_BAD_ATTRIBUTION',
      `${name}: sent ${values.size} times with different values (${[...values].map((x) => JSON.stringify(x)).join(', ')}); send it once`,
    );
  return values.size === 1 ? [...values][0]! : joined;
}

/** `k=v,k2=v2` to a tag map. */
function parseTags(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const k = part.slice(0, eq).trim();
    if (eq <= 0 || k === '')
      throw new GatewayError(
        'GW_BAD_ATTRIBUTION',
        `x-tokenledger-tags: ${JSON.stringify(part)} is not KEY=VALUE; expected a list like "app=web,env=prod"`,
      );
    if (CALL_TAGS.has(k))
      throw new GatewayError(
        'GW_BAD_ATTRIBUTION',
        `x-tokenledger-tags: ${JSON.stringify(k)} is a tag tokenledger sets from the call itself, so a header cannot set it; give your tag another name`,
      );
    setOwn(tags, k, part.slice(eq + 1).trim());
  }
  return tags;
}

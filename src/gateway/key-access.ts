import type { IncomingHttpHeaders } from 'node:http';
import type { Upstream } from './config.js';
import { GatewayError } from './errors.js';
import type { VirtualKeyRecord } from './keys/virtual-key.js';
import { modelGlob } from './model-glob.js';
import type { Provider } from './providers/provider.js';
import type { Candidate } from './select-upstream.js';

/**
 * The candidates a caller without a virtual key may be sent to: none on an upstream that requires one
 * (`require_virtual_key`), and when it sent a provider key of its own, none but `own`, the upstream its request
 * names: that key is the caller's for that provider, and a fallback or a downgrade configured here must not hand it
 * to another (an OpenAI key to OpenRouter). A virtual key is exchanged for each upstream's own. GW_KEY_REQUIRED
 * when that leaves none (a downgrade to such an upstream).
 */
export function withoutGated(list: Candidate[], provider: Provider, own: Upstream | null): Candidate[] {
  const open = list.filter((c) => !c.upstream.require_virtual_key && (own === null || c.upstream === own));
  if (open.length !== 0) return open;
  const c = list[0]!;
  if (c.upstream.require_virtual_key || own === null) throw keyRequired(provider, c);
  throw new GatewayError(
    'GW_KEY_REQUIRED',
    `this call would go to upstream ${c.upstream.name} (a downgrade of ${own.name}), and a provider key of your own is only sent to the upstream your request names; use a tokenledger virtual key (tlk_…), exchanged for each upstream's key: tokenledger keys create`,
  );
}

/**
 * The candidates filter for one caller (withoutGated): none when it has a virtual key; else, when it sent a provider
 * key of its own, that key goes only to `routed`, the upstream its request names.
 */
export function reachableFor(
  key: VirtualKeyRecord | null,
  provider: Provider,
  headers: IncomingHttpHeaders,
  routed: Upstream,
): (list: Candidate[]) => Candidate[] {
  if (key !== null) return (list) => list;
  const own = provider.callerKey(headers) !== null ? routed : null;
  return (list) => withoutGated(list, provider, own);
}

export function keyRequired(provider: Provider, c: Candidate): GatewayError {
  return new GatewayError(
    'GW_KEY_REQUIRED',
    `upstream ${c.upstream.name} needs a tokenledger virtual key (tlk_…) in ${provider.keyHeaders[0]}; create one with tokenledger keys create`,
  );
}

/** GW_KEY_EXPIRED once `key`'s `--expires` time has come (`now`, epoch ms). */
export function checkNotExpired(key: VirtualKeyRecord, now = Date.now()): void {
  if (key.expires_at === undefined || Date.parse(key.expires_at) > now) return;
  throw new GatewayError(
    'GW_KEY_EXPIRED',
    `virtual key ${key.id} expired at ${key.expires_at}; ask for a new one, or extend it: tokenledger keys update ${key.id} --expires 30d`,
  );
}

/**
 * GW_MODEL_NOT_ALLOWED unless `key` may ask for `model`, the name the request gives (before aliases, routers,
 * balancing, fallbacks and downgrades, which are the config's to choose): a key made with `--models`.
 */
export function checkModelAllowed(key: VirtualKeyRecord | null, model: string): void {
  if (key?.models === undefined || key.models.some((g) => globOf(g).test(model))) return;
  throw new GatewayError(
    'GW_MODEL_NOT_ALLOWED',
    `virtual key ${key.id} may call ${key.models.join(', ')}, not ${JSON.stringify(model)}; ask for one of those, or change the key: tokenledger keys update ${key.id} --models LIST`,
  );
}

/** Each key glob compiled once: checked on every call of a key that has them. Globs come from key records only. */
const compiled = new Map<string, RegExp>();
function globOf(glob: string): RegExp {
  const re = compiled.get(glob) ?? modelGlob(glob);
  compiled.set(glob, re);
  return re;
}

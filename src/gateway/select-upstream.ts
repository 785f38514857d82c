import type { Balancer } from './balance.js';
import type { GatewayConfig, Upstream } from './config.js';
import { GatewayError } from './errors.js';
import type { ApiType } from './providers/provider.js';

export interface Candidate {
  upstream: Upstream;
  /** The model name to send upstream. */
  model: string;
  /** A target of a balanced model (`models.balance`): which, so that one that refuses the call can rest. */
  balanced?: { model: string; target: string };
}

/**
 * Where a request for `model` goes, and where it falls back to (config `models.fallbacks`, tried in order on 429,
 * 5xx or a connection error). With `balancer`, a balanced model (`models.balance`) goes to the target whose turn it
 * is, then to its other targets, then to its fallbacks. Upstreams come only from flags and config, never from the
 * request: a model may name a configured upstream (`local-vllm/llama-3.1-8b`) but never a URL. Pure but for the
 * balancer's turn.
 */
export function candidates(
  cfg: GatewayConfig,
  type: ApiType,
  model: string,
  balancer: Balancer | null = null,
): Candidate[] {
  const out: Candidate[] = [];
  // A target or a fallback of another wire format cannot take this request's body.
  const add = (c: Candidate | null) => {
    if (c !== null && !out.some((o) => o.upstream === c.upstream && o.model === c.model)) out.push(c);
  };
  const group = balancer?.next(model) ?? null;
  if (group === null) add(resolve(cfg, type, model));
  else for (const target of group) add(withTarget(resolve(cfg, type, target), { model, target }));
  const first = out[0];
  if (first === undefined)
    throw new GatewayError(
      'GW_UNKNOWN_UPSTREAM',
      `no ${type} upstream is configured for model ${JSON.stringify(model)}; add one under upstreams in tokenledger.config.yaml or pass --upstream ${type}=BASE_URL`,
    );
  for (const next of cfg.fallbacks[model] ?? cfg.fallbacks[first.model] ?? []) add(resolve(cfg, type, next));
  return out;
}

const withTarget = (c: Candidate | null, balanced: Candidate['balanced']) =>
  c === null ? null : { ...c, balanced };

/**
 * An upstream's `models` globs are matched against the whole name first: OpenRouter's and Together's ids are
 * `vendor/model` (`openai/gpt-4o`, `anthropic/claude-sonnet-4.5`), and a vendor that happens to be the name of an
 * upstream (the built-in `openai` and `anthropic`) must not take the call away from the upstream the user said
 * serves it. Only then does a prefix naming an upstream route (`local-vllm/llama-3.1-8b`), and only to an upstream
 * of this wire format: a prefix naming one of another format is part of the model's name.
 */
function resolve(cfg: GatewayConfig, type: ApiType, requested: string): Candidate | null {
  const model = cfg.aliases[requested] ?? requested;
  for (const u of cfg.upstreams.values())
    if (u.type === type && u.models.some((re) => re.test(model))) return { upstream: u, model };
  const slash = model.indexOf('/');
  if (slash > 0) {
    const named = cfg.upstreams.get(model.slice(0, slash));
    if (named !== undefined && named.type === type) return { upstream: named, model: model.slice(slash + 1) };
  }
  const byType = cfg.upstreams.get(type);
  if (byType !== undefined && byType.type === type) return { upstream: byType, model };
  for (const u of cfg.upstreams.values()) if (u.type === type) return { upstream: u, model };
  return null;
}

/**
 * The upstream for a call that names no model (a model list, a moderation without `model`): the one named like the
 * API type (`openai`, `anthropic`), else the first of that type.
 */
export function defaultUpstream(cfg: GatewayConfig, type: ApiType): Upstream {
  const byType = cfg.upstreams.get(type);
  if (byType !== undefined && byType.type === type) return byType;
  for (const u of cfg.upstreams.values()) if (u.type === type) return u;
  throw new GatewayError(
    'GW_UNKNOWN_UPSTREAM',
    `no ${type} upstream is configured; add one under upstreams in tokenledger.config.yaml or pass --upstream ${type}=BASE_URL`,
  );
}

import type { AlertSink } from '../budgets/alerts/alert.js';
import type { Budget } from '../budgets/budget.js';
import type { Counters } from '../budgets/counters/counters.js';
import {
  type CountersHealth,
  createGuardedCounters,
  renderCountersMetrics,
} from '../budgets/counters/guarded.js';
import { MemoryCounters } from '../budgets/counters/memory.js';
import { Enforcer } from '../budgets/enforcer.js';
import { countPromptTokens } from '../budgets/prompt-tokens.js';
import { TokenledgerError } from '../errors.js';
import type { Pricer } from '../pricing/pricer.js';
import type { GatewayConfig } from './config.js';

export interface GatewayEnforcer {
  enforcer: Enforcer;
  counters: Counters;
  /** Lines for /metrics ('' with in-process counters, which cannot go down). */
  metrics(): string;
}

/**
 * The enforcer `serve` runs with: the config's counters (in-process, or Redis guarded by `on_unavailable`), the
 * budgets it is given (the budget book) or else the config file's, and the config's rate limits.
 */
export async function createGatewayEnforcer(o: {
  config: GatewayConfig;
  pricer: Pricer;
  env: NodeJS.ProcessEnv;
  budgets?: (() => readonly Budget[]) | undefined;
  alerts?: AlertSink | null | undefined;
  log: (line: string) => void;
  /** Redis came back after an outage (it may have restarted empty, or missed fail-open spend): rebuild it. */
  onRecover?: (direct: Counters) => Promise<void>;
}): Promise<GatewayEnforcer> {
  const c = o.config.counters;
  let counters: Counters;
  let health: CountersHealth | null = null;
  if (c.store === 'redis') {
    const url = o.env[c.redis_url_env];
    if (url === undefined || url === '')
      throw new TokenledgerError(
        'CFG_INVALID',
        `counters.store is redis but the environment variable ${c.redis_url_env} (counters.redis_url_env) is not set; set it to redis://HOST:PORT`,
      );
    // ioredis (~8 MB of RSS) is loaded only when Redis counters are configured.
    const { createRedisCounters } = await import('../budgets/counters/redis.js');
    const redis = createRedisCounters({ url, commandTimeoutMs: c.timeout_ms });
    // Commands never queue while disconnected (a budget check must not wait on a reconnect), so connect first.
    await redis
      .ready()
      .catch((e: Error) =>
        o.log(`budgets: WARNING: ${e.message}; on_unavailable=${c.on_unavailable} applies`),
      );
    const guarded = createGuardedCounters(redis, {
      policy: c.on_unavailable,
      alerts: o.alerts ?? null,
      log: o.log,
      ...(o.onRecover ? { onRecover: o.onRecover } : {}),
    });
    counters = guarded;
    health = guarded;
  } else counters = new MemoryCounters();
  // The tokenizer loads on first use (~hundreds of ms, ~50 MB, and its 200k strings slow every JSON.parse and string
  // lookup in the process by a few µs per request): with Redis every limited call counts tokens, so load it now;
  // in-process counters count only near a limit (byte bound elsewhere), so the enforcer loads it when one nears.
  const limits = o.config.rate_limits.length > 0 || o.config.budgets.some((b) => b.action !== 'alert');
  if (limits && c.store === 'redis') preloadTokenizer();
  const fromConfig = o.config.budgets;
  const rules = o.config.rate_limits;
  const enforcer = new Enforcer({
    budgets: o.budgets ?? (() => fromConfig),
    counters,
    pricer: o.pricer,
    alerts: o.alerts ?? null,
    countTokens: countPromptTokens,
    ...(c.store === 'redis' ? {} : { warmTokenizer: preloadTokenizer }),
    rateLimits: () => rules,
    aliases: o.config.aliases,
  });
  return { enforcer, counters, metrics: () => (health === null ? '' : renderCountersMetrics(health)) };
}

/** Loads the tokenizer in the background (errors surface on first real use). */
export function preloadTokenizer(): void {
  void Promise.resolve(countPromptTokens('tokenledger')).catch(() => {});
}

import { TokenledgerError } from '../../errors.js';
import type { GatewayConfig } from '../config.js';
import { MemoryAnswers } from './memory-answers.js';
import { ResponseCache } from './response-cache.js';

/** The response cache the config asks for (`cache:`), or null for none. */
export async function openResponseCache(
  config: GatewayConfig,
  env: NodeJS.ProcessEnv,
  onUnavailable: () => void,
): Promise<ResponseCache | null> {
  const c = config.cache;
  if (c === null) return null;
  if (c.store === 'memory') return new ResponseCache(new MemoryAnswers(c));
  const name = c.redis_url_env;
  const url = env[name];
  if (url === undefined || url === '')
    throw new TokenledgerError(
      'CFG_INVALID',
      `cache.store is redis but the environment variable ${name} (cache.redis_url_env) is not set; set it to redis://HOST:PORT`,
    );
  // ioredis (~8 MB of RSS) is loaded only when Redis is configured.
  const { RedisAnswers } = await import('./redis-answers.js');
  return new ResponseCache(
    new RedisAnswers(url, { ttl_ms: c.ttl_ms, timeout_ms: config.counters.timeout_ms, onUnavailable }),
  );
}

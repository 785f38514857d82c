import { count, type MeteredUsage, obj } from '../provider.js';

/**
 * Anthropic's usage block to the ledger's convention. `input_tokens` already excludes cache reads and writes.
 * Cache writes are split by TTL when `cache_creation` says so; otherwise they are all 5-minute writes (the only
 * kind before 1-hour caching existed). Thinking tokens are inside `output_tokens`; the API now says how many
 * in `output_tokens_details.thinking_tokens` (anthropics/anthropic-sdk-typescript
 * src/resources/messages/messages.ts `OutputTokensDetails`: "Always ≤ `output_tokens`"), kept as reasoning tokens.
 * `server_tool_use.web_search_requests` counts the searches billed at $10 per 1,000; `web_fetch_requests` is free
 * (tokens only) and not counted (https://platform.claude.com/docs/en/about-claude/pricing, Web fetch tool).
 */
export function anthropicUsage(u: Record<string, unknown>): MeteredUsage {
  const creation = obj(u.cache_creation);
  const w5 =
    creation === null ? count(u.cache_creation_input_tokens) : count(creation.ephemeral_5m_input_tokens);
  const w1 = creation === null ? 0 : count(creation.ephemeral_1h_input_tokens);
  const output = count(u.output_tokens);
  return {
    input_tokens: count(u.input_tokens),
    cache_read_tokens: count(u.cache_read_input_tokens),
    cache_write_5m_tokens: w5,
    cache_write_1h_tokens: w1,
    output_tokens: output,
    reasoning_tokens: Math.min(count(obj(u.output_tokens_details)?.thinking_tokens), output),
    web_search_requests: count(obj(u.server_tool_use)?.web_search_requests),
  };
}

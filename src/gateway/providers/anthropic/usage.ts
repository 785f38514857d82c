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
  const own = tokens(u);
  const usage: MeteredUsage = {
    input_tokens: own.input,
    cache_read_tokens: own.cacheRead,
    cache_write_5m_tokens: own.write5m,
    cache_write_1h_tokens: own.write1h,
    output_tokens: own.output,
    reasoning_tokens: Math.min(count(obj(u.output_tokens_details)?.thinking_tokens), own.output),
    web_search_requests: count(obj(u.server_tool_use)?.web_search_requests),
  };
  return Array.isArray(u.iterations) ? withCompactions(usage, u.iterations) : usage;
}

interface Tokens {
  input: number;
  cacheRead: number;
  write5m: number;
  write1h: number;
  output: number;
}

/**
 * The token counts of a usage block or of one of its iterations (they name them alike). A stream's message_delta
 * carries cumulative `cache_creation_input_tokens` but no `cache_creation` split (`MessageDeltaUsage`), so the split
 * is message_start's: writes beyond it are counted as 5-minute writes, the default lifetime.
 */
function tokens(u: Record<string, unknown>): Tokens {
  const creation = obj(u.cache_creation);
  const written = count(u.cache_creation_input_tokens);
  if (creation === null)
    return {
      input: count(u.input_tokens),
      cacheRead: count(u.cache_read_input_tokens),
      write5m: written,
      write1h: 0,
      output: count(u.output_tokens),
    };
  const write1h = count(creation.ephemeral_1h_input_tokens);
  return {
    input: count(u.input_tokens),
    cacheRead: count(u.cache_read_input_tokens),
    write5m: Math.max(count(creation.ephemeral_5m_input_tokens), written - write1h),
    write1h,
    output: count(u.output_tokens),
  };
}

/**
 * Server-side compaction (beta `compact_20260112`) runs a sampling step of its own, with the requested model, whose
 * tokens are billed but "not included in the top-level `usage` fields" (anthropics/anthropic-sdk-typescript
 * src/resources/beta/messages/messages.ts `BetaUsage.iterations`, `BetaCompactionIterationUsage`): each `compaction`
 * entry is added. The other entries (`message`: the answer's own sampling steps) are what the top-level fields
 * already count. The long-context tier stays judged by the answer's own input, as before: how Anthropic applies its
 * threshold to a compacted call is not published (docs/gateway.md).
 */
function withCompactions(usage: MeteredUsage, iterations: unknown[]): MeteredUsage {
  let out = usage;
  for (const entry of iterations) {
    const it = obj(entry);
    if (it?.type !== 'compaction') continue;
    const c = tokens(it);
    out = {
      ...out,
      input_tokens: out.input_tokens + c.input,
      cache_read_tokens: out.cache_read_tokens + c.cacheRead,
      cache_write_5m_tokens: out.cache_write_5m_tokens + c.write5m,
      cache_write_1h_tokens: out.cache_write_1h_tokens + c.write1h,
      output_tokens: out.output_tokens + c.output,
    };
  }
  if (out === usage) return usage;
  const context =
    usage.input_tokens + usage.cache_read_tokens + usage.cache_write_5m_tokens + usage.cache_write_1h_tokens;
  return { ...out, context_input_tokens: context };
}

/**
 * The models the demo company calls. Names are what callers send (Anthropic's dated id included); every one
 * resolves in the bundled @pydantic/genai-prices catalog, so the demo is priced at real list prices.
 * Speeds are rough public figures, used only to make duration_ms and ttft_ms plausible.
 */

/** How a provider reports cache use: Anthropic writes caches explicitly (5m / 1h); OpenAI and Google only read. */
type CacheStyle = 'anthropic' | 'openai' | 'google' | 'none';

export interface DemoModel {
  name: string;
  provider: string;
  operation: string;
  cache: CacheStyle;
  /** Median reasoning tokens per call; 0 for models that do not report reasoning separately. */
  reasoning: number;
  /** Median latency before the first token for a small prompt. */
  ttftMs: number;
  /** Output tokens per second. */
  tps: number;
  /** Uncached prompt tokens processed per second (cache reads go ~10x faster). */
  prefillTps: number;
}

export const MODELS = {
  sonnet: m('claude-sonnet-4-5-20250929', 'anthropic', 'messages', 'anthropic', 0, 900, 65, 20_000),
  opus: m('claude-opus-4-1', 'anthropic', 'messages', 'anthropic', 0, 1500, 35, 12_000),
  haiku: m('claude-haiku-4-5', 'anthropic', 'messages', 'anthropic', 0, 450, 140, 30_000),
  gpt5: m('gpt-5', 'openai', 'responses', 'openai', 700, 1100, 75, 15_000),
  gpt5mini: m('gpt-5-mini', 'openai', 'responses', 'openai', 300, 700, 130, 25_000),
  gpt41mini: m('gpt-4.1-mini', 'openai', 'chat', 'openai', 0, 450, 110, 25_000),
  embedSmall: m('text-embedding-3-small', 'openai', 'embeddings', 'none', 0, 0, 0, 40_000),
  geminiPro: m('gemini-2.5-pro', 'google', 'generate_content', 'google', 500, 1400, 85, 20_000),
  geminiFlash: m('gemini-2.5-flash', 'google', 'generate_content', 'google', 200, 500, 220, 40_000),
} as const satisfies Record<string, DemoModel>;

function m(
  name: string,
  provider: string,
  operation: string,
  cache: CacheStyle,
  reasoning: number,
  ttftMs: number,
  tps: number,
  prefillTps: number,
): DemoModel {
  return { name, provider, operation, cache, reasoning, ttftMs, tps, prefillTps };
}

/** Each coding agent's prompt: system prompt and tool definitions the agent sends (and caches) on every call. */
export const AGENT_SYSTEM_TOKENS = {
  'claude-code': 18_000,
  codex: 11_000,
  'gemini-cli': 14_000,
  cursor: 16_000,
};

/**
 * Largest prompt (input, cache reads and writes) the demo sends: agents compact their conversation before passing
 * it, which keeps every call below the 200k-token long-context price tier.
 */
export const PROMPT_LIMIT = 190_000;

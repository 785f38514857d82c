import type { Usage } from '../../ledger/event.js';

/**
 * The ledger's token convention from a source's counts. `totalInput` may or may not include cache reads and writes:
 * GenAI semconv, OpenAI and Gemini include them, Anthropic-style instrumentations do not. When the total is at
 * least the cached parts it is read as inclusive and split; when it is smaller it cannot include them and is kept
 * as the uncached part. Output likewise: reasoning is inside output unless it is larger than output, in which case
 * the source reported it beside output (Gemini's thoughts) and it is added.
 */
export function usageOf(t: {
  requests?: number;
  totalInput: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
  /** The source reports reasoning beside output, never inside it (Gemini's thoughts). */
  reasoningSeparate?: boolean;
}): Usage {
  const cached = t.cacheRead + t.cacheWrite;
  return {
    requests: t.requests ?? 1,
    input_tokens: t.totalInput >= cached ? t.totalInput - cached : t.totalInput,
    cache_read_tokens: t.cacheRead,
    cache_write_5m_tokens: t.cacheWrite,
    cache_write_1h_tokens: 0,
    output_tokens: t.reasoningSeparate || t.reasoning > t.output ? t.output + t.reasoning : t.output,
    reasoning_tokens: t.reasoning,
  };
}

/** Provider names as GenAI semconv spells them (`gen_ai.provider.name`, older `gen_ai.system`) → catalog ids. */
const PROVIDERS: Record<string, string> = {
  'gcp.gemini': 'google',
  'gcp.gen_ai': 'google',
  'gcp.vertex_ai': 'google',
  gemini: 'google',
  vertex_ai: 'google',
  'aws.bedrock': 'aws',
  'az.ai.openai': 'azure',
  'azure.ai.openai': 'azure',
  'az.ai.inference': 'azure',
  'azure.ai.inference': 'azure',
  mistral_ai: 'mistral',
  x_ai: 'x-ai',
  xai: 'x-ai',
  'ibm.watsonx.ai': 'ibm',
};

export function providerId(name: string | null): string | null {
  if (name === null) return null;
  const n = name.trim().toLowerCase();
  return PROVIDERS[n] ?? n;
}

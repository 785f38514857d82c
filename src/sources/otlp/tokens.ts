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
  /** The source reports input without its cached parts, whatever the sizes (Bedrock's Converse usage). */
  inputExcludesCache?: boolean;
}): Usage {
  const cached = t.cacheRead + t.cacheWrite;
  return {
    requests: t.requests ?? 1,
    input_tokens: !t.inputExcludesCache && t.totalInput >= cached ? t.totalInput - cached : t.totalInput,
    cache_read_tokens: t.cacheRead,
    cache_write_5m_tokens: t.cacheWrite,
    cache_write_1h_tokens: 0,
    output_tokens: t.reasoningSeparate || t.reasoning > t.output ? t.output + t.reasoning : t.output,
    reasoning_tokens: t.reasoning,
    web_search_requests: 0,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    input_image_tokens: 0,
    output_image_tokens: 0,
    audio_ms: 0,
  };
}

/**
 * Provider names as instrumentations spell them (`gen_ai.provider.name`, older `gen_ai.system`) → catalog ids.
 * GenAI semconv's own values, then what the popular libraries write instead: Traceloop/OpenLLMetry's vendor names
 * (`AWS`, `MistralAI`; langchain/vendor_detection.py), Vercel AI SDK's provider ids (`amazon-bedrock`, and
 * `<provider>.<api>` ids, below).
 */
const PROVIDERS: Record<string, string | null> = {
  'gcp.gemini': 'google',
  'gcp.gen_ai': 'google',
  'gcp.vertex_ai': 'google',
  // OpenInference's llm.system values (spec/semantic_conventions.md): vertexai, and amazon for Bedrock's own models.
  vertexai: 'google',
  amazon: 'aws',
  gemini: 'google',
  vertex_ai: 'google',
  vertex: 'google',
  'aws.bedrock': 'aws',
  'amazon-bedrock': 'aws',
  'az.ai.openai': 'azure',
  'azure.ai.openai': 'azure',
  'az.ai.inference': 'azure',
  'azure.ai.inference': 'azure',
  'azure-openai': 'azure',
  mistral_ai: 'mistral',
  mistralai: 'mistral',
  x_ai: 'x-ai',
  xai: 'x-ai',
  'ibm.watsonx.ai': 'ibm',
  // Frameworks that put their own name where the provider belongs: no provider is better than a wrong one (the
  // pricer then takes the provider from the model name). Strands Agents: `strands-agents` (telemetry/tracer.py);
  // Traceloop's LangChain instrumentation when it cannot tell the vendor: `Langchain`.
  'strands-agents': null,
  langchain: null,
};

/** Distinct provider spellings are few; remembering them keeps the per-span cost to one Map lookup. */
const seen = new Map<string, string | null>();

export function providerId(name: string | null): string | null {
  if (name === null) return null;
  let id = seen.get(name);
  if (id !== undefined) return id;
  id = normalise(name);
  if (seen.size < 1000) seen.set(name, id);
  return id;
}

function normalise(name: string): string | null {
  const n = name.trim().toLowerCase();
  if (n === '') return null;
  if (Object.hasOwn(PROVIDERS, n)) return PROVIDERS[n]!;
  // Vercel AI SDK writes its provider id, `<provider>.<api>`: openai.chat, openai.responses, anthropic.messages,
  // google.generative-ai, google.vertex.chat, mistral.chat. The provider is the part before the first dot.
  const dot = n.indexOf('.');
  if (dot > 0) {
    const head = n.slice(0, dot);
    return Object.hasOwn(PROVIDERS, head) ? PROVIDERS[head]! : head;
  }
  return n;
}

/**
 * Who is who in a FOCUS row (docs/focus.md): the ledger knows a call's `provider` id (who served and billed it) and
 * its model; FOCUS asks for the provider that made the service available (ProviderName), the service (ServiceName),
 * who made what was bought (PublisherName: the model's maker) and who invoices it (InvoiceIssuerName: the provider,
 * as a call is billed by whoever served it).
 */

export interface FocusNames {
  provider: string;
  service: string;
  publisher: string;
}

/** Ledger provider ids (as sources and the gateway write them) → the provider's name and its service's. */
const PROVIDERS: Record<string, { provider: string; service: string }> = {
  openai: { provider: 'OpenAI', service: 'OpenAI API' },
  anthropic: { provider: 'Anthropic', service: 'Claude API' },
  google: { provider: 'Google', service: 'Gemini API' },
  gemini: { provider: 'Google', service: 'Gemini API' },
  vertex: { provider: 'Google Cloud', service: 'Vertex AI' },
  'google-vertex': { provider: 'Google Cloud', service: 'Vertex AI' },
  bedrock: { provider: 'AWS', service: 'Amazon Bedrock' },
  aws: { provider: 'AWS', service: 'Amazon Bedrock' },
  azure: { provider: 'Microsoft', service: 'Azure OpenAI' },
  openrouter: { provider: 'OpenRouter', service: 'OpenRouter' },
  groq: { provider: 'Groq', service: 'GroqCloud' },
  mistral: { provider: 'Mistral AI', service: 'Mistral AI API' },
  'x-ai': { provider: 'xAI', service: 'xAI API' },
  xai: { provider: 'xAI', service: 'xAI API' },
  deepseek: { provider: 'DeepSeek', service: 'DeepSeek API' },
  together: { provider: 'Together AI', service: 'Together AI' },
  fireworks: { provider: 'Fireworks AI', service: 'Fireworks AI' },
  cerebras: { provider: 'Cerebras', service: 'Cerebras Inference' },
  perplexity: { provider: 'Perplexity', service: 'Perplexity API' },
  cohere: { provider: 'Cohere', service: 'Cohere API' },
  cursor: { provider: 'Cursor', service: 'Cursor' },
  'github-copilot': { provider: 'GitHub', service: 'GitHub Copilot' },
};

/** A model's maker by the start of its canonical id; the first match wins. */
const PUBLISHERS: [RegExp, string][] = [
  [/^claude/, 'Anthropic'],
  [
    /^(gpt|o\d|chatgpt|codex|text-embedding|whisper|tts|dall-e|davinci|babbage|omni-moderation|sora)/,
    'OpenAI',
  ],
  [/^(gemini|gemma|imagen|veo)/, 'Google'],
  [/^(llama|meta-llama)/, 'Meta'],
  [/^(mistral|mixtral|codestral|magistral|devstral|voxtral|pixtral|ministral)/, 'Mistral AI'],
  [/^grok/, 'xAI'],
  [/^deepseek/, 'DeepSeek'],
  [/^(qwen|qwq)/, 'Alibaba Cloud'],
  [/^(kimi|moonshot)/, 'Moonshot AI'],
  [/^(glm|chatglm)/, 'Zhipu AI'],
  [/^(command|embed-)/, 'Cohere'],
  [/^(nova|titan)/, 'Amazon'],
  [/^(phi-|mai-)/, 'Microsoft'],
  [/^minimax/, 'MiniMax'],
];

/**
 * The model's maker by its id (a route prefix such as `anthropic/` or `us.anthropic.` is looked through), else null.
 */
export function publisherOf(model: string): string | null {
  const id = model.toLowerCase().replace(/^.*[/.](?=[a-z])/, '');
  for (const [re, name] of PUBLISHERS) if (re.test(id)) return name;
  return null;
}

/**
 * The FOCUS names of a ledger (provider, model): a provider id the table does not know is its own name and
 * service; a call with no provider is named after its model's maker, which is the provider a caller reaches it at
 * unless the ledger says otherwise; and a model whose maker is unknown was published by its provider.
 */
export function focusNames(provider: string | null, model: string): FocusNames {
  const known = provider === null ? undefined : PROVIDERS[provider.toLowerCase()];
  const publisher = publisherOf(model);
  const name = known?.provider ?? provider ?? publisher ?? 'Unknown';
  return {
    provider: name,
    service: known?.service ?? name,
    publisher: publisher ?? name,
  };
}

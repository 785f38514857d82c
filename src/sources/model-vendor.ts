/**
 * The vendor behind a model name as a tool that routes to several of them spells it (Cursor, GitHub Copilot, Amp:
 * `claude-4.5-sonnet-thinking`, `claude-opus-4.6-1m`, `gpt-5.1-codex`, `gemini-3-pro`): the calls go through the
 * tool's own service, but the tokens are the vendor's and priced at its rates. Read off the family name; null when
 * the family is not one of these.
 */
export function vendorOfModel(model: string): string | null {
  const m = model.trim().toLowerCase();
  if (m.includes('claude')) return 'anthropic';
  if (/^(gpt|o\d|codex|chatgpt)/.test(m)) return 'openai';
  if (m.includes('gemini')) return 'google';
  if (m.includes('grok')) return 'xai';
  if (m.includes('deepseek')) return 'deepseek';
  return null;
}

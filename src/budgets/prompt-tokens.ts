let counter: ((text: string) => number) | null = null;
let loading: Promise<(text: string) => number> | null = null;

/**
 * Token counts with gpt-tokenizer (o200k: exact for current OpenAI models, an estimate for others), loaded on first
 * use, for admission's worst case and for the calls the provider never reported usage for (an abandoned stream,
 * recorded with `cost_source = "estimated"`). Prompt tokens for admission: a number at once once the tokenizer is loaded (no promise on the request path), a
 * promise until then. Text that spells a special token (`<|endoftext|>`) counts as the plain text it is, as the
 * provider bills it; gpt-tokenizer would otherwise throw, and the call would fail with a 500.
 */
export function countPromptTokens(text: string): number | Promise<number> {
  if (text === '') return 0;
  if (counter !== null) return counter(text);
  loading ??= import('gpt-tokenizer').then((m) => {
    const options = { disallowedSpecial: new Set<string>() };
    counter = (t: string) => m.countTokens(t, options);
    return counter;
  });
  return loading.then((count) => count(text));
}

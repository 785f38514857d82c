/**
 * Token counts for text the provider never reported usage for (a stream the client abandoned). gpt-tokenizer's
 * o200k encoding is exact for current OpenAI models and an estimate for others; events counted here carry
 * `cost_source = "estimated"`. Loaded on first use: most processes never need it.
 */
let counter: ((text: string) => number) | null = null;

export async function countTokens(text: string): Promise<number> {
  if (text === '') return 0;
  if (counter === null) {
    const mod = await import('gpt-tokenizer');
    counter = (t: string) => mod.countTokens(t);
  }
  return counter(text);
}

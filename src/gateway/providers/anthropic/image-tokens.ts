import { base64ImageSize } from '../image-size.js';
import { obj } from '../provider.js';

/**
 * The input tokens of the images a Messages request sends in base64 (in its messages, and in the content of tool
 * results), which its prompt text leaves out. Anthropic bills an image by its size
 * (https://platform.claude.com/docs/en/build-with-claude/vision): about width × height / 750 tokens, or
 * ⌈width / 28⌉ × ⌈height / 28⌉ patches for the models that count those; an image larger than a model takes is
 * scaled down first. So the greater of the two at the size sent bounds what any model bills for it, as budget
 * admission's worst case needs: a flat screenshot is a few kB of PNG, and its bytes bound nothing. An image sent by
 * URL or Files API id is not counted: the request does not hold its size. Walked with a stack: a request may nest
 * content deeply.
 */
export function anthropicImageTokens(json: Record<string, unknown>): number {
  return sumImages(json, upperBound);
}

/**
 * The input tokens of the same images as Anthropic's documented estimate, width × height / 750 per image: what a
 * call recorded without the provider's usage is charged, as its text is, by the best guess and not a bound.
 */
export function anthropicImageTokensEstimate(json: Record<string, unknown>): number {
  return sumImages(json, (width, height) => Math.ceil((width * height) / 750));
}

function sumImages(
  json: Record<string, unknown>,
  perImage: (width: number, height: number) => number,
): number {
  let tokens = 0;
  const stack: unknown[] = [json.messages];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const o = obj(v);
    if (o === null) continue;
    const source = obj(o.source);
    if (o.type === 'image' && source?.type === 'base64' && typeof source.data === 'string') {
      const size = base64ImageSize(source.data);
      if (size !== null) tokens += perImage(size.width, size.height);
    } else stack.push(o.content);
  }
  return tokens;
}

function upperBound(width: number, height: number): number {
  return Math.max(Math.ceil((width * height) / 750), Math.ceil(width / 28) * Math.ceil(height / 28));
}

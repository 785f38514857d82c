import { base64ImageSize } from '../image-size.js';
import { eachObject, obj } from '../provider.js';

/**
 * The input tokens of the images a Messages request sends in base64 (in its messages, and in the content of tool
 * results and of documents), which its prompt text leaves out. Anthropic bills an image by its size
 * (https://platform.claude.com/docs/en/build-with-claude/vision): about width × height / 750 tokens, or
 * ⌈width / 28⌉ × ⌈height / 28⌉ patches for the models that count those; an image larger than a model takes is
 * scaled down first (so no image costs more than maxImageTokens). So the greater of the two at the size sent, at
 * most that, bounds what the model bills for it, as budget
 * admission's worst case needs: a flat screenshot is a few kB of PNG, and its bytes bound nothing. An image sent by
 * URL or Files API id, whose size the request does not hold, is bounded by the largest image `model` takes (every
 * image is scaled down to it first).
 */
export function anthropicImageTokens(json: Record<string, unknown>, model: string): number {
  const max = maxImageTokens(model);
  // An image larger than the model takes is billed at the size it is scaled down to, not at the size sent.
  return sumImages(json, (width, height) => Math.min(upperBound(width, height), max), max);
}

/**
 * The input tokens of the same images as Anthropic's documented estimate, width × height / 750 per image: what a
 * call recorded without the provider's usage is charged, as its text is, by the best guess and not a bound. An image
 * whose long edge is over what `model` takes is first scaled down to it ("preserving aspect ratio"), so a long,
 * narrow one (a scrolled page's screenshot) costs far less than its area at the size sent. An image by URL or file id
 * is taken at the largest image `model` takes: the typical size of an image sent that way (a photo, a screenshot) is
 * larger, and scaled down to it.
 */
export function anthropicImageTokensEstimate(json: Record<string, unknown>, model: string): number {
  const max = maxImageTokens(model);
  const edge = UP_TO_4_6.test(model) ? 1568 : 2576;
  return sumImages(
    json,
    (width, height) => {
      const long = Math.max(width, height, edge);
      // width × height × (edge / long)², in integers: exact for any image Anthropic takes (at most 8000 px a side).
      return Math.min(Math.ceil((width * height * edge * edge) / (long * long * 750)), max);
    },
    max,
  );
}

/**
 * The tokens of the largest image a model takes (https://platform.claude.com/docs/en/build-with-claude/vision,
 * "Evaluate image size"): up to Claude 4.6 an image over 1568 px on its long edge or ~1,600 tokens (~1.15
 * megapixels) is scaled down to that; Claude Opus 4.7 takes 2576 px on the long edge, ~3.75 megapixels, so up to
 * 3,750,000 / 750 = 5,000 tokens. A model name not known to be of the earlier ones (a newer model, an alias) gets the
 * larger, so that admission still bounds it.
 */
export function maxImageTokens(model: string): number {
  return UP_TO_4_6.test(model) ? 1_600 : 5_000;
}

/**
 * claude-3*, and claude-{opus,sonnet,haiku}-4 up to -4-6, with or without a date snapshot or a word after it
 * (`-latest`); not claude-opus-4-7.
 */
const UP_TO_4_6 = /^claude-(?:3-|[a-z]+-4(?:-[0-6])?(?:-\d{8})?(?:-[a-z]|$))/;

function sumImages(
  json: Record<string, unknown>,
  perImage: (width: number, height: number) => number,
  unsized: number,
): number {
  let tokens = 0;
  eachObject([json.messages], (o) => {
    const source = obj(o.source);
    if (o.type === 'image' && source?.type === 'base64' && typeof source.data === 'string') {
      const size = base64ImageSize(source.data);
      if (size !== null) tokens += perImage(size.width, size.height);
    } else if (o.type === 'image' && (source?.type === 'url' || source?.type === 'file')) tokens += unsized;
    // A document of content blocks (`source.type` "content") holds text and images: its images are billed too.
    else return [o.content, o.type === 'document' && source?.type === 'content' ? source.content : undefined];
    return [];
  });
  return tokens;
}

function upperBound(width: number, height: number): number {
  return Math.max(Math.ceil((width * height) / 750), Math.ceil(width / 28) * Math.ceil(height / 28));
}

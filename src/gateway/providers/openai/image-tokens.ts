import { base64ImageSize, type ImageSize } from '../image-size.js';
import { eachObject, obj } from '../provider.js';

/**
 * How OpenAI bills an input image (https://platform.openai.com/docs/guides/images-vision, "Calculating costs"), by
 * model family:
 * - tiles: the image is scaled to fit a 2048 px square, then down so that its shortest side is 768 px; it costs
 *   `base` plus `tile` per 512 px tile covering it, or `base` alone at `detail: "low"`;
 * - patches: the 32 px patches covering it, capped at 1536 (a larger image is scaled down to fit), times a
 *   per-model multiplier (here in hundredths, so the count stays an integer); `detail` does not change it.
 */
type Rule =
  | { readonly kind: 'tiles'; readonly base: number; readonly tile: number }
  | { readonly kind: 'patches'; readonly per100: number };

const tiles = (base: number, tile: number): Rule => ({ kind: 'tiles', base, tile });
const patches = (per100: number): Rule => ({ kind: 'patches', per100 });

/** OpenAI's documented table, by model name without its date snapshot. */
const RULES: ReadonlyMap<string, Rule> = new Map([
  ['gpt-5', tiles(70, 140)],
  ['gpt-5-chat-latest', tiles(70, 140)],
  ['gpt-4o', tiles(85, 170)],
  ['chatgpt-4o-latest', tiles(85, 170)],
  ['gpt-4.1', tiles(85, 170)],
  ['gpt-4.5-preview', tiles(85, 170)],
  ['gpt-4-turbo', tiles(85, 170)],
  // Priced per token at 1/33 of gpt-4o, and billed 33x the image tokens: the same cost.
  ['gpt-4o-mini', tiles(2833, 5667)],
  ['o1', tiles(75, 150)],
  ['o1-pro', tiles(75, 150)],
  ['o3', tiles(75, 150)],
  ['computer-use-preview', tiles(65, 129)],
  ['gpt-5-mini', patches(162)],
  ['gpt-5-nano', patches(246)],
  ['gpt-4.1-mini', patches(162)],
  ['gpt-4.1-nano', patches(246)],
  ['o4-mini', patches(172)],
]);

/** gpt-4o's rule: OpenAI's own worked examples, the estimate for a model not in the table. */
const DEFAULT_RULE = RULES.get('gpt-4o')!;
/**
 * For a model not in the table (a newer one, an OpenAI-compatible server's) admission takes the greater of the
 * largest tile rule and the largest patch multiplier: it bounds every documented family but gpt-4o-mini's, whose
 * name is known (and its patch cap times 2.46 bounds the 2,500-patch models at 1.2 too).
 */
const UNKNOWN_BOUND: readonly Rule[] = [DEFAULT_RULE, patches(246)];

const PATCH = 32;
const PATCH_CAP = 1536;
const TILE = 512;
/** The most 512 px tiles an image can need once scaled: 768 × 2048 px. */
const MAX_TILES = 8;

/**
 * The input tokens of the images an OpenAI request sends (Chat Completions `image_url` parts, Responses
 * `input_image` items), which its prompt text leaves out, as a bound for budget admission: by the rule of `model`
 * when OpenAI documents it, else by the greatest documented one. An image whose size the request does not hold (a
 * URL, a file id) is bounded by the most its rule bills at any size.
 */
export function openAiImageTokens(json: Record<string, unknown>, model: string): number {
  const rule = RULES.get(snapshotless(model));
  return sumImages(json, (size, detail) =>
    rule !== undefined
      ? imageTokens(rule, size, detail)
      : Math.max(...UNKNOWN_BOUND.map((r) => imageTokens(r, size, detail))),
  );
}

/**
 * The most one image can cost `model` at any size and detail: by its rule when OpenAI documents it, else by the
 * greatest documented one (a PDF's page images, whose size the request does not hold).
 */
export function openAiMaxImageTokens(model: string): number {
  const rule = RULES.get(snapshotless(model));
  return rule !== undefined
    ? imageTokens(rule, null, null)
    : Math.max(...UNKNOWN_BOUND.map((r) => imageTokens(r, null, null)));
}

/**
 * The same images as OpenAI's documented count for `model`'s family, gpt-4o's for a model it does not list: the
 * input of a call recorded without the provider's usage, a best guess and not a bound.
 */
export function openAiImageTokensEstimate(json: Record<string, unknown>, model: string): number {
  const rule = RULES.get(snapshotless(model)) ?? DEFAULT_RULE;
  return sumImages(json, (size, detail) => imageTokens(rule, size, detail));
}

/** One image's tokens under a rule; `size` null: not in the request, so the most the rule bills. */
function imageTokens(rule: Rule, size: ImageSize | null, detail: string | null): number {
  if (rule.kind === 'patches') {
    const n = size === null ? PATCH_CAP : patchCount(size.width, size.height);
    return Math.ceil((n * rule.per100) / 100);
  }
  if (detail === 'low') return rule.base;
  return rule.base + rule.tile * (size === null ? MAX_TILES : tileCount(size.width, size.height));
}

/** 512 px tiles after fitting a 2048 px square and bringing the shortest side down to 768 px. */
function tileCount(width: number, height: number): number {
  let w = width;
  let h = height;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const short = Math.min(1, 768 / Math.min(w, h));
  w *= short;
  h *= short;
  return Math.ceil(w / TILE) * Math.ceil(h / TILE);
}

/** OpenAI's patch count, with its scaling of an image over the cap (steps A to C of its documented algorithm). */
function patchCount(width: number, height: number): number {
  const n = Math.ceil(width / PATCH) * Math.ceil(height / PATCH);
  if (n <= PATCH_CAP) return n;
  const shrink = Math.sqrt((PATCH * PATCH * PATCH_CAP) / (width * height));
  const fw = (width * shrink) / PATCH;
  const fh = (height * shrink) / PATCH;
  const adjusted = shrink * Math.min(Math.floor(fw) / fw, Math.floor(fh) / fh);
  // The side the adjustment fits is a whole number of patches in exact arithmetic: a binary float a hair over it
  // would count one patch row more than OpenAI's worked example (1800 × 2400 → 1452).
  const cover = (side: number) => Math.ceil((side * adjusted) / PATCH - 1e-9);
  return Math.min(PATCH_CAP, cover(width) * cover(height));
}

/** A dated snapshot is billed as its model: `gpt-4o-2024-08-06` → `gpt-4o`. */
function snapshotless(model: string): string {
  return model.toLowerCase().replace(/-\d{4}-\d{2}-\d{2}$/, '');
}

/**
 * Walks the request's messages (Chat Completions) and input items (Responses, with the content of function call
 * outputs). A data URL is sized from its header; an image that is
 * not a readable one (the provider refuses it, at no cost) counts nothing.
 */
function sumImages(
  json: Record<string, unknown>,
  perImage: (size: ImageSize | null, detail: string | null) => number,
): number {
  let tokens = 0;
  eachObject([json.messages, json.input], (o) => {
    let url: unknown;
    let detail: unknown;
    if (o.type === 'image_url') {
      const part = obj(o.image_url);
      url = part === null ? o.image_url : part.url;
      detail = part?.detail;
    } else if (o.type === 'input_image') {
      url = o.image_url ?? (typeof o.file_id === 'string' ? null : undefined);
      detail = o.detail;
    } else return [o.content, o.output];
    const d = typeof detail === 'string' ? detail : null;
    if (url === null || (typeof url === 'string' && !url.startsWith('data:'))) tokens += perImage(null, d);
    else if (typeof url === 'string') {
      const size = dataUrlSize(url);
      if (size !== null) tokens += perImage(size, d);
    }
    return [];
  });
  return tokens;
}

/** `data:image/png;base64,…`: the size of the image it holds, or null. */
function dataUrlSize(url: string): ImageSize | null {
  const comma = url.indexOf(',');
  if (comma < 0 || !url.slice(0, comma).endsWith(';base64')) return null;
  return base64ImageSize(url.slice(comma + 1));
}

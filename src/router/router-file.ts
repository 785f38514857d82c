import { z } from 'zod';
import { TokenledgerError } from '../errors.js';
import { formatDecimal, PLAIN_DECIMAL, parseDecimal } from '../money/money.js';
import { problemOf } from '../zod-problem.js';
import { BITS } from './features.js';
import type { LearnedRouter } from './learned-router.js';

/**
 * A trained router as `tokenledger route train` writes it and the gateway reads it (`routers:` in
 * tokenledger.config.yaml). Weights are little-endian float32, base64: 2^16 of them a model, ~350 KB of text each.
 * `measured` says how it did on the dataset's test prompts, so a file carries its own evidence.
 */
export const ROUTER_FORMAT = 'tokenledger-router';

export interface RouterMeasurement {
  trained_on: string;
  target: number;
  test_prompts: number;
  /** Its quality on the test prompts over the strongest model's. */
  quality_share: number;
  /** The strongest model's cost on the test prompts over its own. */
  cheaper: number;
  strongest: string;
}

const decimalOrNull = z.string().regex(PLAIN_DECIMAL, 'a decimal such as "2.5"').nullable();
const fileSchema = z.strictObject({
  format: z.literal(ROUTER_FORMAT),
  version: z.literal(1),
  feature_bits: z.literal(BITS, {
    message: `this tokenledger reads routers of ${BITS} feature bits; train again`,
  }),
  lambda: z.number().nonnegative(),
  models: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        input_per_mtok: decimalOrNull,
        output_per_mtok: decimalOrNull,
        mean_output_tokens: z.number().nonnegative(),
        mean_cost_usd: z.number().nonnegative(),
        weights: z.base64(),
      }),
    )
    .min(1),
  measured: z.strictObject({
    trained_on: z.string(),
    target: z.number(),
    test_prompts: z.number().int(),
    quality_share: z.number(),
    cheaper: z.number(),
    strongest: z.string(),
  }),
});

export function routerFileText(router: LearnedRouter, measured: RouterMeasurement): string {
  const file: z.input<typeof fileSchema> = {
    format: ROUTER_FORMAT,
    version: 1,
    feature_bits: BITS,
    lambda: router.lambda,
    models: router.models.map((m) => ({
      name: m.name,
      input_per_mtok: m.price === null ? null : plain(m.price.input),
      output_per_mtok: m.price === null ? null : plain(m.price.output),
      mean_output_tokens: m.meanOutputTokens,
      mean_cost_usd: m.meanCostUsd,
      weights: Buffer.from(littleEndian(m.weights)).toString('base64'),
    })),
    measured,
  };
  return `${JSON.stringify(file, null, 1)}\n`;
}

/** Reads a router file; what is wrong is `ROUTER_BAD_FILE` naming the file and the field. */
export function parseRouterFile(
  text: string,
  file: string,
): { router: LearnedRouter; measured: RouterMeasurement } {
  const bad = (why: string) =>
    new TokenledgerError('ROUTER_BAD_FILE', `${file}: ${why}; write it with \`tokenledger route train\``);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const r = fileSchema.safeParse(json, { reportInput: true });
  if (!r.success) {
    const issue = r.error.issues[0] as z.core.$ZodIssue;
    throw bad(`${issue.path.join('.') || '(top level)'}: ${problemOf(fileSchema, issue)}`);
  }
  const models = r.data.models.map((m, i) => {
    const bytes = Buffer.from(m.weights, 'base64');
    if (bytes.length !== 4 << BITS)
      throw bad(`models.${i}.weights: ${bytes.length} bytes, expected ${4 << BITS}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const weights = new Float32Array(1 << BITS);
    for (let j = 0; j < weights.length; j++) weights[j] = view.getFloat32(4 * j, true);
    const priced = m.input_per_mtok !== null && m.output_per_mtok !== null;
    return {
      name: m.name,
      weights,
      price: priced
        ? { input: parseDecimal(m.input_per_mtok!), output: parseDecimal(m.output_per_mtok!) }
        : null,
      meanOutputTokens: m.mean_output_tokens,
      meanCostUsd: m.mean_cost_usd,
    };
  });
  return { router: { models, lambda: r.data.lambda }, measured: r.data.measured };
}

/** Pico-dollars as the shortest decimal: "2.5", not "2.500000000000". */
function plain(pico: bigint): string {
  return formatDecimal(pico).replace(/\.?0+$/, '');
}

function littleEndian(w: Float32Array): Uint8Array {
  const out = new Uint8Array(4 * w.length);
  const view = new DataView(out.buffer);
  for (let j = 0; j < w.length; j++) view.setFloat32(4 * j, w[j]!, true);
  return out;
}

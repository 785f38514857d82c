import { z } from 'zod';
import { TokenledgerError } from '../errors.js';
import { divRoundHalfEven, numberToDecimal, PLAIN_DECIMAL, parseDecimal } from '../money/money.js';
import { problemOf } from '../zod-problem.js';

/**
 * One prompt of a router evaluation dataset and how every model did on it (../shared/data/routing/README.md):
 * `{"id", "category", "prompt", "outcomes": {MODEL: {"score": 0..1, "cost_usd"?, "output_chars"?}}}`.
 */
export interface RoutingCase {
  id: string;
  category: string;
  prompt: string;
  /** Input tokens as the dataset's rule counts them: ceil(prompt characters / 4). */
  inputTokens: number;
  outcomes: ReadonlyMap<string, Outcome>;
}

export interface Outcome {
  score: number;
  /** What the call cost, in pico-dollars: the dataset's `cost_usd`, else priced from the model's list prices. */
  cost: bigint;
  outputTokens: number;
}

/** USD per 1M tokens, as pico-dollars per 1M tokens. */
export interface ModelPrice {
  input: bigint;
  output: bigint;
}

export interface ParsedDataset {
  cases: RoutingCase[];
  /** The models every case has an outcome for, in the first case's order. */
  models: string[];
  /** Lines left out (`ROUTER_BAD_CASE`), with where and why; the rest of the file is read. */
  skipped: { at: string; reason: string }[];
}

const OutcomeSchema = z.strictObject({
  score: z.number().min(0).max(1),
  cost_usd: z.number().nonnegative().optional(),
  output_chars: z.number().int().nonnegative().optional(),
});

const CaseSchema = z.object({
  id: z.string().min(1),
  category: z.string(),
  prompt: z.string(),
  outcomes: z.record(z.string(), OutcomeSchema).refine((o) => Object.keys(o).length > 0, 'no outcomes'),
});

/**
 * Reads a dataset's JSONL text. A line that is not a case, or whose models differ from the first case's (the
 * format promises every line an outcome for every model of its file), is skipped and named by `file:line`.
 */
export function parseRoutingCases(
  text: string,
  file: string,
  prices: ReadonlyMap<string, ModelPrice>,
): ParsedDataset {
  const cases: RoutingCase[] = [];
  const skipped: ParsedDataset['skipped'] = [];
  let models: string[] | null = null;
  const seen = new Set<string>();
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    const at = `${file}:${lineNo}`;
    try {
      const c = toCase(line, prices);
      const names = [...c.outcomes.keys()];
      models ??= names;
      if (names.length !== models.length || !models.every((m) => c.outcomes.has(m)))
        throw new Error(`outcomes for ${names.join(', ')}; the file's first case has ${models.join(', ')}`);
      if (seen.has(c.id)) throw new Error(`id ${JSON.stringify(c.id)} appears earlier in the file`);
      seen.add(c.id);
      cases.push(c);
    } catch (e) {
      if (e instanceof TokenledgerError && e.code === 'ROUTER_UNPRICED_MODEL') throw e;
      skipped.push({ at, reason: (e as Error).message });
    }
  }
  return { cases, models: models ?? [], skipped };
}

function toCase(line: string, prices: ReadonlyMap<string, ModelPrice>): RoutingCase {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  const r = CaseSchema.safeParse(json, { reportInput: true });
  if (!r.success) {
    const issue = r.error.issues[0] as z.core.$ZodIssue;
    throw new Error(`${issue.path.join('.') || '(line)'}: ${problemOf(CaseSchema, issue)}`);
  }
  const inputTokens = promptTokens(r.data.prompt);
  const outcomes = new Map<string, Outcome>();
  for (const [model, o] of Object.entries(r.data.outcomes)) {
    const outputTokens = o.output_chars === undefined ? 1 : tokensOf(o.output_chars);
    outcomes.set(model, {
      score: o.score,
      cost:
        o.cost_usd === undefined
          ? listCost(model, prices, inputTokens, outputTokens)
          : numberToDecimal(o.cost_usd),
      outputTokens,
    });
  }
  return { id: r.data.id, category: r.data.category, prompt: r.data.prompt, inputTokens, outcomes };
}

/** A prompt's tokens by the dataset's rule: ceil(characters / 4). */
function promptTokens(prompt: string): number {
  let chars = 0;
  for (const _ of prompt) chars++;
  return tokensOf(chars);
}

/** The dataset's rule: ceil(characters / 4), and at least one token for an answer. */
function tokensOf(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

function listCost(
  model: string,
  prices: ReadonlyMap<string, ModelPrice>,
  input: number,
  output: number,
): bigint {
  const p = prices.get(model);
  if (!p)
    throw new TokenledgerError(
      'ROUTER_UNPRICED_MODEL',
      `model ${JSON.stringify(model)} has outcomes without cost_usd and no price in the prices file; ` +
        'add it as {"input_per_mtok": N, "output_per_mtok": N}',
    );
  return divRoundHalfEven(p.input * BigInt(input) + p.output * BigInt(output), 1_000_000n);
}

const UsdPerMtok = z.union([
  z.number().nonnegative(),
  z.string().regex(PLAIN_DECIMAL, 'a decimal such as "2.5"'),
]);
const PriceSchema = z.strictObject({ input_per_mtok: UsdPerMtok, output_per_mtok: UsdPerMtok });

/**
 * Reads a prices file like ../shared/data/routing/models.json: `{MODEL: {input_per_mtok, output_per_mtok}}` in USD
 * per 1M tokens; keys starting with `_` are notes. Numbers are taken as the decimals they are written as.
 */
export function parseModelPrices(text: string, file: string): Map<string, ModelPrice> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TokenledgerError('ROUTER_BAD_PRICES', `${file}: not JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new TokenledgerError('ROUTER_BAD_PRICES', `${file}: expected an object of models`);
  const prices = new Map<string, ModelPrice>();
  for (const [model, value] of Object.entries(json)) {
    if (model.startsWith('_')) continue;
    const r = PriceSchema.safeParse(value, { reportInput: true });
    if (!r.success) {
      const issue = r.error.issues[0] as z.core.$ZodIssue;
      const where = [model, ...issue.path].join('.');
      throw new TokenledgerError('ROUTER_BAD_PRICES', `${file}: ${where}: ${problemOf(PriceSchema, issue)}`);
    }
    prices.set(model, { input: decimal(r.data.input_per_mtok), output: decimal(r.data.output_per_mtok) });
  }
  return prices;
}

function decimal(v: number | string): bigint {
  return typeof v === 'number' ? numberToDecimal(v) : parseDecimal(v);
}

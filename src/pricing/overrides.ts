import { createHash } from 'node:crypto';
import { parseTimestamp } from '../ledger/time.js';
import { numberToDecimal, parseDecimal } from '../money/money.js';
import { readYamlLines } from '../yaml-lines.js';
import { problemOf } from '../zod-problem.js';
import type { PricePart, PriceSet, TieredRate } from './catalog.js';
import { RATE_SCALE } from './cost.js';
import {
  type DecimalInput,
  type OverridesInput,
  overridesSchema,
  type PriceInput,
} from './overrides-schema.js';
import { PricingError } from './pricing-errors.js';

/** Overrides after validation: exact amounts, instants in epoch µs (null = open-ended). */
export interface Overrides {
  /** The file they came from, for messages. */
  file: string;
  /** First 8 hex digits of the SHA-256 of the validated content: formatting and comments do not change it. */
  hash: string;
  models: readonly OverrideModel[];
  /** Lower-cased name → target name, possibly `provider/model`. */
  aliases: ReadonlyMap<string, string>;
  discounts: readonly OverrideDiscount[];
}

export interface Effective {
  fromUs: number | null;
  untilUs: number | null;
}

export interface OverrideModel extends Effective {
  /** Key path in the file, e.g. `models[2]`. */
  where: string;
  id: string;
  provider: string | null;
  names: readonly string[];
  prices: PriceSet;
}

export interface OverrideDiscount extends Effective {
  where: string;
  /** `file:line` of the entry, for problems only the catalog can find (a model that does not exist). */
  at: string;
  provider: string | null;
  model: string | null;
  /** Percent at RATE_SCALE digits: "12.5" → 12_500000000000000000n. */
  percentOff: bigint;
  percentText: string;
}

/** Validates the text of an overrides file; `file` is the path to name in errors. All problems are reported at once. */
export function parseOverrides(text: string, file: string): Overrides {
  const read = readYamlLines(text);
  if (file.toLowerCase().endsWith('.json')) {
    try {
      JSON.parse(text);
    } catch (cause) {
      throw new PricingError(
        'PRICE_OVERRIDES_SYNTAX',
        `${file}: not valid JSON (${(cause as Error).message}); fix the syntax or rename it to .yaml`,
        { cause },
      );
    }
  }
  if (!read.ok)
    throw new PricingError('PRICE_OVERRIDES_SYNTAX', `${file}:${read.line}: not valid YAML: ${read.message}`);
  const result = overridesSchema.safeParse(read.value, { reportInput: true });
  const problems: string[] = [];
  const lineOf = (path: readonly PropertyKey[]): string => {
    const line = read.lineOf(path);
    return line === null ? '' : `:${line}`;
  };
  const locate = (path: readonly PropertyKey[]): string =>
    `${file}${lineOf(path)}: ${formatPath(path) || '(top level)'}`;
  if (!result.success) {
    for (const issue of result.error.issues)
      problems.push(`${locate(issue.path)}: ${problemOf(overridesSchema, issue)}`);
    throw invalid(file, problems);
  }
  const input = result.data;
  const models = (input.models ?? []).map((m, i) => ({
    where: `models[${i}]`,
    id: m.id,
    provider: m.provider ?? null,
    names: m.names ?? [],
    ...effective(m, ['models', i], locate, problems),
    prices: priceSet(m.prices),
  }));
  const discounts = (input.discounts ?? []).map((d, i) => ({
    where: `discounts[${i}]`,
    at: `${file}${lineOf(['discounts', i])}`,
    provider: d.provider ?? null,
    model: d.model ?? null,
    percentOff: toRate(d.percent_off),
    percentText: String(d.percent_off),
    ...effective(d, ['discounts', i], locate, problems),
  }));
  const aliases = new Map<string, string>();
  for (const [name, target] of Object.entries(input.aliases ?? {})) aliases.set(name.toLowerCase(), target);
  if (problems.length > 0) throw invalid(file, problems);
  return { file, hash: hashOf(input), models, aliases, discounts };
}

function invalid(file: string, problems: string[]): PricingError {
  return new PricingError(
    'PRICE_OVERRIDES_INVALID',
    `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'} (format: docs/pricing.md#overrides-file):\n  ${problems.join('\n  ')}`,
  );
}

function effective(
  e: { from?: string | undefined; until?: string | undefined },
  path: (string | number)[],
  locate: (path: readonly PropertyKey[]) => string,
  problems: string[],
): Effective {
  const fromUs = e.from === undefined ? null : toUs(e.from);
  const untilUs = e.until === undefined ? null : toUs(e.until);
  if (fromUs !== null && untilUs !== null && untilUs <= fromUs) {
    problems.push(
      `${locate([...path, 'until'])}: \`until\` (${e.until}) must be after \`from\` (${e.from}); the range is [from, until)`,
    );
  }
  return { fromUs, untilUs };
}

/** A checked instant (overrides-schema.ts) in epoch µs: a date alone is UTC midnight. */
const toUs = parseTimestamp;

function toRate(v: DecimalInput): bigint {
  return typeof v === 'number' ? numberToDecimal(v, RATE_SCALE) : parseDecimal(v, RATE_SCALE);
}

function toTiered(p: PriceInput): TieredRate {
  if (typeof p === 'string' || typeof p === 'number') return { base: toRate(p), tiers: [] };
  const tiers = p.tiers
    .map((t) => ({ start: t.start, price: toRate(t.price) }))
    .sort((a, b) => a.start - b.start);
  return { base: toRate(p.base), tiers };
}

function priceSet(p: Partial<Record<PricePart, PriceInput | undefined>>): PriceSet {
  const out: PriceSet = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k as PricePart] = toTiered(v);
  return out;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

function hashOf(input: OverridesInput): string {
  return createHash('sha256').update(stableJson(input)).digest('hex').slice(0, 8);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

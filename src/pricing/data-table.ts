import { MoneyError, parseDecimal } from '../money/money.js';
import { RATE_SCALE } from './cost.js';
import { PricingError, type PricingErrorCode } from './pricing-errors.js';

/** An error at a place in a data file: `where` (a dotted path) followed by `what`. */
export type Invalid = (where: string, what: string) => PricingError;

/** An entry's name in its provider's object, its dotted path for messages, and its source URL (checked). */
export interface EntryPlace {
  name: string;
  where: string;
  source: string;
}

/** How a data file's entries are shaped, for the messages that say what was expected. */
export interface TableShape {
  /** What a provider's object holds: `tier names`, `tool names`. */
  names: string;
  /** The keys an entry may have (`source` among them). */
  keys: readonly string[];
  /** An entry as the messages describe it: `{multiplier, models, source}`. */
  entry: string;
  /** What the source page publishes: `prices`, `price`. */
  publishes: string;
}

/**
 * Parses a pricing data file shaped `{provider: {name: {…, source}}}` (service-tiers.json, web-search.json), checked
 * by hand: every command that prices reads them, and zod's import alone (110–140 ms) costs more than either file.
 * Checks what every such file shares (JSON, objects, known keys, a source URL) and hands each entry to `parse`, which
 * returns the name it is kept under and its value. Errors carry `code` and name the file and the place.
 */
export function parseProviderTable<T>(
  text: string,
  file: string,
  code: PricingErrorCode,
  shape: TableShape,
  parse: (entry: Record<string, unknown>, at: EntryPlace, invalid: Invalid) => [string, T],
): Map<string, Map<string, T>> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new PricingError(code, `${file}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const invalid: Invalid = (where, what) => new PricingError(code, `${file}: ${where}${what}`);
  if (!isObject(raw)) throw invalid('(top level)', ': expected an object of provider ids');
  const table = new Map<string, Map<string, T>>();
  for (const [provider, names] of Object.entries(raw)) {
    if (!isObject(names)) throw invalid(provider, `: expected an object of ${shape.names}`);
    const byName = new Map<string, T>();
    for (const [name, entry] of Object.entries(names)) {
      const where = `${provider}.${name}`;
      if (!isObject(entry)) throw invalid(where, `: expected ${shape.entry}`);
      const extra = Object.keys(entry).find((k) => !shape.keys.includes(k));
      if (extra !== undefined)
        throw invalid(`${where}.${extra}`, `: unknown key; allowed: ${shape.keys.join(', ')}`);
      if (typeof entry.source !== 'string' || !URL.canParse(entry.source))
        throw invalid(
          `${where}.source`,
          `: expected the URL of the page that publishes the ${shape.publishes}`,
        );
      const [key, value] = parse(entry, { name, where, source: entry.source }, invalid);
      byName.set(key, value);
    }
    table.set(provider, byName);
  }
  return table;
}

/** An entry's `models` object (canonical model id → what `parse` makes of its value); empty when absent. */
export function modelsOf<T>(
  entry: Record<string, unknown>,
  where: string,
  invalid: Invalid,
  parse: (value: unknown, where: string) => T,
): Map<string, T> {
  const models = new Map<string, T>();
  if (entry.models === undefined) return models;
  if (!isObject(entry.models)) throw invalid(`${where}.models`, ': expected an object of model ids');
  for (const [model, v] of Object.entries(entry.models))
    models.set(model, parse(v, `${where}.models.${model}`));
  return models;
}

/** A non-negative decimal at RATE_SCALE digits, exactly, or an error at `where`. */
export function rateDecimal(text: string, where: string, invalid: Invalid): bigint {
  let value: bigint;
  try {
    value = parseDecimal(text, RATE_SCALE);
  } catch (cause) {
    if (!(cause instanceof MoneyError)) throw cause;
    throw invalid(where, `: ${cause.message}`);
  }
  if (value < 0n) throw invalid(where, ' must not be negative');
  return value;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

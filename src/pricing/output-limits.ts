import { parseProviderTable } from './data-table.js';
import type { Resolution } from './resolve.js';

/**
 * The most output tokens a model writes in one answer, from data/output-limits.json, as the providers' model pages
 * publish them ("128,000 max output tokens"). genai-prices lists prices and context windows, not output limits; a
 * budget's worst case needs one when a request names none (budgets/worst-case.ts), since a model then writes up to
 * its own limit. Keyed by the catalog entry's provider and id, so every name the catalog's rules match (dated
 * snapshots, `azure/gpt-4o`) has its model's limit.
 */
export interface OutputLimit {
  tokens: number;
  source: string;
}

/**
 * Output tokens a budget reserves when a request names no limit (`max_tokens`, `max_completion_tokens`,
 * `max_output_tokens`) and the file lists none for its model: a model the file does not know yet, or one only the
 * overrides define. 16,384 is GPT-4o's output ceiling; a call that really writes more is settled at its real cost,
 * so for such a model a `block` budget is exact only for requests that set a limit.
 */
export const FALLBACK_OUTPUT_TOKENS = 16_384;

/** provider id → catalog model id → its output limit. */
export type OutputLimitTable = ReadonlyMap<string, ReadonlyMap<string, OutputLimit>>;

/** The output limit of the model a name resolved to, or null when the file lists none (an override's own model). */
export function outputLimitOf(table: OutputLimitTable, r: Resolution): OutputLimit | null {
  if (r.entry.catalog === null) return null;
  return table.get(r.entry.listedBy)?.get(r.entry.id) ?? null;
}

/** Parses data/output-limits.json (`file` names it in errors), checked by hand as the other data files are. */
export function parseOutputLimits(text: string, file: string): OutputLimitTable {
  return parseProviderTable(
    text,
    file,
    'PRICE_OUTPUT_LIMITS_INVALID',
    {
      names: 'model ids',
      keys: ['max_output_tokens', 'source'],
      entry: '{max_output_tokens, source}',
      publishes: 'limit',
    },
    (entry, { name, where, source }, invalid) => {
      const tokens = entry.max_output_tokens;
      if (typeof tokens !== 'number' || !Number.isSafeInteger(tokens) || tokens <= 0)
        throw invalid(
          `${where}.max_output_tokens`,
          ': expected a positive whole number of tokens, such as 128000',
        );
      return [name, { tokens, source }];
    },
  );
}

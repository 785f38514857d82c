import { MoneyError, parseDecimal } from '../money/money.js';
import { RATE_SCALE } from './cost.js';
import { PricingError } from './pricing-errors.js';

/**
 * The fee a provider's server-side web search tool charges per search, from data/web-search.json: USD per 1,000
 * searches, as the providers publish it (Anthropic $10; OpenAI $10 for `web_search`, $25 for `web_search_preview` on
 * its non-reasoning models). Searches are counted in the event's `web_search_requests`; the fee is in its
 * cost_usd and its rate card (docs/pricing.md, "Web search").
 */
export interface WebSearchPrice {
  /** USD per 1,000 searches at RATE_SCALE digits, and as the file writes it. */
  perThousand: bigint;
  text: string;
  /** Canonical model id → its own price where it differs from the tool's. */
  models: ReadonlyMap<string, { perThousand: bigint; text: string }>;
  source: string;
}

/** provider id → tool name → its price. */
export type WebSearchTable = ReadonlyMap<string, ReadonlyMap<string, WebSearchPrice>>;

/**
 * The tool a call searched with when a provider prices its tools apart: the tag holds the tool's type without its
 * date (`web_search_preview`). Without it the call used the provider's current tool, DEFAULT_TOOL.
 */
export const DEFAULT_TOOL = 'web_search';

/** The price that applies to a call, or null when the provider charges none we know of (docs/pricing.md). */
export function webSearchPrice(
  table: WebSearchTable,
  provider: string,
  model: string,
  tool: string | null,
): { perThousand: bigint; text: string; source: string; tool: string } | null {
  const tools = table.get(provider);
  if (tools === undefined) return null;
  const name = tool !== null && tools.has(tool) ? tool : DEFAULT_TOOL;
  const price = tools.get(name);
  if (price === undefined) return null;
  const { perThousand, text } = price.models.get(model) ?? price;
  return { perThousand, text, source: price.source, tool: name };
}

/** The tool's name as the tag holds it: `web_search_preview_2025_03_11` → `web_search_preview`. */
export function webSearchToolName(type: string): string {
  return type
    .trim()
    .toLowerCase()
    .replace(/_\d{4}_\d{2}_\d{2}$/, '');
}

/**
 * Parses data/web-search.json (`file` names it in errors). Checked by hand, as service-tiers.json is: every command
 * that prices reads it, and zod's import alone costs more than the file.
 */
export function parseWebSearchPrices(text: string, file: string): WebSearchTable {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new PricingError(
      'PRICE_WEB_SEARCH_INVALID',
      `${file}: not valid JSON (${(cause as Error).message})`,
      { cause },
    );
  }
  const invalid = (where: string, what: string) =>
    new PricingError('PRICE_WEB_SEARCH_INVALID', `${file}: ${where}${what}`);
  if (!isObject(raw)) throw invalid('(top level)', ': expected an object of provider ids');
  const table = new Map<string, Map<string, WebSearchPrice>>();
  for (const [provider, tools] of Object.entries(raw)) {
    if (!isObject(tools)) throw invalid(provider, ': expected an object of tool names');
    const byTool = new Map<string, WebSearchPrice>();
    for (const [tool, entry] of Object.entries(tools)) {
      const where = `${provider}.${tool}`;
      if (!isObject(entry)) throw invalid(where, ': expected {per_1k, models?, source}');
      const extra = Object.keys(entry).find((k) => !ENTRY_KEYS.includes(k));
      if (extra !== undefined)
        throw invalid(`${where}.${extra}`, `: unknown key; allowed: ${ENTRY_KEYS.join(', ')}`);
      if (typeof entry.source !== 'string' || !URL.canParse(entry.source))
        throw invalid(`${where}.source`, ': expected the URL of the page that publishes the price');
      const models = new Map<string, { perThousand: bigint; text: string }>();
      if (entry.models !== undefined) {
        if (!isObject(entry.models)) throw invalid(`${where}.models`, ': expected an object of model ids');
        for (const [model, v] of Object.entries(entry.models))
          models.set(model, amount(v, `${where}.models.${model}`));
      }
      byTool.set(webSearchToolName(tool), {
        ...amount(entry.per_1k, `${where}.per_1k`),
        models,
        source: entry.source,
      });
    }
    table.set(provider, byTool);
  }
  return table;

  function amount(v: unknown, where: string): { perThousand: bigint; text: string } {
    if (typeof v !== 'string')
      throw invalid(where, ': expected a decimal string of USD per 1,000 searches, such as "10"');
    let perThousand: bigint;
    try {
      perThousand = parseDecimal(v, RATE_SCALE);
    } catch (cause) {
      if (!(cause instanceof MoneyError)) throw cause;
      throw invalid(where, `: ${cause.message}`);
    }
    if (perThousand < 0n) throw invalid(where, ' must not be negative');
    return { perThousand, text: v };
  }
}

const ENTRY_KEYS = ['per_1k', 'models', 'source'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

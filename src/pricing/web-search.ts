import { modelsOf, parseProviderTable, rateDecimal } from './data-table.js';

/**
 * The fee a provider's server-side web search tool charges per search, from data/web-search.json: USD per 1,000
 * searches, as the providers publish it (Anthropic $10; OpenAI $10 for `web_search`, $25 for `web_search_preview` on
 * its non-reasoning models). Searches are counted in the event's `web_search_requests`; the fee is in its
 * cost_usd and its rate card (docs/pricing.md, "Web search").
 */
interface WebSearchPrice {
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

/** Parses data/web-search.json (`file` names it in errors), checked by hand as service-tiers.json is. */
export function parseWebSearchPrices(text: string, file: string): WebSearchTable {
  return parseProviderTable(
    text,
    file,
    'PRICE_WEB_SEARCH_INVALID',
    {
      names: 'tool names',
      keys: ['per_1k', 'models', 'source'],
      entry: '{per_1k, models?, source}',
      publishes: 'price',
    },
    (entry, { name, where, source }, invalid) => {
      const amount = (v: unknown, at: string): { perThousand: bigint; text: string } => {
        if (typeof v !== 'string')
          throw invalid(at, ': expected a decimal string of USD per 1,000 searches, such as "10"');
        return { perThousand: rateDecimal(v, at, invalid), text: v };
      };
      const models = modelsOf(entry, where, invalid, amount);
      return [webSearchToolName(name), { ...amount(entry.per_1k, `${where}.per_1k`), models, source }];
    },
  );
}

/**
 * Which provider export a saved page is, from its shape alone, so a page given to the wrong `import` source is
 * refused once, naming the command that reads it, instead of every bucket being reported as a broken record
 * ("data[0].starting_at: expected a non-empty string") the user cannot fix. Shared by the provider-export sources,
 * which must not import from one another (STYLE.md §1).
 */
import { isObject } from './json-fields.js';

export type ExportKind = 'openai-usage' | 'anthropic-usage' | 'cursor';

/** The source that reads `page`, or null when the shape is none of them (an error body, an empty page). */
function exportKindOf(page: unknown): ExportKind | null {
  if (!isObject(page)) return null;
  if (Array.isArray(page.usageEvents)) return 'cursor';
  if (!Array.isArray(page.data)) return null;
  // OpenAI: {object: "page", data: [{object: "bucket", start_time, end_time, results}]}.
  if (page.object === 'page') return 'openai-usage';
  const first: unknown = page.data[0];
  if (!isObject(first)) return null;
  if (first.object === 'bucket' || typeof first.start_time === 'number') return 'openai-usage';
  // Anthropic: buckets {starting_at, ending_at, results}, or Claude Code records {date, actor, …}.
  if ('starting_at' in first || 'actor' in first) return 'anthropic-usage';
  return null;
}

const WHAT: Record<ExportKind, string> = {
  'openai-usage': 'an OpenAI Admin API usage/costs page',
  'anthropic-usage': 'an Anthropic Admin API usage, cost or Claude Code report page',
  cursor: 'a Cursor Admin API filtered-usage-events response',
};

/** Message for a page of another source's export, or null when `page` is not recognisably one. */
export function wrongSourceMessage(page: unknown, reader: ExportKind): string | null {
  const kind = exportKindOf(page);
  if (kind === null || kind === reader) return null;
  return `${WHAT[kind]}, not ${WHAT[reader]}; import it with \`tokenledger import ${kind} FILE\``;
}

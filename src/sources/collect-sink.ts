/**
 * A Sink that keeps everything in memory: for tests and for callers that want a small export's records as values.
 */
import type { UnpricedEvent } from '../ledger/event.js';
import type { ActivityRecord, ProviderCostRecord } from './provider-records.js';
import { readLines } from './read-lines.js';
import type { LineSource, ParseContext, Sink, Skip } from './source.js';

export interface CollectingSink extends Required<Sink> {
  readonly events: UnpricedEvent[];
  readonly skips: Skip[];
  readonly costs: ProviderCostRecord[];
  readonly activities: ActivityRecord[];
}

export function createCollectingSink(): CollectingSink {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const costs: ProviderCostRecord[] = [];
  const activities: ActivityRecord[] = [];
  return {
    events,
    skips,
    costs,
    activities,
    event: (e) => void events.push(e),
    skip: (s) => void skips.push(s),
    cost: (r) => void costs.push(r),
    activity: (r) => void activities.push(r),
  };
}

/** Runs a source over one file, as the import pipeline would, and returns everything it produced. */
export async function collectFile(
  source: LineSource,
  path: string,
  ctx: Partial<ParseContext> = {},
): Promise<CollectingSink> {
  const sink = createCollectingSink();
  const parser = source.open({ path, ingestedAt: 0, ...ctx }, sink);
  for await (const line of readLines(path)) parser.line(line.text, line.lineNo);
  parser.end();
  return sink;
}

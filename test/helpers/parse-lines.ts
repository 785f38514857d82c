import type { UnpricedEvent } from '../../src/ledger/event.js';
import type { LineSource, ParseContext, Skip } from '../../src/sources/source.js';

/** Runs a source's parser over in-memory lines, as the import pipeline would, and collects what it emits. */
export function parseLines(source: LineSource, lines: readonly string[], ctx: Partial<ParseContext> = {}) {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const parser = source.open(
    { path: 'test.in', ingestedAt: 1_700_000_000_000_000, ...ctx },
    { event: (e) => events.push(e), skip: (s) => skips.push(s) },
  );
  for (const [i, l] of lines.entries()) parser.line(l, i + 1);
  parser.end();
  return { events, skips };
}

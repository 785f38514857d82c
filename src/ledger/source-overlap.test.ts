import { describe, expect, it } from 'vitest';
import { overlapNotes, sourceOverlaps, widthOverlaps } from './source-overlap.js';

const row = (day: string, source: string, provider: string) => ({
  bucket: `${day}T00:00:00.000Z`,
  dims: { source, provider },
});

describe('sourceOverlaps', () => {
  it("finds the days a provider's usage is in the ledger both as its export and call by call", () => {
    const overlaps = sourceOverlaps([
      row('2026-03-01', 'anthropic-usage', 'anthropic'),
      row('2026-03-01', 'claude-code', 'anthropic'),
      row('2026-03-02', 'anthropic-usage', 'anthropic'),
      row('2026-03-02', 'claude-code', 'anthropic'),
      // Alone on its day: nothing to count twice.
      row('2026-03-03', 'anthropic-usage', 'anthropic'),
      // Per-call sources together are not an overlap (their own dedupe rules apply: docs/otel/README.md).
      row('2026-03-01', 'gateway', 'openai'),
      row('2026-03-01', 'codex', 'openai'),
      // Another provider's export does not overlap this provider's calls.
      row('2026-03-04', 'openai-usage', 'openai'),
      row('2026-03-04', 'claude-code', 'anthropic'),
    ]);
    expect(overlaps).toEqual([
      {
        provider: 'anthropic',
        sources: ['anthropic-usage', 'claude-code'],
        bucket_seconds: [],
        first: '2026-03-01',
        last: '2026-03-02',
        days: 2,
      },
    ]);
    expect(overlapNotes(overlaps)).toEqual([
      'note: anthropic usage on 2 days from 2026-03-01 to 2026-03-02 is in the ledger as the provider reports it (anthropic-usage) and call by call from claude-code: where they describe the same calls these totals count them twice; report one view with --where source=anthropic-usage',
    ]);
  });
});

const widthRow = (day: string, source: string, operation: string, seconds: number) => ({
  bucket: `${day}T00:00:00.000Z`,
  dims: { source, provider: 'openai', operation, 'tag.bucket_seconds': String(seconds) },
});

describe('widthOverlaps', () => {
  it('finds the days one export holds at two bucket widths, which a sum counts twice', () => {
    const overlaps = widthOverlaps([
      widthRow('2026-03-01', 'openai-usage', 'completions', 86_400),
      widthRow('2026-03-01', 'openai-usage', 'completions', 3_600),
      // A second operation overlapping on the same day does not count the day again.
      widthRow('2026-03-01', 'openai-usage', 'embeddings', 86_400),
      widthRow('2026-03-01', 'openai-usage', 'embeddings', 3_600),
      widthRow('2026-03-03', 'openai-usage', 'completions', 86_400),
      widthRow('2026-03-03', 'openai-usage', 'completions', 3_600),
      // One width a day, even if it changes from day to day, counts nothing twice.
      widthRow('2026-03-04', 'openai-usage', 'completions', 86_400),
      widthRow('2026-03-05', 'openai-usage', 'completions', 3_600),
      // Different operations at different widths are different usage.
      widthRow('2026-03-06', 'openai-usage', 'completions', 86_400),
      widthRow('2026-03-06', 'openai-usage', 'embeddings', 3_600),
    ]);
    expect(overlaps).toEqual([
      {
        provider: 'openai',
        sources: ['openai-usage'],
        bucket_seconds: [3_600, 86_400],
        first: '2026-03-01',
        last: '2026-03-03',
        days: 2,
      },
    ]);
    expect(overlapNotes(overlaps)).toEqual([
      'note: openai usage on 2 days from 2026-03-01 to 2026-03-03 is in the ledger from openai-usage at two bucket widths (1 hour and 1 day): these totals count it twice; report one width with --where tag.bucket_seconds=3600',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { overlapNotes, sourceOverlaps } from './source-overlap.js';

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

import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { endpoint, TextReply } from './endpoint.js';
import { since, tz, until } from './params.js';
import { parseRange } from './query-input.js';

/**
 * The range's FOCUS 1.2 dataset (docs/focus.md), for FinOps tools that pull their cost data: the CSV
 * `tokenledger export --format focus` writes, sent as the store writes it, with the events it left out (no price) in
 * its headers. Admin only: it is every team's spend, with no filter a viewer's scope could narrow it by.
 */
export const focusEndpoint = endpoint({
  method: 'GET',
  path: '/api/focus',
  summary: 'The FOCUS 1.2 cost and usage dataset of a range, as CSV (docs/focus.md)',
  admin: true,
  params: { since, until, tz },
  response: z.string().describe('text/csv: the FOCUS columns, a row per day, attribution and charge'),
  async handle(c, p) {
    const range = parseRange(p, c.now());
    // The store writes a file (DuckDB's COPY), beside the ledger on its own disk; it is read back as it is sent.
    const dir = await mkdtemp(join(dirname(c.ledgerPath), '.focus-'));
    try {
      const path = join(dir, 'focus.csv');
      const { unpriced } = await c.store.export({ format: 'focus', path, ...range });
      // A FOCUS cost cannot be unknown, so events with no price are not rows: the headers say how many, as the CLI
      // does, so a tool that pulls the dataset can tell its total from the ledger's.
      return new TextReply('text/csv; charset=utf-8', sendThenRemove(path, dir), 'focus.csv', {
        'x-tokenledger-unpriced-events': String(unpriced?.events ?? 0),
        'x-tokenledger-unpriced-tokens': String(unpriced?.tokens ?? 0),
      });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  },
});

async function* sendThenRemove(path: string, dir: string): AsyncGenerator<string> {
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8' })) yield chunk as string;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

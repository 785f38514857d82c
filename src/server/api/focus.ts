import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { endpoint, FileReply } from './endpoint.js';
import { since, tz, until } from './params.js';
import { parseRange } from './query-input.js';

/**
 * The range's FOCUS 1.2 dataset (docs/focus.md), for FinOps tools that pull their cost data: the CSV (or Parquet)
 * `tokenledger export --format focus` (`focus-parquet`) writes, sent as the store writes it, with the events it left
 * out (no price) in its headers. Admin only: it is every team's spend, with no filter a viewer's scope could narrow
 * it by.
 */
export const focusEndpoint = endpoint({
  method: 'GET',
  path: '/api/focus',
  summary: 'The FOCUS 1.2 cost and usage dataset of a range, as CSV or typed Parquet (docs/focus.md)',
  admin: true,
  params: {
    since,
    until,
    tz,
    format: z
      .enum(['csv', 'parquet'])
      .optional()
      .describe('csv (the default) or parquet, with typed columns'),
  },
  response: z
    .string()
    .describe('text/csv or Parquet: the FOCUS columns, a row per day, attribution and charge'),
  async handle(c, p) {
    const range = parseRange(p, c.now());
    const parquet = p.format === 'parquet';
    const file = parquet ? 'focus.parquet' : 'focus.csv';
    // The store writes a file (DuckDB's COPY), beside the ledger on its own disk; it is read back as it is sent.
    const dir = await mkdtemp(join(dirname(c.ledgerPath), '.focus-'));
    try {
      const path = join(dir, file);
      const { unpriced } = await c.store.export({
        format: parquet ? 'focus-parquet' : 'focus',
        path,
        ...range,
      });
      // A FOCUS cost cannot be unknown, so events with no price are not rows: the headers say how many, as the CLI
      // does, so a tool that pulls the dataset can tell its total from the ledger's.
      const type = parquet ? 'application/vnd.apache.parquet' : 'text/csv; charset=utf-8';
      return new FileReply(type, sendThenRemove(path, dir, parquet), file, {
        'x-tokenledger-unpriced-events': String(unpriced?.events ?? 0),
        'x-tokenledger-unpriced-tokens': String(unpriced?.tokens ?? 0),
      });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  },
});

async function* sendThenRemove(
  path: string,
  dir: string,
  binary: boolean,
): AsyncGenerator<string | Uint8Array> {
  try {
    for await (const chunk of createReadStream(path, binary ? {} : { encoding: 'utf8' }))
      yield chunk as string | Uint8Array;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

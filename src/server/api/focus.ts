import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { focusMetadata } from '../../store/focus/metadata.js';
import { TOKENLEDGER_VERSION } from '../../version.js';
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
        // FOCUS: the dataset refers to its schema metadata, which can be read without reading the data.
        link: `<${focusMetadataEndpoint.path}>; rel="describedby"; type="application/json"`,
      });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  },
});

/**
 * The schema metadata of the dataset /api/focus serves (store/focus/metadata.ts): its columns and their types, the
 * FOCUS version and who generated it. Any token may read it: it holds no spend.
 */
export const focusMetadataEndpoint = endpoint({
  method: 'GET',
  path: '/api/focus/metadata',
  summary: 'The FOCUS 1.2 schema metadata of the dataset /api/focus serves (docs/focus.md, Metadata)',
  params: {},
  response: z.object({
    DataGenerator: z.string(),
    SchemaId: z.string().describe('a GUID, the same while the columns and versions are'),
    FocusVersion: z.string(),
    CreationDate: z.string().describe('UTC, YYYY-MM-DDTHH:mm:ssZ'),
    DataGeneratorVersion: z.string(),
    ColumnDefinition: z.array(
      z.object({
        ColumnName: z.string(),
        DataType: z.enum(['STRING', 'DECIMAL', 'DATETIME', 'JSON']),
        NumericPrecision: z.number().int().optional(),
        NumberScale: z.number().int().optional(),
        StringEncoding: z.literal('UTF-8').optional(),
        ProviderTagPrefixes: z.array(z.string()).optional(),
      }),
    ),
  }),
  async handle(c) {
    return focusMetadata(c.now(), TOKENLEDGER_VERSION);
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

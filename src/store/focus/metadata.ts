import { createHash } from 'node:crypto';
import { FOCUS_COLUMNS, FOCUS_TYPES, FOCUS_VERSION, type FocusColumn } from './dataset.js';

/**
 * FOCUS metadata for the dataset the ledger exports: who generated it, and the schema of its columns. FOCUS requires
 * schema metadata for every dataset ("Schema metadata MUST be provided for every FOCUS dataset"), retrievable without
 * reading the data, so it is written beside an exported file (`metadataPathOf`) and served at /api/focus/metadata.
 * FOCUS 1.2 names its parts and properties but no document layout: here they are one JSON object, the data
 * generator's property first, then the schema's (docs/focus.md, Metadata).
 */
export interface FocusMetadata {
  DataGenerator: string;
  /** A GUID that names this schema: the same for the same columns, types, FOCUS version and tokenledger version. */
  SchemaId: string;
  FocusVersion: string;
  /** When this metadata (with its dataset) was written: UTC, `YYYY-MM-DDTHH:mm:ssZ`. */
  CreationDate: string;
  DataGeneratorVersion: string;
  ColumnDefinition: ColumnDefinition[];
}

export interface ColumnDefinition {
  ColumnName: string;
  DataType: 'STRING' | 'DECIMAL' | 'DATETIME' | 'JSON';
  NumericPrecision?: number;
  NumberScale?: number;
  StringEncoding?: 'UTF-8';
  /** Tags only: the prefixes of provider-defined tag keys. None: every key is the customer's own attribution. */
  ProviderTagPrefixes?: string[];
}

/** The columns whose text is a JSON object: Tags, and SkuPriceDetails with its x_-prefixed keys. */
const JSON_COLUMNS: ReadonlySet<FocusColumn> = new Set(['Tags', 'SkuPriceDetails']);

/** The typed file's decimals are DECIMAL(38, scale) (duckdb/focus-export.ts, clickhouse/focus-export.ts). */
const DECIMAL_PRECISION = 38;

export function columnDefinition(c: FocusColumn): ColumnDefinition {
  const type = FOCUS_TYPES[c];
  if (type === 'instant') return { ColumnName: c, DataType: 'DATETIME' };
  if (type !== 'text')
    return {
      ColumnName: c,
      DataType: 'DECIMAL',
      NumericPrecision: DECIMAL_PRECISION,
      NumberScale: type.decimal,
    };
  if (c === 'Tags')
    return { ColumnName: c, DataType: 'JSON', StringEncoding: 'UTF-8', ProviderTagPrefixes: [] };
  return { ColumnName: c, DataType: JSON_COLUMNS.has(c) ? 'JSON' : 'STRING', StringEncoding: 'UTF-8' };
}

/**
 * The metadata of a dataset written at `created` (epoch µs). No StringMaxLength (a SHOULD): names, ids and
 * descriptions come from the ledger's attribution and the price catalog, with no bound to promise.
 */
export function focusMetadata(
  created: number,
  generatorVersion: string,
  columns: readonly FocusColumn[] = FOCUS_COLUMNS,
): FocusMetadata {
  const ColumnDefinition = columns.map(columnDefinition);
  return {
    DataGenerator: 'tokenledger',
    SchemaId: schemaId(JSON.stringify([FOCUS_VERSION, generatorVersion, ColumnDefinition])),
    FocusVersion: FOCUS_VERSION,
    CreationDate: `${new Date(Math.floor(created / 1000)).toISOString().slice(0, 19)}Z`,
    DataGeneratorVersion: generatorVersion,
    ColumnDefinition,
  };
}

/**
 * A name-based GUID (RFC 9562 version 8: SHA-256 of the schema's description, with the version and variant bits
 * set), so a schema keeps its id across exports and any change to it gets a new one, as FOCUS asks of a new schema.
 */
function schemaId(description: string): string {
  const b = createHash('sha256').update(description).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Where an exported file's metadata goes: beside it, its extension replaced (`focus.csv` → `focus.metadata.json`). */
export function metadataPathOf(output: string): string {
  return `${output.replace(/\.(csv|parquet)$/i, '')}.metadata.json`;
}

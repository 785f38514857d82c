import { describe, expect, it } from 'vitest';
import { FOCUS_COLUMNS } from './dataset.js';
import { focusMetadata, metadataPathOf } from './metadata.js';

const AT = Date.UTC(2026, 11, 7, 7, 5, 9, 750) * 1000;

describe('FOCUS schema metadata', () => {
  it('keeps its schema id for the same schema, and gets a new one when a column or a version changes', () => {
    const m = focusMetadata(AT, '0.1.0');
    expect(m.CreationDate).toBe('2026-12-07T07:05:09Z');
    expect(focusMetadata(AT + 86_400_000_000, '0.1.0').SchemaId).toBe(m.SchemaId);
    expect(focusMetadata(AT, '0.2.0').SchemaId).not.toBe(m.SchemaId);
    expect(focusMetadata(AT, '0.1.0', FOCUS_COLUMNS.slice(1)).SchemaId).not.toBe(m.SchemaId);
  });

  it('types each column as the typed file holds it', () => {
    const byName = new Map(focusMetadata(AT, '0.1.0').ColumnDefinition.map((c) => [c.ColumnName, c]));
    expect(byName.get('ListUnitPrice')).toEqual({
      ColumnName: 'ListUnitPrice',
      DataType: 'DECIMAL',
      NumericPrecision: 38,
      NumberScale: 18,
    });
    expect(byName.get('ChargePeriodStart')).toEqual({
      ColumnName: 'ChargePeriodStart',
      DataType: 'DATETIME',
    });
    expect(byName.get('SkuPriceDetails')?.DataType).toBe('JSON');
    expect(byName.get('Tags')).toMatchObject({ DataType: 'JSON', ProviderTagPrefixes: [] });
    expect(byName.get('x_Model')).toEqual({
      ColumnName: 'x_Model',
      DataType: 'STRING',
      StringEncoding: 'UTF-8',
    });
  });

  it('goes beside the file it describes', () => {
    expect(metadataPathOf('out/focus.csv')).toBe('out/focus.metadata.json');
    expect(metadataPathOf('focus.PARQUET')).toBe('focus.metadata.json');
    expect(metadataPathOf('dataset')).toBe('dataset.metadata.json');
  });
});

import { describe, expect, it } from 'vitest';
import { csvCell } from './csv.js';

describe('csvCell', () => {
  it('quotes as DuckDB does: only what a reader could misread', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell('')).toBe('""');
    expect(csvCell('plain text, é')).toBe('"plain text, é"');
    expect(csvCell('a"b')).toBe('"a""b"');
    expect(csvCell('a#b')).toBe('"a#b"');
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell('a\rb')).toBe('"a\rb"');
    expect(csvCell(" a\tb'\\N ")).toBe(" a\tb'\\N ");
    expect(csvCell('NULL')).toBe('NULL');
  });
});

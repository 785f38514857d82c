import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseSql } from './clickhouse-sql.js';
import { csvCell, csvCellSql } from './csv.js';
import { startChdbServer } from './testing/chdb-server.js';

const CELLS: (string | null)[] = [
  null,
  '',
  'plain text, é',
  'a"b',
  'a#b',
  'a\nb',
  'a\rb',
  " a\tb'\\N ",
  'NULL',
  '😀\u2028',
];

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

describe('csvCellSql', () => {
  let server: Awaited<ReturnType<typeof startChdbServer>>;
  beforeAll(async () => {
    server = await startChdbServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('quotes in ClickHouse as csvCell does', async () => {
    const sql = await ClickHouseSql.open(`${server.url}/csv`);
    try {
      const rows = await sql.rows(
        'quoting cells',
        `SELECT ${csvCellSql('v')} AS cell FROM (SELECT arrayJoin({cells:Array(Nullable(String))}) AS v)`,
        { cells: CELLS },
      );
      expect(rows.map((r) => r.cell)).toEqual(CELLS.map(csvCell));
    } finally {
      await sql.close();
    }
  });
});

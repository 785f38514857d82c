/**
 * A CSV cell as DuckDB's COPY writes one (RFC 4180 quoting), so that a file from ClickHouse is byte for byte the
 * file from DuckDB: empty for NULL; quoted, with quotes doubled, when it is the empty string (to tell it from NULL)
 * or holds a comma, quote, line break or `#` (DuckDB quotes what a reader could take for a comment).
 */
export function csvCell(v: string | null): string {
  if (v === null) return '';
  return v === '' || /[",#\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/**
 * csvCell in ClickHouse's SQL, of a text expression: so that ClickHouse writes a file's lines itself, which it does in
 * a fraction of the time of JavaScript quoting every cell (focus-export.ts).
 */
export function csvCellSql(text: string): string {
  const v = `CAST(${text} AS Nullable(String))`;
  return `if(isNull(${v}), '', if(${v} = '' OR match(${v}, '[",#\\r\\n]'),
    concat('"', replaceAll(assumeNotNull(${v}), '"', '""'), '"'), assumeNotNull(${v})))`;
}

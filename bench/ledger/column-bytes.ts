/**
 * Bytes per event on disk, by table and column, and the file's free blocks. A segment's size is estimated as the
 * distance to the next segment in its block (or to the block's end): pragma_storage_info gives offsets, not sizes.
 *
 *   node --import tsx bench/ledger/column-bytes.ts LEDGER.duckdb
 */
import { statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [db] = process.argv.slice(2) as [string];
const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
const c = await instance.connect();
const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRows();
const events = Number((await rows('SELECT count(*) FROM events'))[0]![0]);
const per = (b: number) => (b / events).toFixed(3);
const file = statSync(db).size;
const [total, used, free, blockSize] = (
  await rows('SELECT total_blocks, used_blocks, free_blocks, block_size FROM pragma_database_size()')
)[0]!.map(Number) as [number, number, number, number];
console.log(
  `${events} events, file ${file} B = ${per(file)} B/event; blocks ${total} (${used} used, ${free} free = ${per(free * blockSize)} B/event)`,
);
const segs: { table: string; column: string; block: number; offset: number; codec: string }[] = [];
for (const t of ['events', 'contexts', 'rollup_day', 'rate_cards', 'meta']) {
  for (const r of await rows(
    `SELECT column_name, segment_type, block_id, block_offset, compression FROM pragma_storage_info('${t}') WHERE persistent AND block_id >= 0`,
  )) {
    segs.push({
      table: t,
      column: `${r[0]}${r[1] === 'VALIDITY' ? ' (validity)' : ''}`,
      block: Number(r[2]),
      offset: Number(r[3]),
      codec: String(r[4]),
    });
  }
}
segs.sort((a, b) => a.block - b.block || a.offset - b.offset);
const size = new Map<string, { bytes: number; codecs: Set<string> }>();
for (const [i, s] of segs.entries()) {
  const next = segs[i + 1];
  const end = next && next.block === s.block ? next.offset : blockSize;
  const k = `${s.table}.${s.column}`;
  const v = size.get(k) ?? { bytes: 0, codecs: new Set() };
  v.bytes += end - s.offset;
  v.codecs.add(s.codec);
  size.set(k, v);
}
const byTable = new Map<string, number>();
for (const [k, v] of size) byTable.set(k.split('.')[0]!, (byTable.get(k.split('.')[0]!) ?? 0) + v.bytes);
for (const [t, b] of byTable) console.log(`${per(b).padStart(8)}  ${t}`);
console.log('---');
for (const [k, v] of [...size]
  .sort((a, b) => b[1].bytes - a[1].bytes)
  .filter(([, v]) => v.bytes / events > 0.01))
  console.log(`${per(v.bytes).padStart(8)}  ${k}  ${[...v.codecs].join(',')}`);
c.closeSync();

import { afterAll, beforeAll, expect, it } from 'vitest';
import { runRecordSetSuite } from '../../records/record-set.case.test.js';
import type { RecordKind, SetRecord } from '../../records/record-set.js';
import { clickHouseRecordSet, RECORDS_TABLE_SQL } from './clickhouse-record-set.js';
import { ClickHouseSql } from './clickhouse-sql.js';
import { startChdbServer } from './testing/chdb-server.js';

// ClickHouse's engine behind its HTTP interface (testing/chdb-server.ts); each set gets a database of its own, and
// each handle a connection of its own, as two gateway instances on one database have.
let server: Awaited<ReturnType<typeof startChdbServer>>;
let databases = 0;

beforeAll(async () => {
  server = await startChdbServer();
});
afterAll(async () => {
  await server.close();
});

const NOTES: RecordKind = {
  name: 'notes',
  corrupt: ['NOTES_CORRUPT', 'not a notes file'],
};

async function twoConnections(): Promise<[ClickHouseSql, ClickHouseSql]> {
  const url = `${server.url}/records_${++databases}`;
  const a = await ClickHouseSql.open(url);
  await a.run('creating the records table', RECORDS_TABLE_SQL);
  return [a, await ClickHouseSql.open(url)];
}

runRecordSetSuite('clickhouse', async () => {
  const [x, y] = await twoConnections();
  return {
    a: clickHouseRecordSet(x, NOTES),
    b: clickHouseRecordSet(y, NOTES),
    close: async () => {
      await x.close();
      await y.close();
    },
  };
});

it('keeps every record two instances put at the same moment, and each kind apart', async () => {
  const [x, y] = await twoConnections();
  const a = clickHouseRecordSet<SetRecord>(x, NOTES);
  const b = clickHouseRecordSet<SetRecord>(y, NOTES);
  const other = clickHouseRecordSet<SetRecord>(y, { ...NOTES, name: 'other' });
  const at = (i: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, i)).toISOString();
  // A file set, read and rewritten whole, would lose some of these; a row per record loses none.
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? a : b).put({ id: `n${String(i).padStart(2, '0')}`, created_at: at(i) }),
    ),
  );
  await other.put({ id: 'elsewhere', created_at: at(0) });
  expect((await b.list()).map((r) => r.id)).toEqual(
    Array.from({ length: 20 }, (_, i) => `n${String(i).padStart(2, '0')}`),
  );
  expect(await other.list()).toEqual([{ id: 'elsewhere', created_at: at(0) }]);
  await x.close();
  await y.close();
});

it('a row that is not a record is an error naming the table, the kind and the id', async () => {
  const [x, y] = await twoConnections();
  await x.insert('planting', 'records', [
    { kind: 'notes', id: 'n1', created_at: '', body: '{oops', removed: false },
  ]);
  await expect(clickHouseRecordSet(y, NOTES).list()).rejects.toMatchObject({
    code: 'NOTES_CORRUPT',
    message: expect.stringMatching(/records \(kind notes\), id n1: /),
  });
  await x.close();
  await y.close();
});

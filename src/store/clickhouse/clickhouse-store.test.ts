import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreSuite } from '../store.case.test.js';
import { makeEvent, randomEvents } from '../testing/event-factory.js';
import { bindPositional } from './clickhouse-sql.js';
import { CLICKHOUSE_STORE, createClickHouseStore } from './clickhouse-store.js';
import { startChdbServer } from './testing/chdb-server.js';

// ClickHouse's own engine (chDB) behind its HTTP interface, reached by the official client: the store's SQL runs on
// what a ClickHouse server runs. One server; each store gets a database of its own.
let server: Awaited<ReturnType<typeof startChdbServer>>;
let databases = 0;
const freshUrl = () => `${server.url}/ledger_${++databases}`;

beforeAll(async () => {
  server = await startChdbServer();
});
afterAll(async () => {
  await server.close();
});

runStoreSuite('clickhouse', () => createClickHouseStore(freshUrl()));

describe('ClickHouse store', () => {
  it('counts an event once when two instances append it at the same time', async () => {
    const url = freshUrl();
    const [a, b] = await Promise.all([createClickHouseStore(url), createClickHouseStore(url)]);
    expect(a.id).toBe(CLICKHOUSE_STORE);
    const events = randomEvents(400, 3);
    // Both see none of them stored, and both insert all 400: the table holds each twice until parts merge.
    const [ra, rb] = await Promise.all([a.append(events), b.append(events.slice(100))]);
    expect(ra.inserted + ra.duplicates).toBe(400);
    expect(rb.inserted + rb.duplicates).toBe(300);
    expect(await a.count()).toBe(400);
    const expected = events.reduce((sum, e) => sum + (e.cost_usd ?? 0n), 0n);
    expect((await b.query({ dimensions: [] })).totals.cost_usd).toBe(expected);
    expect((await b.query({ dimensions: [] })).totals.events).toBe(400);
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps what it stored across reopening', async () => {
    const url = freshUrl();
    const first = await createClickHouseStore(url);
    await first.append([makeEvent(1), makeEvent(2)]);
    await first.close();
    const again = await createClickHouseStore(url);
    expect(await again.append([makeEvent(2), makeEvent(3)])).toMatchObject({ inserted: 1, duplicates: 1 });
    expect(await again.count()).toBe(3);
    await again.close();
  });

  it('refuses a URL that names no database, without showing its password', async () => {
    const bare = server.url.replace('http://', 'http://ada:s3cret@');
    await expect(createClickHouseStore(bare)).rejects.toMatchObject({
      code: 'STORE_OPEN_FAILED',
      message: expect.stringContaining('names no database'),
    });
    await expect(createClickHouseStore(bare)).rejects.toMatchObject({
      message: expect.not.stringContaining('s3cret'),
    });
  });

  it('says which statement ClickHouse refused', async () => {
    await expect(createClickHouseStore('http://127.0.0.1:1/tokenledger')).rejects.toMatchObject({
      code: 'STORE_SQL_FAILED',
      message: expect.stringContaining('creating database tokenledger'),
    });
  });
});

describe('bindPositional', () => {
  it('turns positional placeholders into typed named ones, in order', () => {
    expect(bindPositional('SELECT ? AS a, ? AS b, ? AS c, ? AS d', ['x', 5, 2.5, 12n])).toEqual([
      'SELECT {p0:String} AS a, {p1:Int64} AS b, {p2:Float64} AS c, {p3:Int64} AS d',
      { p0: 'x', p1: 5, p2: 2.5, p3: '12' },
    ]);
  });

  it('leaves a question mark inside quotes alone', () => {
    expect(bindPositional(`SELECT 'why?', \`a?\`, 'it\\'s?', ?`, ['v'])).toEqual([
      `SELECT 'why?', \`a?\`, 'it\\'s?', {p0:String}`,
      { p0: 'v' },
    ]);
  });

  it('refuses parameters that do not match the placeholders', () => {
    expect(() => bindPositional('SELECT ?', [])).toThrow(/placeholders/);
    expect(() => bindPositional('SELECT 1', ['x'])).toThrow(/1 parameters for 0 placeholders/);
  });
});

import {
  type ClickHouseClientConfigOptions,
  ClickHouseError,
  ClickHouseLogLevel,
  createClient,
} from '@clickhouse/client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startChdbServer } from './chdb-server.js';

/** The official client on a fresh server, both closed when the test ends; the client would log expected errors. */
async function connect(config: ClickHouseClientConfigOptions = {}) {
  const server = await startChdbServer();
  const client = createClient({ log: { level: ClickHouseLogLevel.OFF }, ...config, url: server.url });
  onTestFinished(async () => {
    await client.close();
    await server.close();
  });
  return client;
}

const rowsOf = async (client: ReturnType<typeof createClient>, query: string, more: object = {}) =>
  (await client.query({ query, format: 'JSONEachRow', ...more })).json<Record<string, unknown>>();

/** Every character the client escapes in a parameter's text form, and a double quote. */
const awkward = 'it\'s a \\ back\\\\slash,\ta tab,\na newline,\r\n"quoted", \\N and \\t as text';

/** ClickHouse 26 writes 64-bit and wider integers as bare JSON numbers, which JSON.parse would round. */
const exactIntegers = { clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } };

const LEFT_JOIN =
  'SELECT r.n AS n, r.s AS s FROM (SELECT 1 AS k) AS l LEFT JOIN (SELECT 2 AS k, 7 AS n, 1 AS s) AS r ON l.k = r.k';

describe('chdb server, through @clickhouse/client', () => {
  it('answers ping', async () => {
    const client = await connect();
    expect(await client.ping()).toEqual({ success: true });
  });

  it('creates a table by command, inserts JSONEachRow rows and reads them back exactly', async () => {
    const client = await connect();
    await client.command({
      query: `CREATE TABLE calls (
        at DateTime64(6, 'UTC'), n Int128, tag LowCardinality(Nullable(String)), attrs Map(String, String)
      ) ENGINE = MergeTree ORDER BY at`,
    });
    const rows = [
      {
        at: '2024-01-02 03:04:05.123456',
        n: '170141183460469231731687303715884105727',
        tag: null,
        attrs: {},
      },
      {
        at: '2024-01-02 03:04:05.654321',
        n: '-36893488147419103232',
        tag: awkward,
        attrs: { [awkward]: 'v' },
      },
    ];
    const insert = await client.insert({ table: 'calls', values: rows, format: 'JSONEachRow' });
    expect(insert.summary).toMatchObject({ written_rows: '2' });
    expect(await rowsOf(client, 'SELECT * FROM calls ORDER BY at', exactIntegers)).toEqual(rows);
  });

  it("binds each typed parameter from the client's text form, NULL included", async () => {
    const client = await connect();
    const query_params = {
      i: -9007199254740993n,
      s: awkward,
      ns: awkward,
      nul: null,
      big: 2n ** 100n,
      arr: [awkward, "x'y", ''],
      map: { [awkward]: awkward },
    };
    const query = `SELECT {i:Int64} AS i, {s:String} AS s, {ns:Nullable(String)} AS ns, {nul:Nullable(String)} AS nul,
      {big:Int128} AS big, {arr:Array(String)} AS arr, {map:Map(String, String)} AS map`;
    expect(await rowsOf(client, query, { ...exactIntegers, query_params })).toEqual([
      { ...query_params, i: '-9007199254740993', big: '1267650600228229401496703205376' },
    ]);
  });

  it('binds parameters that the client sends in a multipart body', async () => {
    const client = await connect({ use_multipart_params: true });
    const rows = await rowsOf(client, 'SELECT {s:String} AS s', { query_params: { s: awkward } });
    expect(rows).toEqual([{ s: awkward }]);
  });

  it("rejects a bad statement with ClickHouse's code and message, and serves the next one", async () => {
    const client = await connect();
    const failed = client.query({ query: 'SELEC 1' });
    await expect(failed).rejects.toBeInstanceOf(ClickHouseError);
    await expect(failed).rejects.toMatchObject({
      code: '62',
      type: 'SYNTAX_ERROR',
      message: expect.stringMatching(/^Syntax error: failed at position 7/),
    });
    await expect(client.command({ query: 'DROP TABLE nowhere' })).rejects.toMatchObject({
      code: '60',
      type: 'UNKNOWN_TABLE',
    });
    await expect(
      client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } }),
    ).rejects.toMatchObject({ code: '115', type: 'UNKNOWN_SETTING' });
    expect(await rowsOf(client, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('takes one statement per request, as ClickHouse does over HTTP', async () => {
    const client = await connect();
    const twice = client.command({ query: 'CREATE TABLE a (x Int8) ENGINE = Memory; SELECT 1' });
    await expect(twice).rejects.toMatchObject({
      code: '62',
      message: expect.stringContaining('Multi-statements are not allowed'),
    });
    expect(await rowsOf(client, 'EXISTS TABLE a')).toEqual([{ result: 0 }]);
    await client.command({ query: 'CREATE TABLE a (x Int8) ENGINE = Memory;' });
  });

  it("applies a request's clickhouse_settings to it alone: join_use_nulls nulls a LEFT JOIN's misses", async () => {
    const client = await connect();
    expect(await rowsOf(client, LEFT_JOIN)).toEqual([{ n: 0, s: 0 }]);
    const withNulls = await rowsOf(client, LEFT_JOIN, { clickhouse_settings: { join_use_nulls: 1 } });
    expect(withNulls).toEqual([{ n: null, s: null }]);
    expect(await rowsOf(client, LEFT_JOIN)).toEqual([{ n: 0, s: 0 }]);
  });

  it("applies date_time_output_format, next to the client's own wait_end_of_query", async () => {
    const client = await connect();
    const query = "SELECT toDateTime64('2024-01-02 03:04:05.123456', 6, 'UTC') AS at";
    const clickhouse_settings = { date_time_output_format: 'iso', wait_end_of_query: 1 } as const;
    expect(await rowsOf(client, query, { clickhouse_settings })).toEqual([
      { at: '2024-01-02T03:04:05.123456Z' },
    ]);
    expect(await rowsOf(client, query)).toEqual([{ at: '2024-01-02 03:04:05.123456' }]);
  });

  it('forgets a parameter once its request is done', async () => {
    const client = await connect();
    expect(await rowsOf(client, 'SELECT {x:Int32} AS x', { query_params: { x: 1 } })).toEqual([{ x: 1 }]);
    await expect(rowsOf(client, 'SELECT {x:Int32} AS x')).rejects.toMatchObject({
      code: '456',
      type: 'UNKNOWN_QUERY_PARAMETER',
    });
  });

  it('serves two concurrent queries, each with its own parameters', async () => {
    const client = await connect();
    const query = 'SELECT {x:String} AS x, count() AS n FROM numbers({n:UInt32})';
    const [a, b] = await Promise.all([
      rowsOf(client, query, { query_params: { x: 'a', n: 100_000 } }),
      rowsOf(client, query, { query_params: { x: 'b', n: 7 } }),
    ]);
    expect([a, b]).toEqual([[{ x: 'a', n: 100_000 }], [{ x: 'b', n: 7 }]]);
  });

  it('takes gzip request bodies and sends gzip responses when the client asks', async () => {
    const client = await connect({ compression: { request: true, response: true } });
    await client.command({ query: 'CREATE TABLE t (s String) ENGINE = MergeTree ORDER BY s' });
    await client.insert({ table: 't', values: [{ s: awkward }], format: 'JSONEachRow' });
    const result = await client.query({ query: 'SELECT s FROM t', format: 'JSONEachRow' });
    expect(result.response_headers['content-encoding']).toBe('gzip');
    expect(await result.json()).toEqual([{ s: awkward }]);
  });
});

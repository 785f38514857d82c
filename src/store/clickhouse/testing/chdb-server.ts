/**
 * A test fixture that speaks ClickHouse's HTTP interface, as @clickhouse/client uses it, in front of a real
 * ClickHouse engine: no ClickHouse server can run where the tests do, but chdb runs the engine in-process. The
 * store's tests thus take the official client's whole wire path (URL, params, settings, errors) to ClickHouse's own
 * SQL, types and formats; only the HTTP layer is ours.
 *
 * One server per process at a time: libchdb binds one data folder per process.
 */

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { brotliDecompressSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { type ChdbResult, Session } from 'chdb';

/** URL parameters ClickHouse's HTTP handler takes for itself; every other name but `param_*` is a setting. */
const HANDLER_PARAMS = new Set(
  `query query_id database default_format compress decompress user password quota_key stacktrace role
  buffer_size wait_end_of_query session_id session_timeout session_check client_protocol_version
  close_session`.split(/\s+/),
);
const DECOMPRESS: Record<string, (b: Buffer) => Buffer> = {
  gzip: gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};
const quote = (s: string): string => `'${s.replace(/[\\']/g, '\\$&')}'`;
const MULTI_STATEMENTS = /^(.*Multi-statements are not allowed.*?): In scope SELECT formatQuery\(/s;
const INSERTED =
  "SELECT sumIf(value, event = 'InsertedRows'), sumIf(value, event = 'InsertedBytes') FROM system.events";
const badRequest = (message: string) => new Error(`Code: 36. DB::Exception: ${message}. (BAD_ARGUMENTS)`);

export async function startChdbServer(): Promise<{ url: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'chdb-server-'));
  const session = new Session(dir);
  const run = (sql: string, format = 'TabSeparated'): Promise<ChdbResult> =>
    session.queryAsync(sql, { format });
  const version = (await run('SELECT version()')).text().trim();
  // chdb opens its session with a few settings off their defaults: a request's setting goes back to these.
  const baseline = new Map<string, string>(
    (await run('SELECT name, value FROM system.settings WHERE changed', 'JSONCompactEachRow'))
      .text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line)),
  );
  const inserted = async () => (await run(INSERTED)).text().split('\t').map(Number);

  // A session is one connection, and a request's settings live on it while the request runs.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn);
    tail = next.catch(() => {});
    return next;
  };

  async function execute(req: IncomingMessage, params: URLSearchParams) {
    let body: Buffer = await buffer(req);
    const encoding = req.headers['content-encoding'];
    if (encoding) {
      if (!DECOMPRESS[encoding]) throw badRequest(`Unsupported Content-Encoding: ${encoding}`);
      body = DECOMPRESS[encoding](body);
    }
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.startsWith('multipart/form-data')) {
      // The client sends the query and its params as a form when the URL would grow too long for them.
      const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
      for (const [k, v] of form) if (typeof v === 'string') params.append(k, v);
      body = Buffer.alloc(0);
    }
    // As ClickHouse does, the `query` param and the body joined by a newline: an insert's statement and its rows.
    const sql = [params.get('query') ?? '', body.toString()].filter(Boolean).join('\n');
    const settings = [...params].filter(([k]) => !HANDLER_PARAMS.has(k) && !k.startsWith('param_'));
    const changes = [...settings, ...[...params].filter(([k]) => k.startsWith('param_'))];
    const bad = changes.find(([k]) => !/^\w+$/.test(k));
    if (bad) throw badRequest(`Bad parameter name: ${bad[0]}`);
    const database = params.get('database');
    const isInsert = /^\s*INSERT\b/i.test(sql);

    const { result, written } = await serially(async () => {
      // chdb runs every statement of `a; b`, where ClickHouse's HTTP interface takes one.
      await run(`SELECT formatQuery(${quote(sql)})`).catch((e: Error) => {
        const multi = MULTI_STATEMENTS.exec(e.message);
        if (multi) throw new Error(`${multi[1]} (SYNTAX_ERROR)`);
      });
      // SET param_x takes the client's text form of a value as it is, as ClickHouse takes it from the URL, where
      // queryBind would escape it once more. A SET applies all its changes or none.
      if (changes.length) await run(`SET ${changes.map(([k, v]) => `${k} = ${quote(v)}`).join(', ')}`);
      try {
        if (database) await run(`USE \`${database.replace(/[\\`]/g, '\\$&')}\``);
        const before = isInsert ? await inserted() : [];
        // Over HTTP, ClickHouse answers in TabSeparated when neither the SQL nor the URL names a format.
        const result = await run(sql, params.get('default_format') ?? 'TabSeparated');
        const written = isInsert ? (await inserted()).map((n, i) => n - before[i]!) : [0, 0];
        return { result, written };
      } finally {
        const reset = settings.map(
          ([k]) => `${k} = ${baseline.has(k) ? quote(baseline.get(k)!) : 'DEFAULT'}`,
        );
        if (reset.length) await run(`SET ${reset.join(', ')}`);
        // A bound query clears all query parameters when it ends, those SET above included.
        if (changes.length > settings.length) await session.queryBindAsync('SELECT 1', { _: 0 });
        if (database) await run('USE default');
      }
    });
    const [writtenRows, writtenBytes] = written.map(String);
    return {
      body: Buffer.from(result.bytes()),
      format: /\bFORMAT\s+(\w+)\s*;?\s*$/i.exec(sql)?.[1] ?? params.get('default_format') ?? 'TabSeparated',
      // chdb counts the result's rows and bytes, not those read, so an insert's come from the engine's counters
      // (exact, as requests take turns); an insert reads what it writes.
      summary: {
        read_rows: isInsert ? writtenRows : String(result.rowsRead),
        read_bytes: isInsert ? writtenBytes : String(result.bytesRead),
        written_rows: writtenRows,
        written_bytes: writtenBytes,
        total_rows_to_read: '0',
        result_rows: String(result.rowsRead),
        result_bytes: String(result.bytesRead),
        elapsed_ns: String(Math.round(result.elapsed * 1e9)),
      },
    };
  }

  // ClickHouse takes URLs of up to 1 MiB (http_max_uri_size), and the client sends every query param in the URL.
  const server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/ping') {
      res.end('Ok.\n');
      return;
    }
    const queryId = url.searchParams.get('query_id') || randomUUID();
    const gzip =
      url.searchParams.get('enable_http_compression') === '1' &&
      /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    execute(req, url.searchParams).then(
      ({ body, format, summary }) => {
        const type = /^JSON/.test(format) && !/EachRow/.test(format) ? 'application/json' : 'text/plain';
        res.writeHead(200, {
          'Content-Type': `${type}; charset=UTF-8`,
          'X-ClickHouse-Query-Id': queryId,
          'X-ClickHouse-Format': format,
          'X-ClickHouse-Summary': JSON.stringify(summary),
          ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
        });
        res.end(gzip ? gzipSync(body) : body);
      },
      (e: unknown) => {
        // chdb's errors carry ClickHouse's own text, `Code: 62. DB::Exception: … (SYNTAX_ERROR)`.
        const message = e instanceof Error ? e.message : String(e);
        const text = /^Code: \d+\./.test(message)
          ? message
          : `Code: 1001. DB::Exception: ${message}. (STD_EXCEPTION)`;
        const code = /^Code: (\d+)/.exec(text)![1]!;
        // The client wants any non-2xx status; ClickHouse's would depend on the code.
        res.writeHead(code === '36' ? 400 : 500, {
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Query-Id': queryId,
          'X-ClickHouse-Exception-Code': code,
        });
        res.end(`${text} (version ${version})\n`);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      await tail;
      session.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

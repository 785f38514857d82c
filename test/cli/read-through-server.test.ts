/**
 * ARCHITECTURE.md, Processes: while `tokenledger serve` holds a ledger, `report` and `events` ask it over its API
 * instead of opening the DuckDB file (which would fail on the file's lock), and print exactly what they print when
 * they read the file themselves. The server runs as a child process, as a user runs it, so the lock is real.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromExactJson, toExactJson } from '../../src/server/api/exact-json.js';
import { type ServerFile, serverFilePath } from '../../src/server/server-file.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { CARDS, DAY, makeEvent, T0 } from '../../src/store/testing/event-factory.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let db: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-read-through-'));
  db = join(dir, 'ledger.duckdb');
  const store = await createDuckDbStore(db);
  // Two teams, two models, odd rates whose parts round, sub-cent calls, tags (one named like the bigint tag), an
  // unpriced event, over three days.
  await store.append(
    Array.from({ length: 40 }, (_, n) =>
      makeEvent(n, {
        ts: T0 + (n % 3) * DAY + n * 60_000_000,
        team: n % 2 ? 'payments' : 'web',
        rates: n === 7 ? null : n % 5 ? CARDS.discounted : CARDS.ties,
        model: n % 5 ? 'claude-sonnet-4-5' : 'gpt-5',
        output_tokens: 7 * n + 1,
        tags: n % 4 ? { env: 'ci' } : { $bigint: '12', feature: 'checkout' },
      }),
    ),
  );
  await store.close();
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const COMMANDS = [
  ['report', '--by', 'team,model'],
  ['report', '--by', 'team', '--bucket', 'day', '--format', 'json', '--billed'],
  ['report', '--by', 'model,tag.feature', '--where', 'team=web', '--format', 'csv'],
  ['report', '--by', 'team', '--top', '1', '--since', '2026-01-06', '--until', '2026-01-08'],
  ['events', '--limit', '5'],
  ['events', '--limit', '3', '--where', 'team=web', '--format', 'json'],
];

async function outputs(): Promise<string[]> {
  const out: string[] = [];
  for (const args of COMMANDS) {
    const r = await runCli([...args, '--db', db]);
    expect(r.stderr, args.join(' ')).toBe('');
    expect(r.code, args.join(' ')).toBe(0);
    out.push(r.stdout);
  }
  return out;
}

/** `tokenledger serve` on the ledger, in its own process, once it has written its server file. */
async function serve(): Promise<{ child: ChildProcess; server: ServerFile }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', db, '--port', '0', '--otlp-port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const file = serverFilePath(db);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    child.stdout!.on('data', () => existsSync(file) && resolve());
  });
  return { child, server: JSON.parse(readFileSync(file, 'utf8')) as ServerFile };
}

describe('report and events while the server holds the ledger', () => {
  it('print the same as on the file itself, through the server', async () => {
    const alone = await outputs();
    expect(alone[0]).toContain('payments');
    expect(alone[2]).toContain('checkout');

    const { child, server } = await serve();
    try {
      // The file is the server's: opening it from here fails on DuckDB's lock, so these went through the API.
      await expect(createDuckDbStore(db)).rejects.toThrow(/lock/);
      expect(await outputs()).toEqual(alone);

      const post = (path: string, body: unknown, token = server.admin_token) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const bad = await post('/api/ledger/query', { dimensions: ['squad'] });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({
        error: { code: 'API_BAD_PARAM', message: expect.stringMatching(/dimensions\.0: not a dimension/) },
      });
      expect((await post('/api/ledger/events', { limit: 1 }, 'not-the-token')).status).toBe(401);

      // A command that needs the file itself says who holds it and what to do, instead of DuckDB's lock error.
      const out = join(dir, 'out.jsonl');
      for (const args of [
        ['export', '--format', 'jsonl', '-o', out],
        ['reprice', '--since', '2026-01-01'],
      ]) {
        const r = await runCli([...args, '--db', db]);
        expect(r.code, args[0]).toBe(1);
        expect(r.stderr, args[0]).toContain(
          `error CLI_LEDGER_SERVED: the ledger ${db} is held by \`tokenledger serve\` (pid ${server.pid}, ${server.url})`,
        );
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 120_000);
});

describe('exact JSON', () => {
  it('carries bigints exactly and keeps keys that look like its tag', () => {
    const value = {
      cost: 123456789012345678901234567890n,
      neg: -5n,
      list: [1n, null, 'x', 2.5],
      tags: { $bigint: '12', $$odd: 'y', plain: 'z' },
      nested: { $bigint: 'not digits' },
    };
    const wire = JSON.parse(JSON.stringify(toExactJson(value)));
    expect(wire.cost).toEqual({ $bigint: '123456789012345678901234567890' });
    expect(fromExactJson(wire)).toEqual(value);
  });
});

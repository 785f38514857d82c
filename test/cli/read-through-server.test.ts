/**
 * ARCHITECTURE.md, Processes: while `tokenledger serve` holds a ledger, CLI commands use its store over its API
 * instead of opening the DuckDB file (which would fail on the file's lock), and do exactly what they do on the file
 * itself: `report`, `metrics`, `roi` and `events` print the same, `import` stores the same and says the same, `reconcile`
 * finds the same. The server runs as a child process, as a user runs it, so the lock is real.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentAuditPath } from '../../src/ledger/content-audit.js';
import { fromExactJson, toExactJson } from '../../src/server/api/exact-json.js';
import { type ServerFile, serverFilePath } from '../../src/server/server-file.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { CARDS, DAY, makeEvent, T0 } from '../../src/store/testing/event-factory.js';
import { withoutAgentLogs } from '../helpers/no-agent-logs.js';
import { runCli } from '../helpers/run-cli.js';
import { settledFixtures } from '../helpers/settled-fixtures.js';

let dir: string;
let db: string;
/** A copy of the seeded ledger that no server holds. */
let alone: string;
/** The seeded event whose call text is stored. */
const KEPT = makeEvent(3, { ts: T0 + 3 * 60_000_000 });
const CANONICAL = join(tmpdir(), `tl-read-through-${process.pid}.jsonl`);

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
  // One call's text, as the gateway keeps it for a key created with --store-content.
  await store.storeContent([
    { event_id: KEPT.event_id, ts: KEPT.ts, request: '{"messages":[{"content":"ü?"}]}', completion: 'ja\n' },
  ]);
  await store.close();
  alone = join(dir, 'alone.duckdb');
  copyFileSync(db, alone);
  // Canonical records: priced by the importer (an unknown model stays unpriced), one broken line.
  const line = (n: number, model: string) =>
    JSON.stringify({
      ts: `2026-11-0${1 + (n % 3)}T09:00:00Z`,
      team: 'data',
      model,
      input_tokens: 1000 + n,
      output_tokens: n,
    });
  writeFileSync(
    CANONICAL,
    `${[...Array.from({ length: 30 }, (_, n) => line(n, n % 7 ? 'gpt-4o' : 'my-private-llm')), '{"ts": broken'].join('\n')}\n`,
  );
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(CANONICAL, { force: true });
});

const COMMANDS = [
  ['report', '--by', 'team,model'],
  ['report', '--by', 'team', '--bucket', 'day', '--format', 'json', '--billed'],
  ['report', '--by', 'model,tag.feature', '--where', 'team=web', '--format', 'csv'],
  ['report', '--by', 'team', '--top', '1', '--since', '2026-01-06', '--until', '2026-01-08'],
  ['report', '--by', 'team', '--billed'],
  ['report', '--by', 'team', '--bucket', 'day', '--tz', 'America/New_York', '--since', '2026-01-06'],
  ['metrics', '--by', 'team', '--format', 'json'],
  ['metrics', '--where', 'team=web'],
  // This repository's history beside the ledger's users, its spend by the hour on branches: the queries roi asks.
  ['roi', '--repo', '.', '--since', '2026-01-01', '--until', '2026-03-01', '--format', 'json'],
  ['events', '--limit', '5'],
  ['events', '--limit', '3', '--where', 'team=web', '--format', 'json'],
  ['events', '--content', KEPT.event_id, '--ts', String(KEPT.ts)],
  ['events', '--content', KEPT.event_id, '--ts', '2026-01-05T00:03:00Z', '--format', 'json'],
];

async function outputs(ledger = db, commands: string[][] = COMMANDS): Promise<string[]> {
  const out: string[] = [];
  for (const args of commands) {
    const r = await runCli([...args, '--db', ledger]);
    expect(r.stderr, args.join(' ')).toBe('');
    expect(r.code, args.join(' ')).toBe(0);
    out.push(r.stdout);
  }
  return out;
}

/**
 * The ledger exported as JSONL to stdout, CSV and Parquet to files (base64), and as FOCUS to stdout, with the rows
 * each export counted.
 */
async function exports(name: string): Promise<string[]> {
  const jsonl = await runCli(['export', '--db', db, '--since', '2020-01-01']);
  expect(jsonl.stderr).toBe('exported 40 events\n');
  const out: string[] = [jsonl.stdout];
  for (const format of ['csv', 'parquet']) {
    const file = join(dir, `${name}.${format}`);
    const r = await runCli(['export', '--db', db, '--format', format, '-o', file]);
    expect(r.stderr).toBe(`exported 40 events to ${file}\n`);
    out.push(readFileSync(file).toString('base64'));
  }
  const focus = await runCli(['export', '--db', db, '--format', 'focus']);
  expect(focus.stderr).toMatch(/^exported \d+ FOCUS rows \(left out 1 event with no price/);
  out.push(focus.stdout, focus.stderr);
  return out;
}

/** `tokenledger serve` on the ledger, in its own process, once it has written its server file. */
async function serve(): Promise<{ child: ChildProcess; server: ServerFile }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--db',
      db,
      '--port',
      '0',
      '--otlp-port',
      '0',
      '--otlp-grpc-port',
      '0',
    ],
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
    const onFile = await outputs();
    expect(onFile[0]).toContain('payments');
    expect(onFile[2]).toContain('checkout');
    // The unpriced event (a payments call) has no as-billed cost either: not counted as $0.
    expect(onFile[1]).toMatch(/"billed_unpriced_events": 1\n\s*\},\n\s*"unpriced"/);
    expect(onFile[4]).toMatch(/^payments .*\$[\d.]+ \* .*\n/m);
    expect(onFile[4]).toContain('as billed: 1 event had no price when billed — not in the as-billed cost\n');
    const onFileExports = await exports('file');
    expect(onFileExports[0]!.split('\n')).toHaveLength(41);

    const { child, server } = await serve();
    try {
      // The file is the server's: opening it from here fails on DuckDB's lock, so these went through the API.
      await expect(createDuckDbStore(db)).rejects.toThrow(/lock/);
      expect(await outputs()).toEqual(onFile);
      expect(onFile.at(-1)).toContain('"completion": "ja\\n"');
      // A call without text says so as on the file, through the server's ledger call.
      const none = await runCli([
        'events',
        '--content',
        makeEvent(4).event_id,
        '--ts',
        String(T0),
        '--db',
        db,
      ]);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/^error CLI_CONTENT_NOT_FOUND: .*keys create --store-content/);
      // Each read of call text is in the audit log once: by the command on the file, by the server through it.
      const reads = readFileSync(contentAuditPath(db), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { actor: string; found: boolean });
      expect(reads.map((r) => `${r.actor} ${r.found}`)).toEqual([
        ...Array(2).fill(`cli:${userInfo().username} true`),
        ...Array(2).fill('api:server true'),
        'api:server false',
      ]);

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

      // `npm start` again: the report comes through the server, which it points to instead of failing to serve.
      const again = await withoutAgentLogs(dir, () => runCli(['start', '--db', db]));
      expect(again.stderr).toBe('');
      expect(again.stdout).toContain('Spend by team, all time');
      expect(again.stdout).toContain(
        `tokenledger serve already runs on this ledger (pid ${server.pid}): gateway, dashboard and API at ${server.url}`,
      );

      // Exports are written by the server, byte for byte what they are from the file (stdout comes back through
      // a file only this user can read).
      expect(await exports('served')).toEqual(onFileExports);
      // An export the store cannot write fails with the store's own error, as on the file.
      const nowhere = join(dir, 'no-such-folder', 'out.jsonl');
      const failed = await runCli(['export', '--db', db, '-o', nowhere]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^error STORE_EXPORT_FAILED: /);
      expect(failed.stderr).toContain(nowhere);

      // A command that needs the file itself says who holds it and what to do, instead of DuckDB's lock error.
      for (const args of [['serve', '--port', '0', '--otlp-port', '0']]) {
        const r = await runCli([...args, '--db', db]);
        expect(r.code, args[0]).toBe(1);
        expect(r.stderr, args[0]).toContain(
          `error CLI_LEDGER_SERVED: the ledger ${db} is held by \`tokenledger serve\` (pid ${server.pid}, ${server.url})`,
        );
      }

      // A team's or a person's call text erased through the server as on the file itself; the events stay.
      const purge = ['events', '--purge-content', '--where', 'team=payments', '--until', '2026-01-06'];
      const erased = await outputs(db, [purge]);
      expect(erased).toEqual(await outputs(alone, [purge]));
      expect(erased[0]).toBe(
        'deleted the prompt and completion text of 1 call; their events and costs stay\n',
      );
      // The erasure is in each ledger's audit log, by whoever made it.
      const last = (ledger: string) =>
        JSON.parse(readFileSync(contentAuditPath(ledger), 'utf8').trim().split('\n').at(-1)!);
      const filter = {
        filters: [{ dimension: 'team', values: ['payments'] }],
        until: Date.UTC(2026, 0, 6) * 1000,
      };
      expect(last(db)).toEqual({
        at: expect.any(String),
        actor: 'api:server',
        action: 'purge',
        filter,
        deleted: 1,
      });
      expect(last(alone)).toMatchObject({
        actor: `cli:${userInfo().username}`,
        action: 'purge',
        filter,
        deleted: 1,
      });
      const gone = await runCli(['events', '--content', KEPT.event_id, '--ts', String(KEPT.ts), '--db', db]);
      expect(gone.stderr).toMatch(/^error CLI_CONTENT_NOT_FOUND/);
      expect((await outputs(db, [['events', '--limit', '100', '--format', 'json']]))[0]).toContain(
        KEPT.event_id,
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 120_000);
});

describe('a server file left by a crash', () => {
  it('is ignored when nothing listens at its address, even if its pid is taken', async () => {
    const onFile = await outputs(db, COMMANDS.slice(0, 1));
    // A port that was free a moment ago, and a pid that is alive (this test's own).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const file = serverFilePath(db);
    writeFileSync(
      file,
      JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid, admin_token: 'x' }),
    );
    try {
      expect(await outputs(db, COMMANDS.slice(0, 1))).toEqual(onFile);
    } finally {
      await rm(file, { force: true });
    }
  });
});

const FIX = settledFixtures();
const ANTHROPIC = ['messages-page.json', 'cost-report.json', 'claude-code.json', 'edge-cases.json'].map((f) =>
  join(FIX, 'anthropic-usage', f),
);
const WRITES = [
  ['import', 'jsonl', CANONICAL],
  ['import', 'jsonl', CANONICAL], // all duplicates
  ['import', 'claude-code', join(FIX, 'claude-code/config')],
  ['import', 'anthropic-usage', ...ANTHROPIC],
  ['import', 'anthropic-usage', '--full', ...ANTHROPIC], // read again: all duplicates
  ['import', 'claude-code', join(FIX, 'claude-code/config')], // nothing new
  ['reconcile', '--month', '2025-08', '--format', 'json'],
  ['report', '--by', 'source,model', '--format', 'json'],
  // The server reprices with its own pricer, which prices as this command does (no overrides file either side).
  ['reprice', '--since', '2020-01-01'],
  ['report', '--by', 'source,model', '--format', 'json', '--billed'],
];
/** What may differ between two runs of the same commands: how long they took, and when events were ingested. */
const timeless = (s: string) =>
  s.replace(/ in \d+\.\d+ s/g, ' in N s').replace(/"ingested_at": "[^"]*"/g, '"ingested_at": "T"');

describe('import and reconcile while the server holds the ledger', () => {
  it('store and say what they store and say on the file itself', async () => {
    const onFile = (await outputs(alone, WRITES)).map(timeless);
    expect(onFile[0]).toMatch(/imported 30 events/);
    expect(onFile[1]).toMatch(/duplicates \(already in the ledger\): 30/);
    expect(onFile[2]).toMatch(/imported [1-9]\d* events/);
    expect(onFile[4]).toMatch(/duplicates \(already in the ledger\): [1-9]/);

    const { child, server } = await serve();
    try {
      expect((await outputs(db, WRITES)).map(timeless)).toEqual(onFile);
      // Spend goes into the ledger with the server's own token only; another admin token may read, not write.
      const made = await runCli(['tokens', 'create', '--role', 'admin', '--db', db]);
      const other = made.stdout.trim().split('\n').at(-1)!;
      const call = (path: string, body: unknown, token: string) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const refused = await call('/api/ledger/append', { events: [] }, other);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: { code: 'API_FORBIDDEN' } });
      expect((await call('/api/ledger/count', {}, other)).status).toBe(200);
      // A reprice with other prices than the server's is refused, saying whose prices differ and what to do.
      const prices = join(dir, 'other.prices.yaml');
      await writeFile(prices, 'discounts:\n  - provider: anthropic\n    percent_off: "10"\n');
      const otherPrices = await runCli(['reprice', '--db', db, '--prices', prices]);
      expect(otherPrices.code).toBe(1);
      expect(otherPrices.stderr).toMatch(
        /^error API_CONFLICT: the server prices with genai-prices@[\d.]+ and this command with genai-prices@[\d.]+\+ov:[0-9a-f]{8}: give reprice the overrides file the server reads/,
      );
      const bad = await call('/api/ledger/append', { events: [{ event_id: 'x' }] }, server.admin_token);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({
        error: { code: 'API_BAD_PARAM', message: expect.stringMatching(/events\.0\.source: /) },
      });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // Everything reached the file, as on the ledger no server held.
    const events = ['events', '--limit', '1000', '--format', 'json'];
    expect(timeless((await outputs(db, [events]))[0]!)).toBe(timeless((await outputs(alone, [events]))[0]!));
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

import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerPath } from '../../src/cli/context.js';
import { stateCachePath } from '../../src/ingest/state-cache.js';
import { CONTENT_ACCESS_RECORDS, type ContentAccess } from '../../src/ledger/content-audit.js';
import { eventToRecord } from '../../src/ledger/serialize.js';
import { formatUsd } from '../../src/money/money.js';
import type { SetRecord } from '../../src/records/record-set.js';
import { GitRepo } from '../../src/roi/testing/git-repo.js';
import { clickHouseRecordSet } from '../../src/store/clickhouse/clickhouse-record-set.js';
import { ClickHouseSql } from '../../src/store/clickhouse/clickhouse-sql.js';
import { createClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { startChdbServer } from '../../src/store/clickhouse/testing/chdb-server.js';
import { metadataPathOf } from '../../src/store/focus/metadata.js';
import { HOUR, makeEvent, randomEvents } from '../../src/store/testing/event-factory.js';
import { runCli } from '../helpers/run-cli.js';

// The same commands on a DuckDB file and on a ClickHouse database (--db URL) print the same reports and write the
// same exports: the store is a detail of where the ledger lives.
let clickhouse: Awaited<ReturnType<typeof startChdbServer>>;
let dir: string;
let file: string;
let url: string;
const events = randomEvents(500, 21);

beforeAll(async () => {
  clickhouse = await startChdbServer();
  dir = mkdtempSync(join(tmpdir(), 'tl-cli-clickhouse-'));
  file = join(dir, 'ledger.duckdb');
  url = `${clickhouse.url}/tokenledger`;
  const canonical = join(dir, 'events.jsonl');
  writeFileSync(canonical, `${events.map((e) => JSON.stringify(eventToRecord(e))).join('\n')}\n`);
  for (const db of [file, url]) {
    const r = await runCli(['import', 'jsonl', canonical, '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('imported 500 events');
  }
});
afterAll(async () => {
  await clickhouse.close();
});

async function both(...args: string[]): Promise<[string, string]> {
  const out: string[] = [];
  for (const db of [file, url]) {
    const r = await runCli([...args, '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    out.push(r.stdout);
  }
  return out as [string, string];
}

describe('tokenledger on a ClickHouse ledger', () => {
  it("imports a coding agent's log incrementally, from the state ClickHouse keeps", async () => {
    const db = `${clickhouse.url}/incremental`;
    const log = join(dir, 'cc', '11111111-2222-4333-8444-555555555555.jsonl');
    mkdirSync(dirname(log), { recursive: true });
    const reply = (id: string, output: number) =>
      `${JSON.stringify({
        type: 'assistant',
        uuid: `a-${id}`,
        sessionId: '11111111-2222-4333-8444-555555555555',
        requestId: `req_${id}`,
        timestamp: '2026-02-10T10:00:00Z',
        message: {
          id: `msg_${id}`,
          model: 'claude-sonnet-4-5-20250929',
          usage: {
            input_tokens: 10,
            output_tokens: output,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
          },
        },
      })}\n`;
    const settle = () => utimesSync(log, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    writeFileSync(log, reply('A', 100) + reply('B', 50));
    settle();
    expect((await runCli(['import', 'claude-code', log, '--db', db])).stdout).toContain('imported 2 events');
    // No copy of the state is kept on this machine (ingest/state-cache.ts stamps a ledger file): it is ClickHouse's.
    expect(existsSync(stateCachePath(ledgerPath({ db })))).toBe(false);
    appendFileSync(log, reply('C', 70));
    settle();
    const second = await runCli(['import', 'claude-code', log, '--db', db]);
    expect(second.stdout).toContain('imported 1 event');
    expect(second.stdout).toContain('1 read on from the last import');
    const report = await runCli(['report', '--db', db, '--format', 'json']);
    expect(JSON.parse(report.stdout).totals).toMatchObject({ events: 3, output_tokens: 220 });
  });

  it('prints the same reports as on a DuckDB file', async () => {
    for (const args of [
      ['report', '--by', 'team,model', '--format', 'json'],
      ['report', '--by', 'user', '--bucket', 'day', '--tz', 'America/New_York', '--format', 'json'],
      ['report', '--by', 'session_id', '--top', '5', '--format', 'json'],
      ['report', '--by', 'tag.repo', '--where', 'provider=anthropic', '--format', 'json'],
      // One person's five-hour windows: hourly sums, the instants that close windows, and each window's last call.
      ['blocks', '--where', 'user=u3', '--format', 'json'],
    ]) {
      const [duck, click] = await both(...args, '--since', '2020-01-01');
      expect(JSON.parse(click), args.join(' ')).toEqual(JSON.parse(duck));
    }
  });

  it('exports the same canonical records, and Parquet with the same values', async () => {
    for (const format of ['jsonl', 'csv']) {
      const paths = [join(dir, `duck.${format}`), join(dir, `click.${format}`)];
      for (const [i, db] of [file, url].entries()) {
        const r = await runCli(['export', '--format', format, '--output', paths[i]!, '--db', db]);
        expect(r.code, r.stderr).toBe(0);
      }
      // Each import stamps its own ingested_at: the one column the two ledgers differ in.
      const [duck, click] = paths.map((p) => withoutIngestedAt(format, readFileSync(p, 'utf8')));
      expect(click, format).toEqual(duck);
    }
    const parquet = [join(dir, 'duck.parquet'), join(dir, 'click.parquet')];
    for (const [i, db] of [file, url].entries())
      expect(
        (await runCli(['export', '--format', 'parquet', '--output', parquet[i]!, '--db', db])).code,
      ).toBe(0);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const read = async (p: string) =>
      (
        await duck.runAndReadAll(
          `SELECT event_id, epoch_us(ts), cost_usd::VARCHAR, provider_cost_usd::VARCHAR, tags::VARCHAR, ttft_ms
           FROM read_parquet('${p}') ORDER BY event_id, ts`,
        )
      ).getRows();
    // DuckDB writes times as plain timestamps holding UTC, ClickHouse as instants (adjusted to UTC): the same µs.
    const rows = await read(parquet[1]!);
    expect(rows).toHaveLength(events.length);
    expect(rows).toEqual(await read(parquet[0]!));
    duck.closeSync();
  });

  it('exports the same FOCUS dataset, and says the same of what it left out', async () => {
    const paths = [join(dir, 'duck.focus.csv'), join(dir, 'click.focus.csv')];
    const said: string[] = [];
    for (const [i, db] of [file, url].entries()) {
      const r = await runCli(['export', '--format', 'focus', '--output', paths[i]!, '--db', db]);
      expect(r.code, r.stderr).toBe(0);
      said.push(r.stderr.replace(paths[i]!, 'FILE').replace(metadataPathOf(paths[i]!), 'METADATA'));
    }
    expect(said[1]).toBe(said[0]);
    expect(said[0]).toMatch(/^exported [\d,]+ FOCUS rows \(left out \d+ events with no price/);
    // The same schema, so the same schema id, in the metadata each wrote beside its file.
    const [duckMeta, clickMeta] = paths.map((p) => JSON.parse(readFileSync(metadataPathOf(p), 'utf8')));
    expect(clickMeta.SchemaId).toBe(duckMeta.SchemaId);
    // Rows DuckDB's sort leaves tied may come in either order (docs/focus.md): compared as sorted lists.
    const [duck, click] = paths.map((p) => {
      const [header, ...rows] = readFileSync(p, 'utf8').trimEnd().split('\n');
      return [header, ...rows.sort()];
    });
    expect(click).toEqual(duck);
  });

  it('exports the same FOCUS dataset as Parquet, typed, from either store', async () => {
    const paths = [join(dir, 'duck.focus.parquet'), join(dir, 'click.focus.parquet')];
    const said: string[] = [];
    for (const [i, db] of [file, url].entries()) {
      const r = await runCli(['export', '--format', 'focus-parquet', '--output', paths[i]!, '--db', db]);
      expect(r.code, r.stderr).toBe(0);
      said.push(r.stderr.replace(paths[i]!, 'FILE').replace(metadataPathOf(paths[i]!), 'METADATA'));
    }
    expect(said[1]).toBe(said[0]);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const read = async (p: string) =>
      (
        await duck.runAndReadAll(
          `SELECT * EXCLUDE (BillingPeriodStart, BillingPeriodEnd, ChargePeriodStart, ChargePeriodEnd),
             epoch(ChargePeriodStart), epoch(BillingPeriodEnd) FROM read_parquet('${p}')`,
        )
      )
        .getRows()
        .map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))
        .sort();
    const rows = await read(paths[1]!);
    expect(said[0]).toBe(
      `exported ${rows.length.toLocaleString('en-US')} FOCUS rows${said[0]!.slice(said[0]!.indexOf(' (left'))}`,
    );
    expect(rows).toEqual(await read(paths[0]!));
    duck.closeSync();
    // A binary file needs a path: standard output is a terminal's or a pipe's.
    const r = await runCli(['export', '--format', 'focus-parquet', '--db', file]);
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining('focus-parquet is binary: give a file with --output FILE'),
    ]);
  });
});

describe("who read calls' kept text, on a ClickHouse ledger", () => {
  it('is recorded in the database, for every instance and machine, and a read that finds nothing too', async () => {
    const db = `${clickhouse.url}/content_audit`;
    const store = await createClickHouseStore(db);
    const [call] = events;
    await store.append([call!]);
    await store.storeContent([
      { event_id: call!.event_id, ts: call!.ts, request: '{"model":"x"}', completion: 'hi' },
    ]);
    await store.close();
    const read = await runCli(['events', '--content', call!.event_id, '--ts', String(call!.ts), '--db', db]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toContain('hi');
    const missing = await runCli([
      'events',
      '--content',
      call!.event_id,
      '--ts',
      String(call!.ts + 1),
      '--db',
      db,
    ]);
    expect(missing.code).toBe(1);
    const sql = await ClickHouseSql.open(db);
    const accesses = await clickHouseRecordSet<ContentAccess & SetRecord>(sql, CONTENT_ACCESS_RECORDS).list();
    await sql.close();
    expect(
      accesses.map((a) => a.action === 'read' && [a.actor.startsWith('cli:'), a.event_id, a.found]),
    ).toEqual([
      [true, call!.event_id, true],
      [true, call!.event_id, false],
    ]);
  });
});

describe('a ClickHouse ledger past its raw retention, from the CLI', () => {
  it('counts the calls an import leaves out, and says what a read before the horizon needs', async () => {
    const db = `${clickhouse.url}/retired`;
    const store = await createClickHouseStore(db);
    // randomEvents' calls are of 2026-01-05 to 2026-01-15: all before a horizon at February.
    await store.retireRaw!(Date.UTC(2026, 1, 1) * 1000, 0);
    await store.close();
    const r = await runCli(['import', 'jsonl', join(dir, 'events.jsonl'), '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('imported 0 events');
    expect(r.stdout).toContain("before the ledger's raw horizon (kept only as daily sums, not added): 500");
    const byTag = await runCli(['report', '--by', 'tag.repo', '--since', '2026-01-01', '--db', db]);
    expect(byTag.code).toBe(1);
    expect(byTag.stderr).toContain('STORE_RAW_RETIRED');
    expect(byTag.stderr).toContain('calls before 2026-02-01 are kept only as daily sums');
  });
});

describe('the ROI report on a ClickHouse ledger past its raw retention', () => {
  it('reads the same across the horizon: spend per person and period, and the agent calls behind a merge', async () => {
    const ana = { name: 'Ana', email: 'ana@acme.com' };
    const bo = { name: 'Bo', email: 'bo@acme.com' };
    const repo = new GitRepo();
    try {
      repo.commit(ana, '2026-01-12T10:00:00Z', { 'a.txt': 'a\n' });
      repo.commit(bo, '2026-02-03T10:00:00Z', { 'b.txt': 'b\n' });
      repo.git(ana, '2026-02-10T10:00:00Z', 'checkout', '-q', '-b', 'feat/login');
      repo.commit(ana, '2026-02-10T10:00:00Z', { 'login.txt': 'login\n' });
      repo.git(ana, '2026-02-20T10:00:00Z', 'checkout', '-q', 'main');
      repo.git(
        bo,
        '2026-02-20T10:00:00Z',
        'merge',
        '-q',
        '--no-ff',
        '-m',
        "Merge branch 'feat/login'",
        'feat/login',
      );
      repo.commit(bo, '2026-03-12T10:00:00Z', { 'c.txt': 'c\n' });

      // Calls from January to March, a third of ana's on the branch; the horizon comes at March.
      const calls = Array.from({ length: 120 }, (_, i) => {
        const user = i % 2 === 0 ? ana.email : bo.email;
        const onBranch = i % 6 === 0;
        return makeEvent(i, {
          user,
          project: 'repo',
          ts: Date.UTC(2026, 0, 10) * 1000 + i * 13 * HOUR,
          tags: onBranch ? { git_branch: 'feat/login' } : {},
        });
      });
      // The hours the merge counts: after the 30 days before it, up to its own (docs/roi.md).
      const merged = Date.UTC(2026, 1, 20, 10) * 1000;
      const behindMerge = calls.filter((e) => {
        const hour = Math.floor(e.ts / HOUR) * HOUR;
        return e.tags.git_branch !== undefined && hour > merged - 30 * 24 * HOUR && hour <= merged;
      });
      const db = `${clickhouse.url}/retired_roi`;
      const store = await createClickHouseStore(db);
      await store.append(calls);
      await store.close();
      const window = ['--since', '2026-01-20', '--until', '2026-03-31'];
      const roi = async () => {
        const r = await runCli(['roi', '--db', db, '--repo', repo.dir, ...window, '--format', 'json']);
        expect(r.stderr).toBe('');
        return JSON.parse(r.stdout);
      };
      const kept = await roi();
      expect(kept.within_person.periods).toHaveLength(2);
      expect(kept.spend_behind_merges.spent).toHaveLength(1);
      expect(kept.spend_behind_merges.spent[0].events).toBe(behindMerge.length);
      const expected = behindMerge.reduce((n, e) => n + e.cost_usd!, 0n);
      expect(kept.spend_behind_merges.total_usd).toBe(formatUsd(expected));

      const retiring = await createClickHouseStore(db);
      expect((await retiring.retireRaw!(Date.UTC(2026, 2, 1) * 1000, 0)).events).toBeGreaterThan(50);
      await retiring.close();
      expect(await roi()).toEqual(kept);
      // A window from the middle of a retired day cannot be summed: it says so.
      const r = await runCli(['roi', '--db', db, '--repo', repo.dir, '--since', '2026-02-02T06:00:00Z']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('STORE_RAW_RETIRED');
      expect(r.stderr).toContain('must start and end on whole UTC days');
    } finally {
      repo.remove();
    }
  });
});

/** An export's records sorted, ingested_at left out; a CSV's header first. */
function withoutIngestedAt(format: string, text: string): string[] {
  const lines = text.trim().split('\n');
  if (format === 'jsonl')
    return lines.map((l) => JSON.stringify({ ...JSON.parse(l), ingested_at: undefined })).sort();
  const at = lines[0]!.split(',').indexOf('ingested_at');
  const cut = (l: string) => l.split(',').toSpliced(at, 1).join(',');
  return [cut(lines[0]!), ...lines.slice(1).map(cut).sort()];
}

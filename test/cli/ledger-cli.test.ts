import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatUsd, parseDecimal } from '../../src/money/money.js';
import { splitCsvRecord } from '../../src/sources/csv/split.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { makeEvent } from '../../src/store/testing/event-factory.js';
import { withoutAgentLogs } from '../helpers/no-agent-logs.js';
import { runCli } from '../helpers/run-cli.js';
import { settledFixtures } from '../helpers/settled-fixtures.js';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tl-cli-'));
  db = join(dir, 'ledger.duckdb');
});

const line = (o: object) => JSON.stringify({ ts: '2026-11-03T09:00:00Z', ...o });
function write(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}
async function reportJson(...args: string[]) {
  const r = await runCli(['report', '--db', db, '--format', 'json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('tokenledger import → report', () => {
  it('prices what it imports exactly, skips bad lines with file:line, and stores a re-import once', async () => {
    // Published prices: claude-sonnet-4-5 input $3/MTok, cache read $0.30, 1h cache write $6, output $15;
    // gpt-4o input $2.50, output $10. https://www.anthropic.com/pricing · https://openai.com/api/pricing
    const file = write('usage.jsonl', [
      line({
        team: 'payments',
        model: 'anthropic/claude-sonnet-4-5-20250929',
        input_tokens: 1000,
        cache_read_tokens: 10000,
        cache_write_1h_tokens: 2000,
        output_tokens: 500,
      }),
      line({ team: 'web', model: 'gpt-4o', input_tokens: 2000, output_tokens: 100 }),
      '{"ts": broken',
      line({ team: 'web', model: 'my-private-llm', input_tokens: 70, output_tokens: 30 }),
      line({ team: 'web', model: 'gpt-4o', input_tokens: -1 }),
    ]);
    const first = await runCli(['import', 'jsonl', file, '--db', db]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('imported 3 events');
    expect(first.stdout).toContain(`${file}:3  SRC_BAD_JSON`);
    expect(first.stdout).toMatch(new RegExp(`${file}:5  SRC_BAD_RECORD  input_tokens: `));
    expect(first.stdout).toContain('unpriced: 1 event, 100 tokens');

    const again = await runCli(['import', 'jsonl', file, '--db', db]);
    expect(again.stdout).toContain('imported 0 events');
    expect(again.stdout).toContain('duplicates (already in the ledger): 3');

    const r = await reportJson('--by', 'team');
    // payments: 1000×3 + 10000×0.3 + 2000×6 + 500×15 = 3000 + 3000 + 12000 + 7500 = 25,500 µ$ = $0.0255
    // web: 2000×2.5 + 100×10 = 5000 + 1000 = 6,000 µ$ = $0.006 (the unpriced model adds nothing)
    expect(r.rows).toEqual([
      expect.objectContaining({
        team: 'payments',
        cost_usd: '0.025500000000',
        cost_input: '0.003000000000',
        cost_cache_read: '0.003000000000',
        cost_cache_write: '0.012000000000',
        cost_output: '0.007500000000',
        events: 1,
      }),
      expect.objectContaining({
        team: 'web',
        cost_usd: '0.006000000000',
        input_tokens: 2070,
        output_tokens: 130,
        events: 2,
        unpriced_events: 1,
      }),
    ]);
    expect(r.rows[0].unpriced_events).toBe(0);
    expect(r.totals.cost_usd).toBe('0.031500000000');
    expect(r.unpriced).toEqual({ events: 1, tokens: 100 });

    // The table never shows an unpriced model as costing $0.00, and marks costs that leave some out.
    const table = (await runCli(['report', '--db', db, '--by', 'model'])).stdout;
    expect(table).toMatch(/^my-private-llm +unpriced +70 /m);
    expect(table).toMatch(/^total +\$0\.03 \* /m);
    expect(table).toContain('* a cost marked so leaves out some of them');
    expect((await runCli(['report', '--db', db, '--by', 'team'])).stdout).toMatch(/^web +\$0\.006000 \* /m);

    // A model filtered by the dated name people copy from a console finds the events the ledger names canonically;
    // an unknown name still finds its own events, and the events command does the same.
    const dated = await reportJson('--by', 'model', '--where', 'model=claude-sonnet-4-5-20250929');
    expect(dated.rows.map((x: { model: string }) => x.model)).toEqual(['claude-sonnet-4-5']);
    expect((await reportJson('--where', 'model=my-private-llm')).totals.events).toBe(1);
    const ev = await runCli([
      'events',
      '--db',
      db,
      '--where',
      'model=claude-sonnet-4-5-20250929',
      '--format',
      'json',
    ]);
    expect(JSON.parse(ev.stdout).map((e: { model: string }) => e.model)).toEqual(['claude-sonnet-4-5']);
  });

  it('imports audio and image parts from JSONL, prices them at their own rates, and shows them in columns of their own', async () => {
    const file = write('parts.jsonl', [
      // gpt-image-1.5: 50 × $5 + 323 image × $8 per 1M in; 40 × $10 + 4,160 image × $32 out = $0.136354.
      line({
        team: 'design',
        model: 'gpt-image-1.5',
        operation: 'image',
        input_tokens: 373,
        input_image_tokens: 323,
        output_tokens: 4200,
        output_image_tokens: 4160,
      }),
      // gpt-audio: 400 × $2.50 + 800 audio × $32 in; 100 × $10 + 200 audio × $64 out = $0.0404.
      line({
        team: 'voice',
        model: 'gpt-audio',
        ts: '2026-11-03T10:00:00Z',
        input_tokens: 1200,
        input_audio_tokens: 800,
        output_tokens: 300,
        output_audio_tokens: 200,
      }),
      // Audio and image parts together past their whole: refused, naming the field.
      line({
        team: 'design',
        model: 'gpt-image-1.5',
        input_tokens: 10,
        input_audio_tokens: 4,
        input_image_tokens: 7,
      }),
    ]);
    const imported = await runCli(['import', 'jsonl', file, '--db', db]);
    expect(imported.stdout).toContain('imported 2 events');
    expect(imported.stdout).toMatch(new RegExp(`${file}:3  SRC_BAD_RECORD  input_image_tokens: `));
    const byModel = (await reportJson('--by', 'model')).rows as Record<string, unknown>[];
    expect(byModel.map((r) => [r.model, r.cost_usd, r.input_image_tokens, r.input_audio_tokens])).toEqual([
      ['gpt-image-1.5', '0.136354000000', 323, 0],
      ['gpt-audio', '0.040400000000', 0, 800],
    ]);
    const table = (await runCli(['events', '--db', db, '--since', '2026-11-01'])).stdout.trim().split('\n');
    expect(table[0]).toMatch(/\sout\s+audio in\/out\s+image in\/out\s+cost_usd\s/);
    expect(table[1]).toMatch(/gpt-audio\s.*\s800\/200\s+0\/0\s+0\.040400000000\s/);
    expect(table[2]).toMatch(/gpt-image-1\.5\s.*\s0\/0\s+323\/4160\s+0\.136354000000\s/);
  });

  it('lists events with their cost parts, rates and price version: the audit trail', async () => {
    // gpt-4o input $2.50/MTok, output $10 (https://openai.com/api/pricing): 2000×2.5 + 100×10 = 6,000 µ$.
    const file = write('usage.jsonl', [
      line({ team: 'web', model: 'gpt-4o', input_tokens: 2000, output_tokens: 100 }),
      line({ team: 'web', model: 'my-private-llm', ts: '2026-11-03T10:00:00Z', input_tokens: 70 }),
      line({ team: 'payments', model: 'gpt-4o', ts: '2026-11-03T11:00:00Z', input_tokens: 1 }),
      line({ team: 'ops', model: 'gpt-4o', ts: '2026-11-03T09:00:00Z', input_tokens: 3, status: 'aborted' }),
      line({ team: 'ops', model: 'gpt-4o', ts: '2026-11-03T08:00:00Z', input_tokens: 4 }),
    ]);
    expect((await runCli(['import', 'jsonl', file, '--db', db])).code).toBe(0);
    const json = await runCli([
      'events',
      '--db',
      db,
      '--where',
      'team=web',
      '--since',
      '2026-11-01',
      '--format',
      'json',
    ]);
    expect(json.code).toBe(0);
    const events = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(events.map((e) => e.model)).toEqual(['my-private-llm', 'gpt-4o']); // newest first
    const [unpriced, priced] = events;
    expect(priced).toMatchObject({
      cost_usd: '0.006000000000',
      cost_input: '0.005000000000',
      cost_output: '0.001000000000',
      cost_source: 'computed',
      rates: expect.objectContaining({
        input: expect.stringMatching(/^2\.5/),
        output: expect.stringMatching(/^10/),
      }),
    });
    expect(priced!.price_version).toMatch(/^genai-prices@/);
    expect(unpriced).toMatchObject({ cost_usd: null, cost_source: 'unpriced', rates: null });

    const table = await runCli(['events', '--db', db, '--since', '2026-11-01', '--limit', '1']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ts\s+event_id\s+source.*cost_usd\s+cost_source\s+price_version$/);
    // 1 input token at $2.50/MTok = 2.5 µ$.
    expect(lines[1]).toMatch(
      /^2026-11-03T11:00:00\s+\w{16}\s+jsonl\s+gpt-4o\s+1\s.*0\.000002500000\s+computed/,
    );
    expect(lines.slice(2)).toEqual(['1 event (newest first; --format json shows cost parts and rates)']);
    // A call that did not end well says so, in a column shown only when the page has one.
    const ops = (await runCli(['events', '--db', db, '--where', 'team=ops'])).stdout.trim().split('\n');
    expect(ops[0]).toMatch(/price_version\s+status$/);
    expect(ops[1]).toMatch(/genai-prices@\S+\s+aborted$/);
    expect(ops[2]).toMatch(/genai-prices@\S+$/);
    // A team named differently from the ledger's finds nothing, and says how to list the teams there are.
    expect((await runCli(['events', '--db', db, '--where', 'team=Ops'])).stdout).toContain(
      '\nNo events in this range match --where team=Ops: `tokenledger report --by team` lists the team values there are.\n',
    );

    // CSV for spreadsheets: a missing value is an empty cell (not the text "null"), tags are JSON.
    const csv = await runCli(['events', '--db', db, '--where', 'team=web', '--format', 'csv']);
    const [header, ...rows] = csv.stdout.trim().split('\n');
    const cells = (row: string) =>
      Object.fromEntries(splitCsvRecord(row)!.map((v, i) => [header!.split(',')[i], v]));
    const unpricedRow = cells(rows[0]!);
    expect(unpricedRow).toMatchObject({ model: 'my-private-llm', cost_usd: '', org: '', tags: '{}' });
    expect(cells(rows[1]!)).toMatchObject({ model: 'gpt-4o', cost_usd: '0.006000000000' });
    expect(csv.stdout).not.toMatch(/(^|,)null(,|$)/m);
  });

  it('reads CSV with tag columns and groups by a tag', async () => {
    const file = join(dir, 'usage.csv');
    writeFileSync(
      file,
      'ts,model,input_tokens,output_tokens,tag.ticket\n2026-11-03,gpt-4o,1000,0,PAY-1\n2026-11-03T01:00:00Z,gpt-4o,3000,0,PAY-2\n2026-11-04,gpt-4o,1000,0,PAY-1\n',
    );
    expect((await runCli(['import', 'csv', file, '--db', db])).code).toBe(0);
    const r = await reportJson('--by', 'tag.ticket');
    expect(r.rows.map((x: Record<string, unknown>) => [x['tag.ticket'], x.cost_usd])).toEqual([
      ['PAY-2', '0.007500000000'],
      ['PAY-1', '0.005000000000'],
    ]);
  });

  it('selects the events without a tag with --where tag.KEY=, as --where user= those without a user', async () => {
    const file = write('u.jsonl', [
      line({ team: 'web', model: 'gpt-4o', input_tokens: 1000, tags: { ticket: 'PAY-1' } }),
      line({ team: 'web', model: 'gpt-4o', input_tokens: 2000 }),
      line({ team: 'app', model: 'gpt-4o', input_tokens: 4000 }),
    ]);
    expect((await runCli(['import', 'jsonl', file, '--db', db])).code).toBe(0);
    expect((await reportJson('--by', 'team', '--where', 'tag.ticket=')).totals.input_tokens).toBe(6000);
    const web = await reportJson('--by', 'team', '--where', 'tag.ticket=', '--where', 'team=web');
    expect(web.totals.input_tokens).toBe(2000);
    const events = await runCli(['events', '--db', db, '--format', 'json', '--where', 'tag.ticket=']);
    expect(events.stderr).toBe('');
    expect(JSON.parse(events.stdout).map((e: { input_tokens: number }) => e.input_tokens)).toEqual([
      4000, 2000,
    ]);
  });

  it('reports by day with filters and top-N', async () => {
    const file = write('days.jsonl', [
      line({ ts: '2026-11-03T10:00:00Z', user: 'a', model: 'gpt-4o', input_tokens: 4000 }),
      line({ ts: '2026-11-03T11:00:00Z', user: 'b', model: 'gpt-4o', input_tokens: 2000 }),
      line({ ts: '2026-11-04T10:00:00Z', user: 'c', model: 'gpt-4o', input_tokens: 1000 }),
      line({ ts: '2026-11-04T10:00:00Z', user: 'a', model: 'gpt-4o-mini', input_tokens: 1000 }),
    ]);
    await runCli(['import', 'jsonl', file, '--db', db]);
    const r = await reportJson(
      '--by',
      'user',
      '--bucket',
      'day',
      '--top',
      '1',
      '--where',
      'model=gpt-4o',
      '--since',
      '2026-11-01',
      '--until',
      '2026-11-05',
    );
    expect(
      r.rows.map((x: Record<string, unknown>) => [String(x.bucket).slice(0, 10), x.user, x.input_tokens]),
    ).toEqual([
      ['2026-11-03', 'a', 4000],
      ['2026-11-03', 'other', 2000],
      ['2026-11-04', 'other', 1000],
    ]);
    expect(r.totals.input_tokens).toBe(7000);
    // The table names the bucket and shows its start as people read it (JSON above keeps ISO instants).
    const args = ['report', '--db', db, '--by', 'user', '--since', '2026-11-01', '--until', '2026-11-05'];
    const table = (bucket: string) => runCli([...args, '--bucket', bucket]).then((t) => t.stdout.split('\n'));
    const days = await table('day');
    expect(days[0]).toMatch(/^day +user +cost/);
    expect(days[2]).toMatch(/^2026-11-03 +a +\$/);
    expect((await table('hour'))[2]).toMatch(/^2026-11-03 10:00 +a +\$/);
    expect((await table('month'))[2]).toMatch(/^2026-11 +a +\$/);
    // A filter that matches nothing (a name typed differently from the ledger's) says how to list the names.
    const none = await runCli([...args, '--where', 'user=A', '--where', 'model=gpt-4o']);
    expect(none.stdout).toContain(
      'No events in this range match --where user=A --where model=gpt-4o: `tokenledger report --by user` lists the user values there are.\n',
    );
    const later = await runCli(['report', '--db', db, '--since', '2026-11-05', '--until', '2026-11-06']);
    expect(later.stdout).toContain('\nNo events in this range.\n');
    expect((await runCli(args)).stdout).not.toContain('No events');
  });

  it('tells a team really named "other" from the row of every team past the top N, in JSON, CSV and the table', async () => {
    const file = write('teams.jsonl', [
      line({ team: 'web', model: 'gpt-4o', input_tokens: 9000 }),
      line({ team: 'other', model: 'gpt-4o', input_tokens: 5000 }),
      line({ team: 'mobile', model: 'gpt-4o', input_tokens: 1000 }),
      line({ team: 'data', model: 'gpt-4o', input_tokens: 1000 }),
    ]);
    await runCli(['import', 'jsonl', file, '--db', db]);
    // As the API's breakdown: with --top, every row says whether it folds the teams past the N (other: true).
    const r = await reportJson('--by', 'team', '--top', '2');
    expect(r.rows.map((x: Record<string, unknown>) => [x.team, x.other, x.input_tokens])).toEqual([
      ['web', false, 9000],
      ['other', false, 5000],
      ['other', true, 2000],
    ]);
    // Without --top there is no folded row and no flag: the JSON is as it was.
    expect((await reportJson('--by', 'team')).rows[0]).not.toHaveProperty('other');
    // CSV: the flag is the last column, so the columns before it keep their places.
    const csv = await runCli(['report', '--db', db, '--by', 'team', '--top', '2', '--format', 'csv']);
    const [header, ...lines] = csv.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^team,cost_usd,.*,unpriced_events,other$/);
    expect(lines.map((l) => [l.split(',')[0], l.split(',').at(-1)])).toEqual([
      ['web', 'false'],
      ['other', 'false'],
      ['other', 'true'],
    ]);
    const empty = await runCli([
      'report',
      '--db',
      db,
      '--by',
      'team',
      '--top',
      '2',
      '--format',
      'csv',
      '--where',
      'team=nobody',
    ]);
    expect(empty.stdout).toBe(`${header}\n`);
    // The table names the folded row "(all others)", as the dashboard does: a name no team is read as.
    const table = (await runCli(['report', '--db', db, '--by', 'team,model', '--top', '2'])).stdout.split(
      '\n',
    );
    expect(table[3]).toMatch(/^other +gpt-4o +\$/);
    expect(table[4]).toMatch(/^\(all others\) +\(all others\) +\$/);
  });
});

describe('CSV that matches no events', () => {
  it('keeps the header of the CSV that matches some, so a script reads both alike', async () => {
    const file = write('u.jsonl', [line({ team: 'web', model: 'gpt-4o', input_tokens: 1000 })]);
    await runCli(['import', 'jsonl', file, '--db', db]);
    const header = async (...args: string[]) =>
      (await runCli([...args, '--db', db, '--format', 'csv'])).stdout.split('\n')[0];
    for (const cmd of [
      ['report', '--by', 'team,tag.repo', '--bucket', 'day'],
      ['report', '--by', 'model', '--billed'],
      ['events'],
    ]) {
      const some = await header(...cmd, '--where', 'team=web');
      expect(some, cmd.join(' ')).toMatch(/cost_usd/);
      expect(await header(...cmd, '--where', 'team=nobody'), cmd.join(' ')).toBe(some);
    }
  });
});

describe('tokenledger report --share-unattributed', () => {
  it('splits the cost of calls with no team among the teams by their cost, day by day, to the pico-dollar', async () => {
    // gpt-4o input $2.50 per 1M tokens: web $2.50, app $7.50, calls with no team $1.00 on the 3rd; $0.25 on the 4th,
    // when no team made a call, so it stays theirs.
    const file = write('u.jsonl', [
      line({ team: 'web', model: 'gpt-4o', input_tokens: 1_000_000 }),
      line({ team: 'app', model: 'gpt-4o', input_tokens: 3_000_000 }),
      line({ model: 'gpt-4o', input_tokens: 400_000 }),
      line({ ts: '2026-11-04T09:00:00Z', model: 'gpt-4o', input_tokens: 100_000 }),
    ]);
    await runCli(['import', 'jsonl', file, '--db', db]);
    const whole = await reportJson('--by', 'team', '--share-unattributed');
    const by = (rows: { team: string | null }[]) => Object.fromEntries(rows.map((r) => [r.team, r]));
    expect(by(whole.rows)).toMatchObject({
      app: { cost_usd: '7.500000000000', shared_usd: '0.937500000000', allocated_usd: '8.437500000000' },
      web: { cost_usd: '2.500000000000', shared_usd: '0.312500000000', allocated_usd: '2.812500000000' },
      null: { cost_usd: '1.250000000000', shared_usd: '-1.250000000000', allocated_usd: '0.000000000000' },
    });
    expect(whole.totals.cost_usd).toBe('11.250000000000');
    const daily = await reportJson('--by', 'team', '--bucket', 'day', '--share-unattributed');
    const day = (d: string) => by(daily.rows.filter((r: { bucket: string }) => r.bucket.startsWith(d)));
    expect(day('2026-11-03')).toMatchObject({
      app: { shared_usd: '0.750000000000' },
      web: { shared_usd: '0.250000000000' },
      null: { shared_usd: '-1.000000000000' },
    });
    expect(day('2026-11-04')).toMatchObject({
      null: { shared_usd: '0.000000000000', allocated_usd: '0.250000000000' },
    });

    const table = await runCli(['report', '--db', db, '--by', 'team', '--share-unattributed']);
    expect(table.stdout).toMatch(/^team +cost +shared +allocated +input/);
    expect(table.stdout).toMatch(/\n\(none\) +\$1\.25 +-\$1\.25 +\$0\.00 /);
    expect(table.stdout).toContain(
      'shared: the $1.25 of calls with no team is split among the others in proportion',
    );
  });

  it('needs one --by dimension, and no --top or --billed', async () => {
    for (const extra of [
      ['--by', 'team,model'],
      ['--by', 'team', '--top', '2'],
      ['--by', 'team', '--billed'],
    ]) {
      const r = await runCli(['report', '--db', db, '--share-unattributed', ...extra]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('CLI_BAD_OPTION: --share-unattributed:');
    }
  });
});

describe('tokenledger report --by with no dimension', () => {
  it('prints the grand total with every number under its heading', async () => {
    const file = write('u.jsonl', [
      line({ team: 'web', model: 'gpt-4o', input_tokens: 1000, output_tokens: 100 }),
      line({ team: 'app', model: 'gpt-4o', input_tokens: 2000, output_tokens: 200 }),
    ]);
    await runCli(['import', 'jsonl', file, '--db', db]);
    const r = await runCli(['report', '--db', db, '--by', '']);
    expect(r.code).toBe(0);
    const [header, rule, row, , total] = r.stdout.split('\n');
    // Right-aligned columns: a line that ends elsewhere has its numbers under other headings.
    expect([rule, row, total].map((l) => l!.length)).toEqual([
      header!.length,
      header!.length,
      header!.length,
    ]);
    expect(total).toMatch(/^total +\$0\.01 +3,000 +0 +0 +300 +2$/);
  });
});

describe('tokenledger export → import', () => {
  it('reproduces every total exactly in an empty ledger, as JSONL and as CSV', async () => {
    expect((await runCli(['demo', '--db', db, '--people', '15', '--days', '3'])).code).toBe(0);
    const before = await reportJson('--by', 'team,model,user,cost_source');
    expect(before.totals.events).toBeGreaterThan(1000);
    for (const format of ['jsonl', 'csv']) {
      const out = join(dir, `export.${format}`);
      const ex = await runCli(['export', '--db', db, '--format', format, '-o', out]);
      expect(ex.code).toBe(0);
      const copy = join(dir, `copy-${format}.duckdb`);
      const im = await runCli(['import', format, out, '--db', copy]);
      expect(im.stdout).toContain(`imported ${before.totals.events.toLocaleString('en-US')} events`);
      const after = JSON.parse(
        (await runCli(['report', '--db', copy, '--format', 'json', '--by', 'team,model,user,cost_source']))
          .stdout,
      );
      expect(after).toEqual(before);
    }
  });

  // https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool: $10 per 1,000 searches.
  it('keeps web searches and their fee through import, report, events and export → import', async () => {
    const file = write('searched.jsonl', [
      line({
        team: 'research',
        model: 'claude-sonnet-4-5',
        input_tokens: 10000,
        output_tokens: 2000,
        web_search_requests: 3,
      }),
      line({ team: 'web', model: 'gpt-4o', input_tokens: 4000, output_tokens: 1000 }),
    ]);
    expect((await runCli(['import', 'jsonl', file, '--db', db])).stdout).toContain('imported 2 events');
    const before = await reportJson('--by', 'team');
    // Sonnet 4.5: 10,000 × $3 + 2,000 × $15 per 1M = $0.06, + 3 × $0.01 = $0.09; gpt-4o: $0.01 + $0.01 = $0.02
    expect(
      before.rows.map((r: Record<string, unknown>) => [r.team, r.cost_usd, r.web_search_requests]),
    ).toEqual([
      ['research', '0.090000000000', 3],
      ['web', '0.020000000000', 0],
    ]);
    expect(before.totals).toMatchObject({ cost_usd: '0.110000000000', web_search_requests: 3 });
    const table = (await runCli(['report', '--db', db, '--by', 'team'])).stdout.split('\n');
    expect(table[0]).toMatch(/ output +web searches +requests$/);
    const events = (await runCli(['events', '--db', db, '--since', '2026-01-01'])).stdout.split('\n');
    expect(events[0]).toMatch(/ out +searches +cost_usd /);
    for (const format of ['jsonl', 'csv']) {
      const out = join(dir, `searched.${format}`);
      expect((await runCli(['export', '--db', db, '--format', format, '-o', out])).code).toBe(0);
      const copy = join(dir, `searched-${format}.duckdb`);
      expect((await runCli(['import', format, out, '--db', copy])).stdout).toContain('imported 2 events');
      const after = JSON.parse(
        (await runCli(['report', '--db', copy, '--format', 'json', '--by', 'team'])).stdout,
      );
      expect(after, format).toEqual(before);
    }
  });

  // gpt-audio (genai-prices 0.1.8): $2.50 / $10 per 1M text tokens, $32 / $64 per 1M audio tokens.
  it('keeps audio tokens and their price through import, report, events and export → import', async () => {
    const file = write('audio.jsonl', [
      line({
        team: 'voice',
        model: 'gpt-audio',
        input_tokens: 12000,
        input_audio_tokens: 8000,
        output_tokens: 3000,
        output_audio_tokens: 2000,
      }),
      line({ team: 'web', model: 'gpt-4o', input_tokens: 4000, output_tokens: 1000 }),
      // A part larger than its whole: refused at its line, naming the field; the others are imported.
      line({ team: 'bad', model: 'gpt-audio', input_tokens: 10, input_audio_tokens: 11 }),
    ]);
    const imported = await runCli(['import', 'jsonl', file, '--db', db]);
    expect(imported.stdout).toContain('imported 2 events');
    expect(imported.stdout).toMatch(
      /audio\.jsonl:3 .*input_audio_tokens: input_audio_tokens is part of input_tokens/,
    );
    const before = await reportJson('--by', 'team');
    // input 4,000 × 2.5 + 8,000 × 32 = $0.266, output 1,000 × 10 + 2,000 × 64 = $0.138; gpt-4o $0.01 + $0.01
    expect(
      before.rows.map((r: Record<string, unknown>) => [
        r.team,
        r.cost_usd,
        r.input_audio_tokens,
        r.output_audio_tokens,
      ]),
    ).toEqual([
      ['voice', '0.404000000000', 8000, 2000],
      ['web', '0.020000000000', 0, 0],
    ]);
    const events = (await runCli(['events', '--db', db, '--since', '2026-01-01'])).stdout.split('\n');
    expect(events[0]).toMatch(/ out +audio in\/out +cost_usd /);
    expect(events.find((l) => l.includes('gpt-audio'))).toMatch(/ 8000\/2000 +0\.404000000000 /);
    for (const format of ['jsonl', 'csv']) {
      const out = join(dir, `audio.${format}`);
      expect((await runCli(['export', '--db', db, '--format', format, '-o', out])).code).toBe(0);
      const copy = join(dir, `audio-${format}.duckdb`);
      expect((await runCli(['import', format, out, '--db', copy])).stdout).toContain('imported 2 events');
      const after = JSON.parse(
        (await runCli(['report', '--db', copy, '--format', 'json', '--by', 'team'])).stdout,
      );
      expect(after, format).toEqual(before);
    }
  });

  // https://developers.openai.com/api/docs/models/whisper-1: $0.006 per minute, $0.36 per hour of audio.
  it('prices audio billed by its duration through import, report, events, reprice and export → import', async () => {
    const whisper = { provider: 'openai', model: 'whisper-1', operation: 'audio.transcriptions' };
    const file = write('transcribed.jsonl', [
      line({ event_id: 'a0d1000000000001', team: 'voice', ...whisper, audio_ms: 9000 }),
      // whisper-1 lists no output price: output tokens cannot be priced, whatever the duration.
      line({ event_id: 'a0d1000000000002', team: 'notes', ...whisper, audio_ms: 4000, output_tokens: 12 }),
      line({
        event_id: 'a0d1000000000003',
        team: 'web',
        model: 'gpt-4o',
        input_tokens: 4000,
        output_tokens: 1000,
      }),
    ]);
    const imported = await runCli(['import', 'jsonl', file, '--db', db]);
    expect(imported.stdout).toContain('imported 3 events');
    expect(imported.stdout).toContain('unpriced: 1 event, 12 tokens');
    const before = await reportJson('--by', 'team');
    // 9,000 ms × $0.36 per hour = $0.0009 exactly; gpt-4o: 4,000 × $2.50 + 1,000 × $10 per 1M = $0.02.
    expect(before.rows.map((r: Record<string, unknown>) => [r.team, r.cost_usd, r.audio_ms])).toEqual([
      ['web', '0.020000000000', 0],
      ['voice', '0.000900000000', 9000],
      ['notes', '0.000000000000', 4000],
    ]);
    expect(before.totals).toMatchObject({ cost_usd: '0.020900000000', audio_ms: 13000, input_tokens: 4000 });
    expect(before.unpriced).toEqual({ events: 1, tokens: 12 });
    const table = (await runCli(['report', '--db', db, '--by', 'team'])).stdout.split('\n');
    expect(table[0]).toMatch(/ output +audio seconds +requests$/);
    expect(table.find((l) => l.startsWith('voice'))).toMatch(/ 9\.000 +1$/);
    const events = await runCli(['events', '--db', db, '--since', '2026-01-01', '--format', 'json']);
    const byId = new Map(
      JSON.parse(events.stdout).map((e: Record<string, unknown>) => [e.event_id, e] as const),
    );
    expect(byId.get('a0d1000000000001')).toMatchObject({
      audio_ms: 9000,
      cost_usd: '0.000900000000',
      cost_source: 'computed',
    });
    expect(byId.get('a0d1000000000002')).toMatchObject({
      audio_ms: 4000,
      cost_usd: null,
      cost_source: 'unpriced',
    });
    const rows = (await runCli(['events', '--db', db, '--since', '2026-01-01'])).stdout.split('\n');
    expect(rows[0]).toMatch(/ out +audio s +cost_usd /);
    expect(rows.find((l) => l.includes('a0d1000000000001'))).toMatch(/ 9\.000 +0\.000900000000 +computed /);
    // A reprice at the same prices keeps both: the fee is what the catalog says, the output tokens still unpriced.
    const rp = await runCli(['reprice', '--db', db]);
    expect(rp.code).toBe(0);
    expect(rp.stdout).toMatch(/3 events examined, 0 changed/);
    expect(await reportJson('--by', 'team')).toEqual(before);
    for (const format of ['jsonl', 'csv']) {
      const out = join(dir, `transcribed.${format}`);
      expect((await runCli(['export', '--db', db, '--format', format, '-o', out])).code).toBe(0);
      const copy = join(dir, `transcribed-${format}.duckdb`);
      expect((await runCli(['import', format, out, '--db', copy])).stdout).toContain('imported 3 events');
      const after = JSON.parse(
        (await runCli(['report', '--db', copy, '--format', 'json', '--by', 'team'])).stdout,
      );
      expect(after, format).toEqual(before);
    }
  });

  it('to standard output, stops quietly when the reader has had enough (`| head`) and leaves no file behind', async () => {
    expect((await runCli(['demo', '--db', db, '--people', '15', '--days', '3'])).code).toBe(0);
    const whole = await runCli(['export', '--db', db]);
    expect(whole.stderr).toMatch(/^exported [\d,]+ events\n$/);
    expect(whole.stdout.length).toBeGreaterThan(1 << 20); // more than a pipe holds
    const { first, code, stderr } = await readFirstChunk(['export', '--db', db]);
    expect(whole.stdout.startsWith(first)).toBe(true);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(readdirSync(dir).filter((n) => n.startsWith('.export-'))).toEqual([]);
    // Any command's output, not only export's.
    const events = await readFirstChunk(['events', '--db', db, '--limit', '20000', '--since', '2020-01-01']);
    expect(events.first).toMatch(/^ts +event_id/);
    expect({ code: events.code, stderr: events.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('writes parquet that DuckDB can read back', async () => {
    await runCli(['demo', '--db', db, '--people', '5', '--days', '1']);
    const out = join(dir, 'ledger.parquet');
    expect((await runCli(['export', '--db', db, '--format', 'parquet', '-o', out])).code).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
  });

  // Published prices: claude-sonnet-4-5 input $3/MTok, cache read $0.30, 1h cache write $6, output $15; gpt-4o
  // input $2.50, output $10. https://www.anthropic.com/pricing · https://openai.com/api/pricing
  it('writes FOCUS 1.2 for FinOps tools: a row per charge, billed as the report totals, unpriced calls counted', async () => {
    const file = write('u.jsonl', [
      line({
        team: 'payments',
        project: 'checkout',
        model: 'claude-sonnet-4-5',
        input_tokens: 1000,
        cache_read_tokens: 10000,
        cache_write_1h_tokens: 2000,
        output_tokens: 500,
      }),
      line({ team: 'web', model: 'gpt-4o', input_tokens: 2000, output_tokens: 100 }),
      line({ team: 'web', model: 'my-private-llm', input_tokens: 70, output_tokens: 30 }),
    ]);
    expect((await runCli(['import', 'jsonl', file, '--db', db])).code).toBe(0);
    const r = await runCli(['export', '--db', db, '--format', 'focus']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'exported 6 FOCUS rows (left out 1 event with no price, 100 tokens: a FOCUS cost cannot be unknown; ' +
        '`tokenledger prices show MODEL` tells why a model is unpriced)\n',
    );
    const [header, ...lines] = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => splitCsvRecord(l)!);
    const rows = lines.map((l) => Object.fromEntries(header!.map((h, i) => [h, l[i]])));
    const charge = (meter: string) =>
      rows
        .filter((row) => row.SkuMeter === meter)
        .map((row) => [row.x_Model, row.ConsumedQuantity, row.ListUnitPrice, row.BilledCost]);
    expect(charge('Input Tokens')).toEqual([
      ['claude-sonnet-4-5', '1000', '3', '0.003'],
      ['gpt-4o', '2000', '2.5', '0.005'],
    ]);
    expect(charge('Cache Read Tokens')).toEqual([['claude-sonnet-4-5', '10000', '0.3', '0.003']]);
    expect(charge('Cache Write Tokens (1 hour)')).toEqual([['claude-sonnet-4-5', '2000', '6', '0.012']]);
    expect(charge('Output Tokens')).toEqual([
      ['claude-sonnet-4-5', '500', '15', '0.0075'],
      ['gpt-4o', '100', '10', '0.001'],
    ]);
    const billed = rows.reduce((s, row) => s + parseDecimal(row.BilledCost!, 12), 0n);
    expect(formatUsd(billed)).toBe((await reportJson('--by', '')).totals.cost_usd);
    expect(rows.find((row) => row.x_Model === 'claude-sonnet-4-5')).toMatchObject({
      SubAccountId: 'checkout',
      ChargePeriodStart: '2026-11-03T00:00:00Z',
      ChargePeriodEnd: '2026-11-04T00:00:00Z',
    });

    // Written to a file, the dataset has its schema metadata beside it: every column in order, each decimal at the
    // precision and scale the typed file holds it at.
    const parquet = join(dir, 'focus.parquet');
    const typed = await runCli(['export', '--db', db, '--format', 'focus-parquet', '-o', parquet]);
    expect(typed.stderr).toMatch(/ to .*focus\.parquet, its schema metadata to .*focus\.metadata\.json\n$/);
    const metadata = JSON.parse(readFileSync(join(dir, 'focus.metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ DataGenerator: 'tokenledger', FocusVersion: '1.2' });
    expect(metadata.SchemaId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(metadata.CreationDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(metadata.ColumnDefinition.map((c: { ColumnName: string }) => c.ColumnName)).toEqual(header);
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    const described = (
      await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${parquet}')`)
    ).getRows();
    const parquetTypes = Object.fromEntries(described.map((r) => [String(r[0]), String(r[1])]));
    for (const c of metadata.ColumnDefinition)
      if (c.DataType === 'DECIMAL')
        expect(parquetTypes[c.ColumnName], c.ColumnName).toBe(
          `DECIMAL(${c.NumericPrecision},${c.NumberScale})`,
        );
      else if (c.DataType === 'DATETIME')
        expect(parquetTypes[c.ColumnName], c.ColumnName).toMatch(/^TIMESTAMP/);
      else expect(parquetTypes[c.ColumnName], c.ColumnName).toBe('VARCHAR');
  });

  it('refuses to write over the ledger it exports, which would replace the ledger with its copy', async () => {
    const file = write('u.jsonl', [line({ team: 'web', model: 'gpt-4o', input_tokens: 1000 })]);
    expect((await runCli(['import', 'jsonl', file, '--db', db])).code).toBe(0);
    const before = await reportJson('--by', 'team');
    for (const output of [db, `${db}.wal`, join(dir, '.', 'ledger.duckdb')]) {
      const r = await runCli(['export', '--db', db, '--format', 'csv', '-o', output]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error CLI_BAD_OPTION: --output .* is the ledger's own file/);
    }
    expect(await reportJson('--by', 'team')).toEqual(before);
  });
});

describe('tokenledger reprice', () => {
  it('recomputes with a new negotiated discount and keeps what was billed', async () => {
    const file = write('u.jsonl', [
      line({ model: 'gpt-4o', input_tokens: 1_000_000 }),
      line({ model: 'gpt-4o', input_tokens: 1_000_000, ts: '2026-10-01T00:00:00Z' }),
    ]);
    await runCli(['import', 'jsonl', file, '--db', db]);
    const prices = join(dir, 'tokenledger.prices.yaml');
    writeFileSync(
      prices,
      'discounts:\n  - provider: openai\n    percent_off: "20"\n    from: "2026-11-01"\n',
    );
    const rp = await runCli(['reprice', '--db', db, '--prices', prices]);
    expect(rp.code).toBe(0);
    expect(rp.stdout).toMatch(/2 events examined, 1 changed/);
    const r = await reportJson('--billed', '--by', 'model');
    // $2.50 × 1M tokens each; the November one now 20% off: 2.00 + 2.50 = 4.50, billed 5.00.
    expect(r.totals.cost_usd).toBe('4.500000000000');
    expect(r.totals.billed_cost_usd).toBe('5.000000000000');
  });

  it('--billed says unpriced for calls that had no price when billed, even once a reprice priced them, and $0 for free ones', async () => {
    const file = write('u.jsonl', [
      line({ team: 'a', model: 'Acme/LLM-Large', input_tokens: 1_000_000, output_tokens: 1_000_000 }),
      line({ team: 'b', model: 'gpt-4o', input_tokens: 1_000_000 }),
      line({ team: 'c', model: 'gpt-4o', input_tokens: 0 }),
    ]);
    await runCli(['import', 'jsonl', file, '--db', db]);
    const prices = join(dir, 'tokenledger.prices.yaml');
    writeFileSync(
      prices,
      'models:\n  - id: acme-llm\n    names: [Acme/LLM-Large]\n    prices:\n      input_mtok: "1"\n      output_mtok: "2"\n',
    );
    expect((await runCli(['reprice', '--db', db, '--prices', prices])).stdout).toMatch(/1 changed/);
    const table = await runCli(['report', '--db', db, '--by', 'team', '--billed']);
    const cells = (team: string) =>
      table.stdout
        .split('\n')
        .find((l) => l.startsWith(team))!
        .split(/ {2,}/)
        .slice(0, 3);
    expect([cells('a '), cells('b '), cells('c '), cells('total')]).toEqual([
      ['a', '$3.00', 'unpriced'],
      ['b', '$2.50', '$2.50'],
      ['c', '$0.00', '$0.00'],
      ['total', '$5.50', '$2.50 *'],
    ]);
    expect(table.stdout).toContain(
      'as billed: 1 event had no price when billed — not in the as-billed cost\n* a cost marked so leaves out some of them\n',
    );
    const r = await reportJson('--billed', '--by', 'team');
    const json = (row: { team: string; billed_cost_usd: string; billed_unpriced_events: number }) =>
      `${row.team} ${row.billed_cost_usd} ${row.billed_unpriced_events}`;
    expect(r.rows.map(json)).toEqual(['a 0.000000000000 1', 'b 2.500000000000 0', 'c 0.000000000000 0']);
    expect([r.totals.billed_cost_usd, r.totals.billed_unpriced_events]).toEqual(['2.500000000000', 1]);
    const csv = (await runCli(['report', '--db', db, '--by', 'team', '--billed', '--format', 'csv'])).stdout;
    const [header, ...rows] = csv
      .trim()
      .split('\n')
      .map((l) => splitCsvRecord(l));
    const at = (name: string) => header!.indexOf(name);
    expect(
      rows.map((row) => [row![0], row![at('billed_cost_usd')], row![at('billed_unpriced_events')]]),
    ).toEqual([
      ['a', '0.000000000000', '1'],
      ['b', '2.500000000000', '0'],
      ['c', '0.000000000000', '0'],
    ]);
  });

  it('--model also prices the events that were unpriced under a name the model now has', async () => {
    const file = write('u.jsonl', [
      line({ model: 'Acme/LLM-Large', input_tokens: 1_000_000, output_tokens: 1_000_000 }),
      line({ model: 'other-unknown-llm', input_tokens: 1_000_000 }),
      line({ model: 'gpt-4o', input_tokens: 1_000_000 }),
    ]);
    await runCli(['import', 'jsonl', file, '--db', db]);
    const prices = join(dir, 'tokenledger.prices.yaml');
    writeFileSync(
      prices,
      'models:\n  - id: acme-llm\n    names: [Acme/LLM-Large]\n    prices:\n      input_mtok: "1"\n      output_mtok: "2"\n',
    );
    const rp = await runCli(['reprice', '--model', 'acme-llm', '--db', db, '--prices', prices]);
    expect(rp.code).toBe(0);
    // $1 + $2 for the Acme call; the other unknown model and gpt-4o are not acme-llm, so not examined.
    // The call had no price before: unknown, not $0.00.
    expect(rp.stdout).toMatch(/1 event examined, 1 changed, \$0\.00 \+ 1 unpriced → \$3\.00\n/);
    const r = await reportJson('--by', 'model');
    expect(r.totals.cost_usd).toBe('5.500000000000');
    // The call is now under the model the override names, as an import with the override would have stored it…
    expect(r.rows.find((row: { cost_usd: string }) => row.cost_usd === '3.000000000000')).toMatchObject({
      model: 'acme-llm',
    });
    // …so the model's next price change reaches it: $10 + $20.
    writeFileSync(prices, readFileSync(prices, 'utf8').replace('"1"', '"10"').replace('"2"', '"20"'));
    const again = await runCli(['reprice', '--model', 'acme-llm', '--db', db, '--prices', prices]);
    expect(again.stdout).toMatch(/1 event examined, 1 changed, \$3\.00 → \$30\.00/);
  });
});

describe('tokenledger start', () => {
  it('prints spend by team for a ledger that already has data, without loading the demo again', async () => {
    await runCli(['demo', '--db', db, '--people', '12', '--days', '2']);
    const r = await withoutAgentLogs(dir, () => runCli(['start', '--db', db, '--no-serve']));
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('loading the demo organisation');
    expect(r.stdout).toContain('Spend by team, last 30 days');
    expect(r.stdout).toMatch(/^total\s+\$[\d,]+\.\d\d/m);
    expect(r.stdout).toContain('unpriced: 0 events');
  });

  it('shows spend that exists: all time when nothing is from the last 30 days, by model when nothing has a team', async () => {
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const old = write('old.jsonl', [
      line({ ts: ago(90), model: 'gpt-4o', input_tokens: 1_000_000 }),
      line({ ts: ago(95), model: 'gpt-4o-mini', input_tokens: 1_000_000 }),
    ]);
    expect((await runCli(['import', 'jsonl', old, '--db', db])).code).toBe(0);
    await withoutAgentLogs(dir, async () => {
      const first = await runCli(['start', '--db', db, '--no-serve']);
      expect(first.stderr).toBe('');
      expect(first.stdout).toContain('Spend by model, all time (tokenledger report --by model):');
      // gpt-4o input $2.50/M, gpt-4o-mini $0.15/M. https://openai.com/api/pricing
      expect(first.stdout).toMatch(/^total\s+\$2\.65\s/m);
      const recent = write('recent.jsonl', [
        line({ ts: ago(2), team: 'web', model: 'gpt-4o', input_tokens: 10 }),
      ]);
      expect((await runCli(['import', 'jsonl', recent, '--db', db])).code).toBe(0);
      const second = await runCli(['start', '--db', db, '--no-serve']);
      expect(second.stdout).toContain(
        'Spend by team, last 30 days (tokenledger report --by team --since 30d):',
      );
      expect(second.stdout).toMatch(/^web\s+\$0\.000025\s/m);
    });
  });

  it('says a --port that is no port before it imports or loads anything', async () => {
    const r = await withoutAgentLogs(dir, () => runCli(['start', '--db', db, '--port', '80a']));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error CLI_BAD_OPTION: --port "80a": expected a port number 0-65535\n');
    expect(r.stdout).toBe('');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('under npm start, a taken port is named with how to pass another through npm', async () => {
    await runCli(['demo', '--db', db, '--people', '3', '--days', '1']);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const args = ['start', '--db', db, '--port', String(port)];
      const r = await withoutAgentLogs(dir, () => runCli(args), { npm_lifecycle_event: 'start' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `error SERVE_LISTEN_FAILED: 127.0.0.1:${port} is in use (another tokenledger serve, or another program): pass --port N (--port 0 picks a free one); with npm start: npm start -- --port N`,
      );
    } finally {
      taken.close();
    }
  });

  it("start and import auto leave out an agent's logs when the ledger receives its telemetry (same calls, other ids)", async () => {
    const store = await createDuckDbStore(db);
    await store.append([
      makeEvent(1, { source: 'otlp', agent: 'claude-code', ts: (Date.now() - 3_600_000) * 1000 }),
    ]);
    await store.close();
    const logs = join(settledFixtures(), 'claude-code/config');
    const r = await withoutAgentLogs(dir, () => runCli(['start', '--db', db, '--no-serve']), {
      CLAUDE_CONFIG_DIR: logs,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`claude-code: 3 log files in ${logs}`);
    expect(r.stdout).toContain(
      "  not imported: this ledger receives claude-code's telemetry (OTLP), which records the same calls under other ids",
    );
    expect((await reportJson('--by', 'source')).rows.map((x: { source: string }) => x.source)).toEqual([
      'otlp',
    ]);
    const auto = await withoutAgentLogs(dir, () => runCli(['import', 'auto', '--db', db]), {
      CLAUDE_CONFIG_DIR: logs,
    });
    expect(auto.stdout).toContain("  not imported: this ledger receives claude-code's telemetry");
    expect((await reportJson('--by', 'source')).rows.map((x: { source: string }) => x.source)).toEqual([
      'otlp',
    ]);
    // Asked for by name, the logs are imported.
    expect((await runCli(['import', 'claude-code', logs, '--db', db])).stdout).toMatch(
      /imported [1-9]\d* events/,
    );
  });
});

describe('tokenledger alone', () => {
  it("imports the developer's own agent logs and prints their spend, with no demo and no server", async () => {
    const logs = join(settledFixtures(), 'claude-code/config');
    const env = { CLAUDE_CONFIG_DIR: logs, TOKENLEDGER_DB: db };
    const r = await withoutAgentLogs(dir, () => runCli([]), env);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`claude-code: 3 log files in ${logs}`);
    expect(r.stdout).toMatch(/Spend by model, (all time|last 30 days)/);
    expect(r.stdout).not.toContain('demo');
    expect(r.stdout).not.toContain('listening');
    const bySource = (await reportJson('--by', 'source')).rows.map((x: { source: string }) => x.source);
    expect(bySource).toEqual(['claude-code']);
    // Again: nothing new is imported, the same spend is printed, and the ledger file is left as it was (so the next
    // run's import answers from its state cache without opening it).
    const before = readFileSync(db);
    const again = await withoutAgentLogs(dir, () => runCli([]), env);
    expect(again.stdout).toContain('imported 0 events');
    expect(readFileSync(db).equals(before)).toBe(true);
    expect(again.stdout.slice(again.stdout.indexOf('Spend by'))).toBe(
      r.stdout.slice(r.stdout.indexOf('Spend by')),
    );
  });

  it('takes --db and --prices, as every command that touches the ledger does', async () => {
    const logs = join(settledFixtures(), 'claude-code/config');
    const env = { CLAUDE_CONFIG_DIR: logs };
    const r = await withoutAgentLogs(dir, () => runCli(['--db', db]), env);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`claude-code: 3 log files in ${logs}`);
    expect((await reportJson('--by', 'source')).rows.map((x: { source: string }) => x.source)).toEqual([
      'claude-code',
    ]);
    const other = join(dir, 'other.duckdb');
    const prices = await withoutAgentLogs(
      dir,
      () => runCli([`--db=${other}`, '--prices', join(dir, 'nope.yaml')]),
      env,
    );
    expect(prices.stderr).toMatch(/^error PRICE_OVERRIDES_NOT_FOUND: .*nope\.yaml/);
    // Anything else alone is still an error.
    expect((await runCli(['--bogus'])).code).toBe(1);
  });

  it('says what to do when there are no logs, and leaves the ledger empty', async () => {
    const r = await withoutAgentLogs(dir, () => runCli([]), { TOKENLEDGER_DB: db });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('claude-code: no logs found');
    expect(r.stdout).toContain(
      `Nothing to show yet: no coding-agent logs here, and the ledger at ${db} is empty.`,
    );
    expect((await reportJson()).totals.events).toBe(0);
  });
});

describe('errors', () => {
  it('exit non-zero with one line that says what to do', async () => {
    const bad = await runCli(['report', '--db', db, '--by', 'color']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error CLI_BAD_OPTION: unknown dimension "color": use one of .*tag\.KEY\n$/);
    const day = await runCli(['report', '--db', db, '--by', 'project,day']);
    expect(day.stderr).toBe('error CLI_BAD_OPTION: --by day: time is not a dimension; use --bucket day\n');
    const missing = await runCli(['import', 'jsonl', join(dir, 'nope.jsonl'), '--db', db]);
    expect(missing.stderr).toMatch(/^error CLI_NO_FILE: .*nope\.jsonl: no such file\n$/);
    const folder = await runCli(['import', 'jsonl', dir, '--db', db]);
    expect(folder.stderr).toBe(
      `error CLI_NO_FILE: ${dir}: a folder; import jsonl takes files (name each, or a shell glob such as ${join(dir, '*')})\n`,
    );
    const joined = await runCli(['report', '--db', db, '--where', 'team=web,model=gpt-5']);
    expect(joined.stderr).toBe(
      'error CLI_BAD_OPTION: --where "team=web,model=gpt-5": one condition a --where; give "model=gpt-5" its own (--where team=web --where model=gpt-5)\n',
    );
    const since = await runCli(['report', '--db', db, '--since', 'last tuesday']);
    expect(since.stderr).toMatch(/--since "last tuesday": expected an age like 30d/);
  });

  it('demo with an option out of range says so and makes no ledger', async () => {
    for (const [flag, value] of [
      ['--people', '0'],
      ['--people', '20000'],
      ['--days', '5000'],
      ['--seed', 'x'],
    ] as const) {
      const r = await runCli(['demo', '--db', db, flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(1);
      expect(r.stderr, `${flag} ${value}`).toContain(flag.slice(2));
      expect(readdirSync(dir), `${flag} ${value}`).toEqual([]);
    }
  });

  it("refuses a demo size past the generator's bounds with the bounds it has, before writing anything", async () => {
    for (const [flag, value, max] of [
      ['--people', '20000', 10_000],
      ['--days', '4000', 3660],
    ] as const) {
      const r = await runCli(['demo', '--db', join(dir, 'never.duckdb'), flag, value]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error CLI_BAD_OPTION: ${flag} "${value}": expected a whole number from 1 to ${max}\n`,
      );
    }
    expect(existsSync(join(dir, 'never.duckdb'))).toBe(false);
  });

  it('demo --days N fills the N × 24 hours that end now, none of its calls in the future', async () => {
    const before = Date.now();
    expect((await runCli(['demo', '--db', db, '--people', '20', '--days', '2'])).code).toBe(0);
    const after = Date.now();
    const r = await runCli(['events', '--db', db, '--format', 'json', '--limit', '100000']);
    const times = (JSON.parse(r.stdout) as { ts: string }[]).map((e) => Date.parse(e.ts));
    expect(Math.max(...times)).toBeLessThan(after);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(before - 2 * 86_400_000);
  });

  it('a command that fails before writing anything leaves no new ledger behind', async () => {
    const file = write('u.jsonl', [line({ team: 'web', model: 'gpt-4o', input_tokens: 1000 })]);
    const prices = join(dir, 'nope.yaml');
    for (const args of [
      ['import', 'jsonl', file],
      ['import', 'claude-code', join(settledFixtures(), 'claude-code')],
      ['demo', '--people', '2', '--days', '1'],
    ]) {
      const r = await runCli([...args, '--db', db, '--prices', prices]);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^error PRICE_OVERRIDES_NOT_FOUND: .*nope\.yaml/);
      expect(readdirSync(dir), args.join(' ')).toEqual(['u.jsonl']);
    }
    // A ledger that was there stays, whatever fails.
    expect((await runCli(['import', 'jsonl', file, '--db', db])).code).toBe(0);
    expect((await runCli(['import', 'jsonl', file, '--db', db, '--prices', prices])).code).toBe(1);
    expect((await reportJson()).totals.events).toBe(1);
  });

  /** The commands that read a ledger and never make one. */
  const READERS = [
    ['report'],
    ['events'],
    ['export'],
    ['reconcile'],
    ['reprice'],
    ['runaways'],
    ['anomalies'],
  ];

  it('a ledger that is not there is an error for the commands that read one, and none is made', async () => {
    const typo = join(dir, 'ledgr', 'ledger.duckdb');
    for (const args of READERS) {
      const r = await runCli([...args, '--db', typo]);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toBe(
        `error CLI_NO_LEDGER: no ledger at ${typo}: check --db (or TOKENLEDGER_DB), or fill one first (tokenledger import auto, tokenledger demo, or npm start)\n`,
      );
    }
    expect(readdirSync(dir)).not.toContain('ledgr');
  });

  it('another DuckDB database is not a ledger for the commands that read one, and is left as it was', async () => {
    // A --db pointing at the user's own analytics database: an empty report, and the ledger's tables written into it.
    const other = join(dir, 'analytics.duckdb');
    const instance = await DuckDBInstance.create(other);
    const c = await instance.connect();
    await c.run('CREATE TABLE mine AS SELECT 1 AS a');
    c.closeSync();
    instance.closeSync();
    for (const args of READERS) {
      const r = await runCli([...args, '--db', other]);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toMatch(
        /^error STORE_NOT_A_LEDGER: .*analytics\.duckdb is a DuckDB database/,
      );
    }
    const reopened = await DuckDBInstance.create(other);
    const tables = (
      await (await reopened.connect()).runAndReadAll('SELECT table_name FROM information_schema.tables')
    )
      .getRows()
      .map((r) => r[0]);
    reopened.closeSync();
    expect(tables).toEqual(['mine']);
  });

  it('a file that is not a DuckDB database says so, without blaming permissions or another process', async () => {
    const notDb = join(dir, 'notes.duckdb');
    writeFileSync(notDb, 'garbage\n');
    const r = await runCli(['report', '--db', notDb]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a valid DuckDB database file');
    expect(r.stderr).toContain('is not a ledger: check --db');
    expect(r.stderr).not.toContain('holds it open');
    expect(readFileSync(notDb, 'utf8')).toBe('garbage\n');
    // Any other reason still ends its sentence before the advice.
    const folder = await runCli(['report', '--db', dir]);
    expect(folder.stderr).toMatch(/Is a directory\. Check the path is writable/);
  });
});

/** Runs the built-in CLI entry as a process whose reader closes the pipe after the first chunk, as `| head` does. */
async function readFirstChunk(
  args: string[],
): Promise<{ first: string; code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const first = await new Promise<string>((r) =>
    child.stdout.once('data', (c) => {
      child.stdout.destroy();
      r(String(c));
    }),
  );
  return { first, code: await exited, stderr };
}

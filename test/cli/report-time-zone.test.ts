/**
 * `report --tz ZONE`, as ccusage's `--timezone`: a day (week, month, hour) is the calendar's in that zone, and the
 * dates of `--since`/`--until` are read there too. Without it, UTC, as before.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

let db: string;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-report-tz-'));
  db = join(dir, 'ledger.duckdb');
  const file = join(dir, 'calls.jsonl');
  // 23:30 UTC on 3 November: the morning of the 4th in Tokyo, the evening of the 3rd in New York.
  const calls = [
    { ts: '2026-11-03T23:30:00Z', model: 'gpt-4o', input_tokens: 1000, session_id: 's-early' },
    { ts: '2026-11-04T12:00:00Z', model: 'gpt-4o', input_tokens: 2000, session_id: 's-late' },
  ];
  writeFileSync(file, `${calls.map((c) => JSON.stringify(c)).join('\n')}\n`);
  expect((await runCli(['import', 'jsonl', file, '--db', db])).code).toBe(0);
}, 60_000);

async function tableRows(...args: string[]): Promise<string[]> {
  const r = await runCli(['report', '--db', db, '--bucket', 'day', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout.split('\n');
  // Between the rules under the header and above the total.
  return lines
    .slice(
      2,
      lines.findIndex((l, i) => i > 1 && l.startsWith('─')),
    )
    .map((l) => l.replace(/ +\$.*$/, ''));
}

describe('tokenledger report --tz', () => {
  it('puts a call on the calendar day of the zone: 23:30 UTC is the next day in Tokyo, the same day in New York', async () => {
    expect(await tableRows('--by', '', '--tz', 'Asia/Tokyo')).toEqual(['2026-11-04']);
    expect(await tableRows('--by', '', '--tz', 'America/New_York')).toEqual(['2026-11-03', '2026-11-04']);
    expect(await tableRows('--by', '')).toEqual(['2026-11-03', '2026-11-04']);
    const hours = await runCli(['report', '--db', db, '--by', '', '--bucket', 'hour', '--tz', 'Asia/Tokyo']);
    expect(hours.stdout.split('\n').slice(0, 4)).toEqual([
      expect.stringMatching(/^hour \(Asia\/Tokyo\) +cost/),
      expect.any(String),
      expect.stringMatching(/^2026-11-04 08:00 +\$/),
      expect.stringMatching(/^2026-11-04 21:00 +\$/),
    ]);
  });

  it('reads --since and --until dates in the zone', async () => {
    const json = async (...args: string[]) => {
      const r = await runCli(['report', '--db', db, '--by', '', '--format', 'json', ...args]);
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout);
    };
    // 4 November in Tokyo runs from 15:00 UTC on the 3rd: both calls; in UTC only the second.
    const tokyo = await json('--since', '2026-11-04', '--until', '2026-11-05', '--tz', 'Asia/Tokyo');
    expect(tokyo.totals.input_tokens).toBe(3000);
    expect((await json('--since', '2026-11-04', '--until', '2026-11-05')).totals.input_tokens).toBe(2000);
    // ccusage's compact dates too: --until 20261103 includes all of the 3rd in New York (to 05:00 UTC on the 4th).
    const ny = await json('--since', '20261103', '--until', '20261103', '--tz', 'America/New_York');
    expect(ny.totals.input_tokens).toBe(1000);
    // JSON keeps its contract: a bucket is the UTC instant its local day starts at.
    const days = await json('--bucket', 'day', '--tz', 'Asia/Tokyo');
    expect(days.rows.map((r: { bucket: string }) => r.bucket)).toEqual(['2026-11-03T15:00:00.000Z']);
  });

  it('refuses a zone that is not an IANA name, naming the flag and the value', async () => {
    for (const zone of ['Mars/Olympus_Mons', '+09:00', 'JST9']) {
      const r = await runCli(['report', '--db', db, '--bucket', 'day', '--tz', zone]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `error CLI_BAD_OPTION: --tz ${JSON.stringify(zone)}: not an IANA time zone; use a name like Europe/Berlin, America/New_York or UTC\n`,
      );
    }
  });
});

// The calls behind a day of `report --tz Asia/Tokyo` are the ones `events --tz Asia/Tokyo` lists for that day: every
// command that takes --since/--until reads their dates in the same zone.
describe('--tz on every command with --since/--until', () => {
  const range = ['--since', '2026-11-04', '--until', '2026-11-05'];
  const tokyo = [...range, '--tz', 'Asia/Tokyo'];
  const ok = async (...args: string[]) => {
    const r = await runCli([...args, '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const inputs = (jsonl: string) =>
    jsonl
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).input_tokens)
      .sort();

  it('events', async () => {
    expect(inputs(await ok('events', '--format', 'jsonl', ...tokyo))).toEqual([1000, 2000]);
    expect(inputs(await ok('events', '--format', 'jsonl', ...range))).toEqual([2000]);
  });

  it('export', async () => {
    const exported = async (...args: string[]) => {
      const r = await runCli(['export', ...args, '--db', db]);
      expect(r.code).toBe(0);
      return inputs(r.stdout);
    };
    expect(await exported(...tokyo)).toEqual([1000, 2000]);
    expect(await exported(...range)).toEqual([2000]);
  });

  it('runaways', async () => {
    const sessions = async (...args: string[]) =>
      (
        JSON.parse(await ok('runaways', '--max-usd', '0', '--format', 'json', ...args)).runaways as {
          value: string;
        }[]
      )
        .map((r) => r.value)
        .sort();
    expect(await sessions(...tokyo)).toEqual(['s-early', 's-late']);
    expect(await sessions(...range)).toEqual(['s-late']);
  });

  it('reprice', async () => {
    // reprice has only --since: from the start of the 4th.
    expect(await ok('reprice', '--since', '2026-11-04', '--tz', 'Asia/Tokyo')).toMatch(
      /: 2 events examined, 0 changed/,
    );
    expect(await ok('reprice', '--since', '2026-11-04')).toMatch(/: 1 event examined, 0 changed/);
  });

  it('refuses a zone that is not an IANA name, as report does', async () => {
    const r = await runCli(['events', ...range, '--tz', 'Tokyo', '--db', db]);
    expect([r.code, r.stderr]).toEqual([
      1,
      'error CLI_BAD_OPTION: --tz "Tokyo": not an IANA time zone; use a name like Europe/Berlin, America/New_York or UTC\n',
    ]);
  });
});

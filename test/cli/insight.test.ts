import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsdDisplay, parseUsd } from '../../src/money/money.js';
import { demoIncident } from '../../src/sources/demo/company.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let db: string;
let started: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-cli-insight-'));
  db = join(dir, 'ledger.duckdb');
  started = Date.now();
  const r = await runCli(['demo', '--db', db, '--people', '40', '--days', '20']);
  expect(r.code).toBe(0);
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('tokenledger runaways and anomalies', () => {
  it("finds the demo's runaway-agent incident, and only it, at the default limits", async () => {
    // The demo ends when it was generated; its incident is where demoIncident says.
    const incident = demoIncident({ seed: 42, people: 40, days: 20, end: started * 1000 })!;
    const r = await runCli(['runaways', '--db', db, '--since', '30d', '--format', 'json']);
    expect(r.stderr).toBe('');
    const { runaways } = JSON.parse(r.stdout);
    expect(runaways.map((x: { value: string }) => x.value)).toEqual([incident.session_id]);
    expect(runaways[0]).toMatchObject({ team: incident.team, user: incident.user, agent: incident.agent });
    const table = await runCli(['runaways', '--db', db, '--since', '30d']);
    expect(table.stdout).toContain(incident.session_id);
    // People read cents; the JSON above keeps the exact 12 digits.
    expect(table.stdout).toContain(
      `${formatUsdDisplay(parseUsd(runaways[0].spend_usd))} in ${runaways[0].calls} calls`,
    );
    expect(table.stdout).not.toMatch(/\.\d{12}/);
  });

  it("flags the incident's hours as its team's spend anomaly", async () => {
    const incident = demoIncident({ seed: 42, people: 40, days: 20, end: started * 1000 })!;
    const r = await runCli(['anomalies', '--db', db, '--since', '30d', '--format', 'json']);
    expect(r.stderr).toBe('');
    const { anomalies } = JSON.parse(r.stdout);
    const hours = anomalies.filter(
      (a: { value: string; hour: string }) =>
        a.value === incident.team &&
        Date.parse(a.hour) >= Math.floor(incident.start / 3.6e9) * 3.6e6 &&
        Date.parse(a.hour) < incident.end / 1000,
    );
    expect(hours.length).toBeGreaterThanOrEqual(1);
  });

  it('takes its hours from --tz: in Asia/Kolkata (UTC+5:30) an hour starts at :30 past a UTC hour', async () => {
    const incident = demoIncident({ seed: 42, people: 40, days: 20, end: started * 1000 })!;
    const r = await runCli([
      'anomalies',
      '--db',
      db,
      '--since',
      '30d',
      '--tz',
      'Asia/Kolkata',
      '--format',
      'json',
    ]);
    expect(r.stderr).toBe('');
    const { anomalies } = JSON.parse(r.stdout) as { anomalies: { value: string; hour: string }[] };
    expect(anomalies.length).toBeGreaterThanOrEqual(1);
    for (const a of anomalies) expect(a.hour.slice(13)).toBe(':30:00.000Z');
    expect(
      anomalies.some(
        (a) =>
          a.value === incident.team &&
          Date.parse(a.hour) + 3.6e6 > incident.start / 1000 &&
          Date.parse(a.hour) < incident.end / 1000,
      ),
    ).toBe(true);
  });

  it('takes `key` for the virtual key in --where and --by, as report, events and budgets do', async () => {
    const where = await runCli(['runaways', '--db', db, '--since', '30d', '--where', 'key=vk_none']);
    expect(where.stderr).toBe('');
    expect(where.stdout).toBe('No runaway sessions in the range.\n');
    const by = await runCli(['anomalies', '--db', db, '--since', '30d', '--by', 'key', '--format', 'json']);
    expect(by.stderr).toBe('');
    const spelled = await runCli([
      'anomalies',
      '--db',
      db,
      '--since',
      '30d',
      '--by',
      'api_key_id',
      '--format',
      'json',
    ]);
    expect(JSON.parse(by.stdout)).toEqual(JSON.parse(spelled.stdout));
  });

  it("starts a --since before 1970 at the ledger's first time, as report does, and names a bad --until", async () => {
    // The API refuses a since before 1970 (it names a parameter the CLI user never typed); report reads it as all time.
    const incident = demoIncident({ seed: 42, people: 40, days: 20, end: started * 1000 })!;
    for (const command of ['runaways', 'anomalies']) {
      const r = await runCli([command, '--db', db, '--since', '1960-01-01', '--format', 'json']);
      expect(r.stderr, command).toBe('');
      expect(r.code, command).toBe(0);
      const all = await runCli([command, '--db', db, '--since', '30d', '--format', 'json']);
      expect(JSON.parse(r.stdout), command).toEqual(JSON.parse(all.stdout));
      const until = await runCli([command, '--db', db, '--until', '1969-12-31']);
      expect(until.code, command).toBe(1);
      expect(until.stderr, command).toContain('--until "1969-12-31" is before 1970');
    }
    const r = await runCli(['runaways', '--db', db, '--since', '1960-01-01', '--format', 'json']);
    expect(JSON.parse(r.stdout).runaways.map((x: { value: string }) => x.value)).toEqual([
      incident.session_id,
    ]);
  });

  it('says which option is wrong', async () => {
    const r = await runCli(['runaways', '--db', db, '--max-usd', 'lots']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('max_usd');
  });

  it('takes --threshold only as plain decimal digits, naming the option otherwise', async () => {
    // Number() would read these as 10, 16, Infinity and 0: a threshold nobody typed.
    for (const bad of ['1e1', '0x10', 'Infinity', '', ' ', '8.', '-8']) {
      const r = await runCli(['anomalies', '--db', db, '--since', '30d', '--threshold', bad]);
      expect(r.code, bad).toBe(1);
      expect(r.stderr, bad).toContain(`--threshold ${JSON.stringify(bad)}`);
    }
    const ok = await runCli([
      'anomalies',
      '--db',
      db,
      '--since',
      '30d',
      '--threshold',
      '8.5',
      '--format',
      'json',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});

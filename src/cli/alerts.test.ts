import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../budgets/alerts/alert.js';
import { openAlertCenter } from '../budgets/alerts/alert-center.js';
import { alertLogPath, fileAlertLog } from '../budgets/alerts/alert-log.js';
import { alertsCommand } from './alerts.js';

let dir: string;
let db: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-alerts-cli-'));
  db = join(dir, 'ledger.duckdb');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const alert = (dedup_key: string, kind: AlertInput['kind'], title: string): AlertInput => ({
  kind,
  severity: kind === 'runaway' ? 'critical' : 'warning',
  dedup_key,
  title,
  scope: { team: 'payments' },
});

async function run(o: Record<string, string>): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  await alertsCommand(
    { db, ...o },
    (s) => {
      out += s;
    },
    (s) => {
      err += s;
    },
  );
  return { out, err };
}

async function seed(times: string[]): Promise<void> {
  let i = 0;
  const c = await openAlertCenter({
    log: fileAlertLog(alertLogPath(db)),
    webhooks: [],
    now: () => new Date(times[Math.min(i, times.length - 1)] as string),
  });
  c.raise(alert('a', 'budget_threshold', 'Budget team=payments monthly reached 50%'));
  i++;
  c.raise(alert('b', 'runaway', 'Session s-1 spent $12.00 in 5 minutes'));
  i++;
  c.raise(alert('c', 'budget_threshold', 'Budget team=payments monthly reached 80%'));
  await c.close();
}

describe('tokenledger alerts', () => {
  it('says so when there are no alerts yet (no file)', async () => {
    expect((await run({})).out).toContain('No alerts.');
    expect(JSON.parse((await run({ format: 'json' })).out)).toEqual({ alerts: [] });
  });

  it('lists newest first, filtered by kind, since and limit', async () => {
    const now = Date.now();
    const iso = (daysAgo: number) => new Date(now - daysAgo * 86_400_000).toISOString();
    await seed([iso(10), iso(3), iso(1)]);
    const { out } = await run({});
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^created \(UTC\)\s+severity\s+kind\s+title\s+delivery$/);
    expect(lines.slice(2).map((l) => l.split(/\s{2,}/)[3])).toEqual([
      'Budget team=payments monthly reached 80%',
      'Session s-1 spent $12.00 in 5 minutes',
      'Budget team=payments monthly reached 50%',
    ]);
    const json = async (o: Record<string, string>) =>
      (JSON.parse((await run({ ...o, format: 'json' })).out).alerts as { dedup_key: string }[]).map(
        (a) => a.dedup_key,
      );
    expect(await json({ kind: 'budget_threshold' })).toEqual(['c', 'a']);
    expect(await json({ since: '7d' })).toEqual(['c', 'b']);
    expect(await json({ limit: '1' })).toEqual(['c']);
    expect(await json({ since: '2d', kind: 'runaway' })).toEqual([]);
  });

  it('reads a --since date in the zone --tz names', async () => {
    // 23:30 UTC on 3 November is the morning of the 4th in Tokyo.
    await seed(['2026-11-03T10:00:00Z', '2026-11-03T23:30:00Z', '2026-11-04T12:00:00Z']);
    const keys = async (o: Record<string, string>) =>
      (JSON.parse((await run({ ...o, format: 'json' })).out).alerts as { dedup_key: string }[]).map(
        (a) => a.dedup_key,
      );
    expect(await keys({ since: '2026-11-04', tz: 'Asia/Tokyo' })).toEqual(['c', 'b']);
    expect(await keys({ since: '2026-11-04' })).toEqual(['c']);
    await expect(run({ since: '2026-11-04', tz: 'Tokyo' })).rejects.toThrow(
      '--tz "Tokyo": not an IANA time zone',
    );
  });

  it('notes a torn last line on stderr and keeps JSON output clean', async () => {
    await seed([new Date().toISOString()]);
    await appendFile(alertLogPath(db), '{"alert":{"id":"al_');
    const { out, err } = await run({ format: 'json' });
    expect(JSON.parse(out).alerts).toHaveLength(3);
    expect(err).toContain('skipped a torn last line');
  });

  it('rejects an unknown kind or format with the choices', async () => {
    await expect(run({ kind: 'nope' })).rejects.toThrow(
      /--kind "nope": use one of budget_threshold, budget_blocked/,
    );
    await expect(run({ format: 'csv' })).rejects.toThrow(/use table or json/);
    await expect(run({ limit: '0' })).rejects.toThrow(/--limit "0"/);
  });
});

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertLogPath, fileAlertLog, listAlerts } from '../../src/budgets/alerts/alert-log.js';
import { formatUsdDisplay, formatUsdOf } from '../../src/money/money.js';
import { runCli } from '../helpers/run-cli.js';
import { call, client, configDir, serve } from './budget-harness.js';
import { type MeteredProvider, startMeteredProvider } from './metered-provider.js';

let up: MeteredProvider;
beforeAll(async () => {
  up = await startMeteredProvider();
});
afterAll(() => up.close());

/** A local webhook receiver: the bodies it was sent. */
async function receiver(): Promise<{ url: string; bodies: unknown[]; close(): Promise<void> }> {
  const bodies: unknown[] = [];
  const srv = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const c of req) text += c;
    bodies.push(JSON.parse(text));
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

const until = async (cond: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
};

/** How many of up to `tries` calls pass before the first is refused, which must be a budget's 429. */
async function admittedUntilRefused(c: OpenAI, tries: number): Promise<number> {
  for (let i = 0; i < tries; i++) {
    const r = await call(c, 100 + i);
    if (!r.ok) {
      expect(r).toMatchObject({ status: 429, body: { code: 'GW_BUDGET_EXCEEDED' } });
      return i;
    }
  }
  return tries;
}

describe('budgets while the server runs', () => {
  it('enforces a budget the CLI adds, counting what its window had already spent', async () => {
    const d = await configDir({});
    const s = await serve(d, up);
    try {
      const c = client(s.url, 'late');
      for (let i = 0; i < 5; i++) expect((await call(c, i)).ok).toBe(true);
      await s.wal.drain();
      const spent = (
        await s.store.query({ dimensions: [], filters: [{ dimension: 'team', values: ['late'] }] })
      ).totals.cost_usd;
      // Room for about one more call's worst case ($0.00104) on top of what the window already spent. Were the new
      // budget's counter to start at zero, the five earlier calls' worth would pass first.
      const limit = (Number(spent) / 1e12 + 0.0015).toFixed(6);
      const add = await runCli([
        'budgets',
        'add',
        '--db',
        d.ledger,
        '--scope',
        'team=late',
        '--limit-usd',
        limit,
        '--action',
        'block',
      ]);
      expect(add.code, add.stderr).toBe(0);
      // The server takes up the file's change on its next look (a request a second later, or an API read, as
      // here), seeding the new budget's counter from the ledger before the budget is in force.
      const { admin_token } = JSON.parse(
        await readFile(d.ledger.replace(/\.duckdb$/, '.server.json'), 'utf8'),
      );
      const listed = await fetch(`${s.url}/api/budgets`, {
        headers: { authorization: `Bearer ${admin_token}` },
      });
      expect(((await listed.json()) as { budgets: unknown[] }).budgets).toHaveLength(1);
      expect(await admittedUntilRefused(c, 8)).toBeLessThanOrEqual(1);
      expect((await call(client(s.url, 'other'), 1)).ok).toBe(true);
    } finally {
      await s.close();
      await d.rm();
    }
  }, 20_000);

  it('enforces a budget changed over the API against what its new scope and period already spent', async () => {
    const d = await configDir({});
    const s = await serve(d, up);
    try {
      const c = client(s.url, 'moved');
      for (let i = 0; i < 5; i++) expect((await call(c, i)).ok).toBe(true);
      await s.wal.drain();
      const spent = (
        await s.store.query({ dimensions: [], filters: [{ dimension: 'team', values: ['moved'] }] })
      ).totals.cost_usd;
      const { admin_token } = JSON.parse(
        await readFile(d.ledger.replace(/\.duckdb$/, '.server.json'), 'utf8'),
      );
      const api = async (method: string, path: string, body: unknown) => {
        const r = await fetch(`${s.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${admin_token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(r.status).toBe(200);
        return (await r.json()) as { id: string };
      };
      // Made for another team, then moved onto this one: room for about one more call's worst case ($0.00104) on
      // top of what this team spent today. Were the counter still the other team's (nothing), all eight would pass.
      const limit = (Number(spent) / 1e12 + 0.0015).toFixed(6);
      const b = await api('POST', '/api/budgets', {
        scope: { team: 'elsewhere' },
        period: 'daily',
        limit_usd: limit,
        action: 'block',
      });
      await api('PUT', `/api/budgets/${b.id}`, { scope: { team: 'moved' } });
      expect(await admittedUntilRefused(c, 8)).toBeLessThanOrEqual(1);
      // A week (in another zone) starts a new window: it holds today's spend too, not nothing.
      await api('PUT', `/api/budgets/${b.id}`, { period: 'weekly', tz: 'Pacific/Kiritimati' });
      expect(await admittedUntilRefused(c, 8)).toBe(0);
    } finally {
      await s.close();
      await d.rm();
    }
  }, 20_000);

  it("raises a virtual key's budget with keys update on the next call, still counting what the key spent", async () => {
    const d = await configDir({});
    const s = await serve(d, up, { OPENAI_API_KEY: 'sk-upstream' });
    try {
      // Room for one call's worst case ($0.00104 at max_tokens 100), not two.
      const made = await runCli([
        'keys',
        'create',
        '--team',
        'keyed',
        '--budget',
        '0.0015',
        '--db',
        d.ledger,
      ]);
      const key = made.stdout.trim().split('\n').at(-1)!;
      const id = /Created virtual key (vk_[0-9a-f]+)/.exec(made.stdout)![1]!;
      await new Promise((r) => setTimeout(r, 1100)); // the server rereads the keys file at most once a second
      const keyed = new OpenAI({ apiKey: key, baseURL: `${s.url}/v1`, maxRetries: 0 });
      expect((await call(keyed, 0)).ok).toBe(true);
      const refused = await call(keyed, 1);
      expect(refused).toMatchObject({ status: 429, body: { code: 'GW_BUDGET_EXCEEDED' } });
      expect((refused as { body: { message: string } }).body.message).toContain(
        `raise the limit (tokenledger keys update ${id} --budget USD)`,
      );
      await s.wal.drain();
      const spent = (
        await s.store.query({ dimensions: [], filters: [{ dimension: 'api_key_id', values: [id] }] })
      ).totals.cost_usd;
      // Room for one more call on top of what the key spent: were its counter to start again at zero, two would pass.
      const budget = (Number(spent) / 1e12 + 0.0015).toFixed(6);
      const update = await runCli(['keys', 'update', id, '--budget', budget, '--db', d.ledger]);
      expect(update.stdout).toBe(`Updated ${id} (team=keyed budget=${formatUsdDisplay(budget)}/month).\n`);
      // The list asks the running server what the key spent this month, against its budget.
      const listed = await runCli(['keys', 'list', '--db', d.ledger]);
      expect(listed.stdout).toContain(`  spent ${formatUsdOf(spent, budget)} this month (`);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await admittedUntilRefused(keyed, 4)).toBe(1);
    } finally {
      await s.close();
      await d.rm();
    }
  }, 20_000);

  it('keys update refuses a key with no budget, a revoked key and a bad amount, and changes nothing', async () => {
    const d = await configDir({});
    try {
      const made = await runCli(['keys', 'create', '--team', 'free', '--db', d.ledger]);
      const id = /Created virtual key (vk_[0-9a-f]+)/.exec(made.stdout)![1]!;
      const said = async (...args: string[]) =>
        (await runCli(['keys', 'update', id, ...args, '--db', d.ledger])).stderr;
      expect(await said('--budget', '50')).toBe(
        `error CLI_BAD_OPTION: ${id} has no budget, and its spend was counted against none: create a key with --budget and revoke this one\n`,
      );
      // Plain decimal digits only: 1e3 and .5 are exact, but a key's budget is shown back as written.
      for (const bad of ['-5', '1e3', '.5', '0x10'])
        expect(await said('--budget', bad), bad).toBe(
          `error CLI_BAD_OPTION: --budget ${JSON.stringify(bad)}: expected a positive USD amount such as 250 or 99.50\n`,
        );
      expect(await said()).toBe(
        'error CLI_BAD_OPTION: nothing to change: give --budget USD, --models LIST or --expires WHEN\n',
      );
      await runCli(['keys', 'revoke', id, '--db', d.ledger]);
      expect(await said('--budget', '50')).toMatch(/^error CLI_BAD_OPTION: vk_[0-9a-f]+ was revoked at /);
      expect((await runCli(['keys', 'list', '--all', '--db', d.ledger])).stdout).toContain(
        'team=free  created',
      );
    } finally {
      await d.rm();
    }
  });

  it('blocks a session looping on near-identical requests, and alerts once to a webhook', async () => {
    const hook = await receiver();
    const d = await configDir({
      runaway: { loop_repeats: 4, window_minutes: 10, block: true, block_minutes: 5 },
      alerts: { webhooks: [{ url: hook.url, format: 'slack' }] },
    });
    const s = await serve(d, up);
    try {
      const looping = client(s.url, 'agents');
      const ask = (session: string, n: number) =>
        looping.chat.completions
          .create(
            {
              model: 'gpt-4o',
              max_tokens: 20,
              messages: [{ role: 'user', content: `run the tests (attempt ${n})` }],
            },
            { headers: { 'x-tokenledger-session': session } },
          )
          .then(
            () => 200,
            (e: { status: number }) => e.status,
          );
      const statuses: number[] = [];
      for (let n = 1; n <= 6; n++) statuses.push(await ask('loop-1', n));
      // Four near-identical requests (digits are normalised) make a loop: the fifth is refused.
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      expect(await ask('fresh-session', 1)).toBe(200);
      await until(() => hook.bodies.length >= 1);
      const slack = hook.bodies[0] as { text: string };
      expect(slack.text).toContain('loop-1');
      // The delivery is logged once the webhook has answered, which may come after its body arrived here.
      const runaways = () => listAlerts(fileAlertLog(alertLogPath(d.ledger)), { kind: 'runaway' });
      await until(async () => (await runaways()).alerts[0]?.deliveries.length === 1);
      const { alerts } = await runaways();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        scope: { session_id: 'loop-1', team: 'agents' },
        data: { reason: 'loop' },
      });
      expect(alerts[0]!.deliveries.map((x) => x.outcome)).toEqual(['delivered']);
    } finally {
      await s.close();
      await d.rm();
      await hook.close();
    }
  }, 20_000);

  it('alerts at each threshold of a budget, once each, listed by `tokenledger alerts`', async () => {
    const d = await configDir({
      budgets: {
        'team-alerts': {
          scope: { team: 'watch' },
          period: 'daily',
          limit_usd: '0.004',
          thresholds: [50, 100],
        },
      },
    });
    const s = await serve(d, up);
    try {
      const c = client(s.url, 'watch');
      // An alert-only budget never refuses: all calls pass while spend goes past the limit.
      for (let i = 0; i < 8; i++) expect((await call(c, i)).ok).toBe(true);
      await until(
        async () => (await listAlerts(fileAlertLog(alertLogPath(d.ledger)), {})).alerts.length >= 2,
      );
      const r = await runCli(['alerts', '--db', d.ledger, '--format', 'json']);
      const alerts = JSON.parse(r.stdout).alerts as { kind: string; budget_id: string; dedup_key: string }[];
      const thresholds = alerts.filter((a) => a.kind === 'budget_threshold');
      expect(thresholds.map((a) => a.budget_id)).toEqual(['team-alerts', 'team-alerts']);
      expect(new Set(thresholds.map((a) => a.dedup_key)).size).toBe(2);
    } finally {
      await s.close();
      await d.rm();
    }
  }, 20_000);
});

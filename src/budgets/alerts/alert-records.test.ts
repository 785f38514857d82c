import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openLedgerRecords } from '../../server/ledger-records.js';
import { ClickHouseSql } from '../../store/clickhouse/clickhouse-sql.js';
import { startChdbServer } from '../../store/clickhouse/testing/chdb-server.js';
import type { AlertInput } from './alert.js';
import { openAlertCenter } from './alert-center.js';
import { listAlerts } from './alert-log.js';

// Two gateway instances on one ClickHouse ledger: each opens the ledger's records (server/ledger-records.ts) on a
// connection of its own, against ClickHouse's engine behind its HTTP interface (testing/chdb-server.ts).
let clickhouse: Awaited<ReturnType<typeof startChdbServer>>;
let databases = 0;
beforeAll(async () => {
  clickhouse = await startChdbServer();
});
afterAll(async () => {
  await clickhouse.close();
});

const instances = async () => {
  const url = `${clickhouse.url}/alerts_${++databases}`;
  return {
    url,
    a: await openLedgerRecords('/nowhere/a.duckdb', url),
    b: await openLedgerRecords('/nowhere/b.duckdb', url),
  };
};
const alert = (dedup_key: string): AlertInput => ({
  kind: 'budget_threshold',
  severity: 'warning',
  dedup_key,
  title: `Budget team=payments monthly reached ${dedup_key.split(':').at(-1)}%`,
  scope: { team: 'payments' },
  budget_id: 'b_12ab',
});

it("lists every instance's alerts with their deliveries, and an instance started later raises none of them again", async () => {
  const got: string[] = [];
  const hook = createServer((req, res) => {
    req.resume().on('end', () => res.end('ok'));
    got.push(req.headers['x-tokenledger-delivery'] as string);
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const { a, b } = await instances();
  const webhooks = [
    {
      name: 'ops',
      url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      format: 'json' as const,
      secret: null,
      kinds: null,
      min_severity: 'info' as const,
    },
  ];
  const first = await openAlertCenter({ log: a.alerts, webhooks });
  first.raise(alert('budget:b_12ab:2026-12-01:80'));
  await first.close();
  // Instance B lists what A raised, with A's delivery.
  const listed = (await listAlerts(b.alerts, {})).alerts;
  expect(listed.map((x) => [x.dedup_key, x.deliveries.map((d) => [d.webhook, d.outcome, d.status])])).toEqual(
    [['budget:b_12ab:2026-12-01:80', [['ops', 'delivered', 200]]]],
  );
  expect(got).toEqual([listed[0]!.id]);
  // B starts after A raised it: the same threshold crossing raises nothing new, and sends nothing.
  const second = await openAlertCenter({ log: b.alerts, webhooks });
  second.raise(alert('budget:b_12ab:2026-12-01:80'));
  await second.close();
  expect(second.stats()).toMatchObject({ raised: 0, deduplicated: 1 });
  expect(got).toHaveLength(1);
  await Promise.all([a.close(), b.close()]);
  hook.close();
});

it('keeps one alert where two running instances raise the same one, each listing it once', async () => {
  const { a, b } = await instances();
  const [x, y] = await Promise.all([a, b].map((r) => openAlertCenter({ log: r.alerts, webhooks: [] })));
  x!.raise(alert('budget:b_12ab:2026-12-01:100'));
  y!.raise(alert('budget:b_12ab:2026-12-01:100'));
  y!.raise(alert('budget:b_12ab:2026-12-01:50'));
  await Promise.all([x!.close(), y!.close()]);
  for (const r of [a, b])
    expect((await listAlerts(r.alerts, {})).alerts.map((al) => al.dedup_key).sort()).toEqual([
      'budget:b_12ab:2026-12-01:100',
      'budget:b_12ab:2026-12-01:50',
    ]);
  await Promise.all([a.close(), b.close()]);
});

it('a row of the alerts that is not an alert is ALERT_LOG_CORRUPT, naming the kind and the id', async () => {
  const { url, a, b } = await instances();
  const sql = await ClickHouseSql.open(url);
  await sql.insert('planting', 'records', [
    { kind: 'alerts', id: 'al_0000000000000000', created_at: '', body: '{oops', removed: false },
  ]);
  await expect(listAlerts(a.alerts, {})).rejects.toMatchObject({
    code: 'ALERT_LOG_CORRUPT',
    message: expect.stringMatching(/kind alerts\), id al_0000000000000000: /),
  });
  await Promise.all([sql.close(), a.close(), b.close()]);
});

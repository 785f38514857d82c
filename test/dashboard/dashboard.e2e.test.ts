import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillDemo } from '../../src/cli/demo.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { formatUsd, parseUsd } from '../../src/money/money.js';
import { GitRepo } from '../../src/roi/testing/git-repo.js';
import { newToken } from '../../src/server/api/token-file.js';
import { fileLedgerRecords } from '../../src/server/ledger-records.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { FOCUS_COLUMNS } from '../../src/store/focus/dataset.js';
import { CARDS, card, DAY, makeEvent } from '../../src/store/testing/event-factory.js';
import { ALL_OTHERS, count, intervalText, percent, signed, sumDecimals, usd } from '../../web/src/format.js';
import type { RoiReport } from '../../web/src/roi-report.js';
import { newestFirst, type UsageWindow } from '../../web/src/usage-windows.js';
import { freePort } from '../helpers/free-port.js';
import { trainedRouter } from '../helpers/trained-router.js';

// A real browser on a real server with demo data. Debian's chromium (installed by .ci/run).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = join(import.meta.dirname, 'output');

let dir: string;
let server: RunningServer;
let emptyServer: RunningServer;
let browser: Browser;
let page: Page;
let admin: string;
let repo: GitRepo;
/** A call the gateway's response cache sent upstream, whose answer two later calls got from the cache. */
let cacheMiss: UsageEvent;

/** A server on free ports; `otlp` also starts its OTLP/HTTP and OTLP/gRPC receivers. */
async function start(
  ledgerPath: string,
  otlp = false,
  configPath: string | null = null,
): Promise<RunningServer> {
  return startServer({
    ledgerPath,
    configPath,
    port: 0,
    ...(otlp ? { otlpPort: await freePort(), otlpGrpcPort: await freePort() } : {}),
    cwd: dir,
    env: {},
    openStore: (p) => createDuckDbStore(p),
    log: () => {},
  });
}

async function apiGet<T = Record<string, string>>(path: string): Promise<T> {
  const r = await fetch(server.url + path, { headers: { authorization: `Bearer ${admin}` } });
  expect(r.status, path).toBe(200);
  return (await r.json()) as T;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

/** A <select> as the page sees it (this file is type-checked without the DOM library). */
type HTMLSelect = { selectedOptions: { textContent: string | null }[] };

const kpi = (id: string) => page.locator(`[data-kpi="${id}"] .kpi-value`);

/** Epoch ms as an ISO time, as the API reads a bound. */
const iso = (ms: number) => new Date(ms).toISOString();

/** "$1,482.77" as whole cents; "*" (some events unpriced) and other marks are ignored. */
const cents = (shown: string | null): bigint => BigInt((shown ?? '').replace(/[^0-9]/g, ''));

/**
 * The demo ends now, so a window like "the last 7 days" loses its oldest calls as the clock moves and never gains
 * any: a page that fetched between two reads of the API shows an amount between the later read and the earlier one.
 * Asserting equality with one read made the test fail whenever a call crossed the edge in between.
 */
function expectShownBetween(shown: string | null, later: string, earlier: string): void {
  expect(cents(shown)).toBeGreaterThanOrEqual(cents(usd(later)));
  expect(cents(shown)).toBeLessThanOrEqual(cents(usd(earlier)));
}

/** Adds a gateway call made four days ago to the demo ledger and opens its page. */
async function openNewCall(n: number, fields: Partial<UsageEvent>): Promise<void> {
  const call = makeEvent(n, { ts: Date.now() * 1000 - 4 * DAY, source: 'gateway', ...fields });
  await server.store.append([call]);
  await page.goto(`${server.url}/events?since=7d&event=${call.event_id}&ts=${call.ts}`);
  await page.getByTestId('event-cost').waitFor();
}

beforeAll(async () => {
  if (!existsSync('dist/web/index.html')) execFileSync('npx', ['vite', 'build', 'web'], { stdio: 'ignore' });
  mkdirSync(OUT, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'tl-dash-'));
  const ledger = join(dir, 'ledger.duckdb');
  const store = await createDuckDbStore(ledger);
  await fillDemo(store, { people: '40', days: '20' }, () => {});
  // The ROI page's repository: commits by the demo's costliest, middle and least spending people, whose ledger users
  // are their work emails (so no people file is needed).
  const ranked = await store.query({ dimensions: ['user'], top: 100, other: false });
  const users = ranked.rows.flatMap((r) => (r.dims.user ? [r.dims.user] : []));
  const spenders = [users[0]!, users[users.length >> 1]!, users.at(-1)!];
  // The costliest one's agent worked on branch feat/x of this repository (its folder is "repo") three days ago.
  const onBranch = { user: spenders[0]!, project: 'repo', tags: { git_branch: 'feat/x' } };
  cacheMiss = makeEvent(9_200, {
    ts: Date.now() * 1000 - DAY,
    source: 'gateway',
    model: 'gpt-4o',
    tags: { gateway_cache: 'miss' },
  });
  await store.append([
    makeEvent(9_001, { ...onBranch, ts: Date.now() * 1000 - 3 * DAY, rates: CARDS.sonnet }),
    // Calls the gateway routed two days ago (`auto`, the config's router below): two to gpt-4o-mini, one to gpt-4o.
    ...['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o'].map((model, i) =>
      makeEvent(9_100 + i, { ts: Date.now() * 1000 - 2 * DAY, source: 'gateway', route_id: 'auto', model }),
    ),
    // A call the gateway's response cache sent upstream yesterday, and two answered again from it since.
    cacheMiss,
    ...[1, 2].map((n) =>
      makeEvent(9_200 + n, {
        ts: cacheMiss.ts + n * 60_000_000,
        source: 'gateway',
        model: 'gpt-4o',
        tags: { gateway_cache: 'hit' },
        source_ref: `cache:${cacheMiss.event_id}`,
        input_tokens: 0,
        cache_read_tokens: 0,
        output_tokens: 0,
      }),
    ),
  ]);
  await store.close();
  repo = new GitRepo();
  spenders.forEach((user, i) => {
    for (let k = 0; k <= i; k++)
      repo.commit({ name: user, email: user }, new Date(Date.now() - (10 - k) * 86_400_000).toISOString(), {
        [`${user}-${k}.txt`]: 'x\n',
      });
  });
  const who = { name: spenders[0]!, email: spenders[0]! };
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
  repo.git(who, daysAgo(3), 'checkout', '-q', '-b', 'feat/x');
  repo.commit(who, daysAgo(3), { 'x.txt': 'x\n' });
  repo.git(who, daysAgo(2), 'checkout', '-q', 'main');
  repo.git(
    who,
    daysAgo(2),
    'merge',
    '-q',
    '--no-ff',
    '-m',
    'Merge pull request #1 from acme/feat/x',
    'feat/x',
  );
  const USD = 1_000_000_000_000n;
  writeFileSync(
    join(dir, 'router.json'),
    trainedRouter(
      ['gpt-4o-mini', (USD * 15n) / 100n, (USD * 6n) / 10n],
      ['gpt-4o', (USD * 5n) / 2n, USD * 10n],
    ),
  );
  writeFileSync(
    join(dir, 'roi.config.yaml'),
    `roi:\n  repos: [${JSON.stringify(repo.dir)}]\nrouters:\n  auto: router.json\n`,
  );
  server = await start(ledger, false, join(dir, 'roi.config.yaml'));
  emptyServer = await start(join(dir, 'empty.duckdb'), true);
  admin = JSON.parse(await readFile(join(dir, 'ledger.server.json'), 'utf8')).admin_token;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await emptyServer?.close();
  repo?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('dashboard in a real browser', () => {
  it('logs in with the one-time link and shows the KPIs the API reports', async () => {
    const started = Date.now();
    await page.goto(server.loginLink());
    await expect.poll(() => page.url()).toBe(`${server.url}/`);
    await kpi('spend').waitFor();
    const firstLoadMs = Date.now() - started;
    const s = await apiGet('/api/summary?since=30d');
    expect(await kpi('spend').textContent()).toBe(usd(s.cost_usd));
    expect(await kpi('cache').textContent()).toBe(usd(s.cache_savings_usd));
    expect(await kpi('per-1m').textContent()).toBe(usd(s.cost_per_1m_tokens_usd));
    // The demo spans 20 days: the 30 days before these 30 were not all recorded, so no change is claimed.
    const { previous } = await apiGet<{ previous: { complete: boolean } }>('/api/summary?since=30d');
    expect(previous.complete).toBe(false);
    expect(await page.locator('[data-kpi="spend"] .kpi-hint').textContent()).toBe(
      'no full previous period to compare',
    );
    await page.locator('.chart canvas').first().waitFor();
    await page.locator('section[aria-label="Top teams"] tbody tr').first().waitFor();
    // Each model's effective rate, cache hit rate and cache savings, as GET /api/metrics gives them.
    const metrics = await apiGet<{
      groups: {
        model: string;
        cost_per_1m_tokens_usd: string;
        cache_hit_rate: number | null;
        cache_savings_usd: string;
      }[];
    }>('/api/metrics?since=30d&dims=model');
    await page.getByTestId('efficiency').locator('tbody tr').first().waitFor();
    expect(
      await page
        .getByTestId('efficiency')
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))),
    ).toEqual(
      metrics.groups
        .slice(0, 8)
        .map((g) => [
          g.model,
          usd(g.cost_per_1m_tokens_usd),
          percent(g.cache_hit_rate),
          usd(g.cache_savings_usd),
        ]),
    );
    // The routed calls beside what they would have cost on the router's strongest model, as the API says.
    const routing = await apiGet<{
      routers: {
        router: string;
        calls: number;
        cost_usd: string;
        versus: string;
        versus_inferred: boolean;
        versus_cost_usd: string;
        saved_usd: string;
        models: {
          model: string;
          calls: number;
          cost_usd: string;
          versus_cost_usd: string;
          saved_usd: string;
        }[];
      }[];
    }>('/api/routing/savings?since=30d');
    // `auto` is the config's router, compared with its file's strongest model; the demo's support-auto is in no
    // config, so it is compared with the priciest model it chose, and the table marks that model with a star.
    expect(routing.routers.map((r) => [r.router, r.versus, r.versus_inferred])).toEqual([
      ['auto', 'gpt-4o', false],
      ['support-auto', 'claude-sonnet-4-5', true],
    ]);
    expect(routing.routers[0]!.calls).toBe(3);
    expect(routing.routers[1]!.calls).toBeGreaterThan(0);
    await page.getByTestId('routing').locator('tbody tr').first().waitFor();
    const routingRows = await page
      .getByTestId('routing')
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent)));
    expect(routingRows).toEqual(
      routing.routers.flatMap((r) => [
        [
          r.router,
          count(r.calls),
          usd(r.cost_usd),
          r.versus_inferred ? `${r.versus} *` : r.versus,
          usd(r.versus_cost_usd),
          usd(r.saved_usd),
        ],
        ...r.models.map((m) => [
          m.model,
          count(m.calls),
          usd(m.cost_usd),
          '',
          usd(m.versus_cost_usd),
          usd(m.saved_usd),
        ]),
      ]),
    );
    // The response cache's hits beside what their first answer cost, as the API says.
    const cache = await apiGet<{
      groups: { model: string; lookups: number; hits: number; saved_usd: string }[];
      total: { lookups: number; hits: number; hit_rate: number; spent_usd: string; saved_usd: string };
    }>('/api/cache?since=30d&dims=model');
    expect(cache.total).toMatchObject({
      lookups: 3,
      hits: 2,
      spent_usd: formatUsd(cacheMiss.cost_usd!),
      saved_usd: formatUsd(cacheMiss.cost_usd! * 2n),
    });
    await page.getByTestId('response-cache').locator('tbody tr').first().waitFor();
    expect(
      await page
        .getByTestId('response-cache')
        .locator('tbody tr, tfoot tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent))),
    ).toEqual([
      ['gpt-4o', '3', '2', percent(2 / 3), usd(cache.total.spent_usd), usd(cache.total.saved_usd)],
      ['total', '3', '2', percent(2 / 3), usd(cache.total.spent_usd), usd(cache.total.saved_usd)],
    ]);
    // Off the bars, the chart's legend gives each layer's exact total over the range; on a bar, that day's.
    const ts = await apiGet<{ rows: { model: string; other: boolean; bucket: string; cost_usd: string }[] }>(
      '/api/timeseries?since=30d&dims=model&top=8&bucket=day',
    );
    // Each layer is named by its model; the one that folds every model past the top 8 is "(all others)".
    const nameOf = (r: (typeof ts.rows)[number]) => (r.other ? ALL_OTHERS : r.model);
    const layer = (model: string, day?: string) =>
      usd(
        sumDecimals(
          ts.rows
            .filter((r) => nameOf(r) === model && (!day || r.bucket.startsWith(day)))
            .map((r) => r.cost_usd),
        ),
      );
    const legend = () =>
      page.evaluate<[string, string][]>(
        `[...document.querySelectorAll('.u-legend .u-series')].map((tr) =>
          [tr.querySelector('.u-label').textContent, tr.querySelector('.u-value').textContent])`,
      );
    const models = [...new Set(ts.rows.map(nameOf))];
    expect(await legend()).toEqual(
      expect.arrayContaining([['day', 'all days'], ...models.map((m) => [m, layer(m)])]),
    );
    // The first and last days' bars are drawn whole, each clear of the plot's edge, not cut in half by it.
    const bars = await page.evaluate<{ gapLeft: number; gapRight: number }>(`(() => {
      const canvas = document.querySelector('.chart canvas');
      const plot = document.querySelector('.chart .u-over').getBoundingClientRect();
      const at = canvas.getBoundingClientRect();
      const k = canvas.width / at.width;
      const [x0, y0] = [Math.round((plot.left - at.left) * k), Math.round((plot.top - at.top) * k)];
      const [w, h] = [Math.round(plot.width * k), Math.round(plot.height * k)];
      const px = canvas.getContext('2d').getImageData(x0, y0, w, h).data;
      // Bars are opaque fills; the grid lines are translucent.
      let [first, last] = [w, -1];
      for (let i = 3; i < px.length; i += 4)
        if (px[i] === 255) {
          const x = ((i - 3) / 4) % w;
          [first, last] = [Math.min(first, x), Math.max(last, x)];
        }
      return { gapLeft: first, gapRight: w - 1 - last };
    })()`);
    expect(bars.gapLeft).toBeGreaterThan(2);
    expect(bars.gapRight).toBeGreaterThan(2);
    const box = (await page.locator('.chart .u-over').first().boundingBox())!;
    await page.mouse.move(box.x + box.width - 3, box.y + box.height - 2);
    const onBar = await legend();
    const day = onBar[0]![1];
    expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(onBar.map(([m]) => m).sort()).toEqual(['day', ...models].sort());
    for (const [m, shown] of onBar.slice(1)) expect(shown, m).toBe(layer(m, day));
    writeFileSync(
      join(OUT, 'timings.json'),
      `${JSON.stringify({ overview_first_load_ms: firstLoadMs }, null, 2)}\n`,
    );
    // Written down, not asserted: the first load's speed is bench/dashboard's to measure (issue 7), against a named
    // baseline; a bound here failed CI once with the machine loaded (6.2 s against 5).
    await shot('overview');
  });

  it('changes the time range', async () => {
    const before = await kpi('spend').textContent();
    const earlier = await apiGet('/api/summary?since=7d');
    await page.selectOption('select[name="since"]', '7d');
    await expect.poll(() => page.url()).toContain('since=7d');
    await expect.poll(() => kpi('spend').textContent()).not.toBe(before);
    const later = await apiGet('/api/summary?since=7d');
    expectShownBetween(await kpi('spend').textContent(), later.cost_usd!, earlier.cost_usd!);
    expect(await page.locator('figure.chart').getAttribute('aria-label')).toBe(
      'Daily spend stacked by model',
    );
    // The 7 days before these were recorded: the change against them is shown.
    expect(await page.locator('[data-kpi="spend"] .kpi-hint').textContent()).toMatch(
      /^[+-]\d+\.\d% vs previous period$/,
    );
    // A day or two is charted by the hour: by the day it would be one or two bars.
    await page.selectOption('select[name="since"]', '24h');
    await expect
      .poll(() => page.locator('figure.chart').getAttribute('aria-label'))
      .toBe('Hourly spend stacked by model');
    await page.selectOption('select[name="since"]', '7d');
    // The overview filtered from its own form: the KPIs are that team's.
    const team = (await apiGet<{ rows: { team: string }[] }>('/api/breakdown?since=7d&dims=team&top=2'))
      .rows[1]!.team;
    const before7d = await kpi('spend').textContent();
    const teamEarlier = await apiGet(`/api/summary?since=7d&where=team=${team}`);
    await page.selectOption('select[aria-label="Filter dimension"]', 'team');
    await page.fill('input[aria-label="Filter value"]', team);
    await page.click('fieldset.add-filter button');
    await expect.poll(() => page.url()).toContain(`where=team%3D${team}`);
    await expect.poll(() => kpi('spend').textContent()).not.toBe(before7d);
    const teamLater = await apiGet(`/api/summary?since=7d&where=team=${team}`);
    expectShownBetween(await kpi('spend').textContent(), teamLater.cost_usd!, teamEarlier.cost_usd!);
    await page.click(`button[aria-label="Remove filter team=${team}"]`);
    await expect.poll(() => page.url()).not.toContain('where=');
  });

  it('drills from a team to one event whose cost matches the ledger', async () => {
    const team = page.locator('section[aria-label="Top teams"] tbody tr a').first();
    const name = (await team.textContent())!;
    await team.click();
    await expect.poll(() => page.url()).toContain(`where=team%3D${encodeURIComponent(name)}`);
    const first = page.locator('table.events tbody tr a').first();
    await first.waitFor();
    await shot('events');
    await first.click();
    const cost = page.getByTestId('event-cost');
    await cost.waitFor();
    const url = new URL(page.url());
    const id = url.searchParams.get('event')!;
    const ts = Number(url.searchParams.get('ts'));
    const [e] = (await server.store.events({ since: ts, until: ts + 1 })).filter((x) => x.event_id === id);
    expect(e!.team).toBe(name);
    const { formatUsd } = await import('../../src/money/money.js');
    expect(await cost.textContent()).toBe(`$${formatUsd(e!.cost_usd!)}`);
    await expect.poll(() => page.getByTestId('event-detail').isVisible()).toBe(true);
    expect(await page.locator('text=recomputed now: matches the ledger').count()).toBe(1);
    // No demo call kept its text: one quiet line says when text is kept.
    expect(await page.getByTestId('stored-text-none').textContent()).toContain('--store-content');
    await shot('event-detail');
  });

  it("shows another event's detail only once it has loaded, never the previous event under the new selection", async () => {
    await page.goto(`${server.url}/events?since=30d`);
    const links = page.locator('table.events tbody tr a');
    await links.nth(1).waitFor();
    await links.first().click();
    await page.getByTestId('event-cost').waitFor();
    const firstId = new URL(page.url()).searchParams.get('event')!;
    const second = new URLSearchParams((await links.nth(1).getAttribute('href'))!.slice(1)).get('event')!;
    // The second event's detail answers only when the test lets it: until then the page must say it is loading.
    let answer: () => void = () => {};
    const held = new Promise<void>((r) => {
      answer = r;
    });
    await page.route(`**/api/events/${second}?*`, async (r) => {
      await held;
      await r.continue();
    });
    await links.nth(1).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('event')).toBe(second);
    const detail = page.locator('section.panel', { has: page.getByTestId('event-detail') });
    expect(await page.locator('main').textContent()).toContain('Loading…');
    expect(await detail.count()).toBe(0);
    expect(await page.getByText(`Event ${firstId}`).count()).toBe(0);
    answer();
    await expect.poll(() => page.locator('section.panel h2').first().textContent()).toBe(`Event ${second}`);
    await page.unroute(`**/api/events/${second}?*`);
  });

  it('filters the audit trail from its own page, and counts every kind of input token', async () => {
    await page.goto(`${server.url}/events?since=30d`);
    await page.locator('table.events tbody tr').first().waitFor();
    const { rows } = await apiGet<{ rows: { model: string }[] }>('/api/breakdown?since=30d&dims=model&top=3');
    const model = rows.find((r) => r.model !== 'other' && r !== rows[0])!.model;
    await page.selectOption('select[aria-label="Filter dimension"]', 'model');
    await page.fill('input[aria-label="Filter value"]', model);
    await page.click('fieldset.add-filter button');
    await expect.poll(() => page.url()).toContain(`where=model%3D${encodeURIComponent(model)}`);
    await expect
      .poll(
        // A call that did not end well reads "gpt-5 (failed: timeout)": the model is what precedes the status.
        async () =>
          new Set(
            (await page.locator('table.events tbody tr td:nth-child(4)').allTextContents()).map(
              (t) => t.split(' (')[0],
            ),
          ),
      )
      .toEqual(new Set([model]));
    // "Tokens in" is uncached input, cache reads and cache writes: what the call sent, as the overview counts it.
    const { events } = await apiGet<{ events: Record<string, number>[] }>(
      `/api/events?since=30d&where=model=${encodeURIComponent(model)}&limit=50`,
    );
    const shown = (e: Record<string, number>, kinds: string[]) =>
      `${count(
        kinds.reduce((n, k) => n + e[k]!, 0),
        true,
      )} / ${count(e.output_tokens!, true)}`;
    const all = ['input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens'];
    // A call whose cache writes show in its count (the first page, as the page lists it).
    const i = events.findIndex((e) => shown(e, all) !== shown(e, all.slice(0, 2)));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(await page.locator('table.events tbody tr td:nth-child(5)').nth(i).textContent()).toBe(
      shown(events[i]!, all),
    );
    // An admin also gets the range as a FOCUS dataset: every team's spend, so without the page's filter.
    const focus = await page.locator('a[download="focus.csv"]').getAttribute('href');
    expect(focus).toBe('/api/focus?since=30d');
    const pulled = await page.evaluate(async (h) => {
      const r = await fetch(h!);
      return { link: r.headers.get('link'), header: (await r.text()).split('\n')[0] };
    }, focus);
    expect(pulled).toEqual({
      link: '</api/focus/metadata>; rel="describedby"; type="application/json"',
      header: FOCUS_COLUMNS.join(','),
    });
  });

  it('says which calls were aborted, in the list and in the detail', async () => {
    // An aborted call whose row is on the session list's first page (50 rows, newest first): the demo is built up
    // to now, so which aborted call has fewer than 49 newer calls in its session changes from day to day.
    const all = await server.store.events({ since: 0, until: Number.MAX_SAFE_INTEGER });
    const newer = (a: (typeof all)[number]) =>
      all.filter((e) => e.session_id === a.session_id && e.ts > a.ts).length;
    const aborted = all.find(
      (e) => e.status === 'aborted' && e.session_id !== null && newer(e) >= 1 && newer(e) < 49,
    );
    const where = encodeURIComponent(`session_id=${aborted!.session_id}`);
    await page.goto(
      `${server.url}/events?since=90d&where=${where}&event=${aborted!.event_id}&ts=${aborted!.ts}`,
    );
    const status = page.getByTestId('event-status');
    await status.waitFor();
    expect(await status.textContent()).toBe('aborted');
    await shot('event-aborted');
    const row = page.locator('table.events tbody tr[aria-selected="true"]');
    expect(await row.textContent()).toContain(`${aborted!.model} (aborted)`);
    expect(await page.locator('table.events tbody tr').count()).toBeGreaterThan(1);
    expect(await page.locator('table.events tbody tr', { hasText: '(aborted)' }).count()).toBeLessThan(
      await page.locator('table.events tbody tr').count(),
    );
  });

  it('explore keeps its state in the URL and offers a CSV', async () => {
    await page.goto(`${server.url}/explore?dims=team,model&since=30d`);
    await page.locator('table tbody tr').first().waitFor();
    expect(await page.locator('select[name="dim2"]').inputValue()).toBe('model');
    const href = await page.locator('a[download="breakdown.csv"]').getAttribute('href');
    const csv = await page.evaluate(async (h) => (await fetch(h!)).text(), href);
    expect(csv.split('\n')[0]).toContain('team,model,cost_usd');
    await shot('explore');
    // Every dimension the API groups by is offered, and a tag named in the URL shows as chosen, not as a blank.
    const { dimensions } = await apiGet<{ dimensions: string[] }>('/api/dimensions');
    await page.goto(`${server.url}/explore?dims=tag.ticket,session_id&since=30d`);
    await page.locator('table tbody tr').first().waitFor();
    await expect.poll(() => page.locator('select[name="dim1"]').inputValue()).toBe('tag.ticket');
    expect(await page.locator('select[name="dim2"]').inputValue()).toBe('session_id');
    const offered = await page.locator('select[name="dim1"] option').allTextContents();
    expect(offered.sort()).toEqual([...dimensions.filter((d) => d !== 'tag.KEY'), 'tag.ticket'].sort());
  });

  it('shows budgets with spend and forecast, sessions with the runaway flag, and a phone layout', async () => {
    // No budget yet: the page says how to add one.
    await page.goto(`${server.url}/budgets`);
    expect(await page.getByTestId('budgets-empty').textContent()).toContain(
      'tokenledger budgets add --scope team=payments',
    );
    const made = await fetch(`${server.url}/api/budgets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Org monthly', scope: {}, period: 'monthly', limit_usd: '100000' }),
    });
    expect(made.status).toBe(200);
    const listed = () =>
      apiGet<{ budgets: { spend_usd: string; forecast: { expected_usd: string } }[] }>('/api/budgets');
    const { budgets } = await listed();
    await page.goto(`${server.url}/budgets`);
    const row = page.getByTestId('budget-row').first();
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('Org monthly');
    expect(text).toContain(usd(budgets[0]!.spend_usd));
    // The forecast runs on the clock (the month's pace to its end): the page read it between these two reads, and a
    // cent can turn in between.
    const forecasts = [budgets[0]!, (await listed()).budgets[0]!].map((b) => usd(b.forecast.expected_usd));
    expect(
      forecasts.some((f) => text?.includes(f)),
      `${text} holds ${forecasts.join(' or ')}`,
    ).toBe(true);
    await shot('budgets');
    // The overview's month card says how much of the organisation's monthly budget is used.
    const month = await apiGet<{ month: { spend_usd: string; budget_usd: string } }>(
      '/api/summary?since=30d',
    );
    const pct = Math.round((Number(month.month.spend_usd) / Number(month.month.budget_usd)) * 100);
    await page.goto(`${server.url}/`);
    await expect
      .poll(() => page.locator('[data-kpi="month"] .kpi-hint').textContent())
      .toContain(`budget ${usd(month.month.budget_usd)} (${pct}% used)`);
    // A budget past its limit: its bar is in the meter's worst region (value above high), drawn red.
    const over = await fetch(`${server.url}/api/budgets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      // Over 30 rolling days, not this month: early on the 1st the month has hardly any spend yet.
      body: JSON.stringify({ name: 'Tiny', scope: {}, period: 'rolling:30d', limit_usd: '1' }),
    });
    expect(over.status).toBe(200);
    await page.goto(`${server.url}/budgets`);
    const tiny = page.getByTestId('budget-row').filter({ hasText: 'Tiny' }).locator('meter');
    // (The test's tsconfig has no DOM types: the meter is read through its two properties.)
    const bar = await tiny.evaluate((m) => {
      const { value, high } = m as unknown as { value: number; high: number };
      return [value, value > high];
    });
    expect(bar).toEqual([100, true]);
    // …and it has run out already, not on a forecast date.
    expect(await page.getByTestId('budget-row').filter({ hasText: 'Tiny' }).textContent()).toContain(
      'already',
    );
    const removed = await fetch(`${server.url}/api/budgets/${((await over.json()) as { id: string }).id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(removed.status).toBe(200);
    await page.goto(`${server.url}/sessions?since=30d`);
    await page.locator('table tbody tr').first().waitFor();
    const flagged = await page.locator('.badge').count();
    expect(flagged).toBeGreaterThan(0);
    expect(await page.locator('p.warning').textContent()).toMatch(
      flagged === 1
        ? /^One session looks like a runaway agent/
        : new RegExp(`^${flagged} sessions look like`),
    );
    const { longest } = await apiGet<{ longest: { session_id: string; requests: number }[] }>(
      '/api/sessions?since=30d&top=25',
    );
    expect(longest.length).toBeGreaterThan(0);
    expect(await page.locator('body').textContent()).toContain(
      `Longest sessions by calls: ${longest[0]!.session_id} (`,
    );
    await shot('sessions');
    // Without a range in the URL the page shows its own default, a week, and says so.
    type Agents = { agents: { agent: string; cost_usd: string }[] };
    const earlier = await apiGet<Agents>('/api/sessions?since=7d&top=25');
    await page.goto(`${server.url}/sessions`);
    await page.locator('table tbody tr').first().waitFor();
    expect(await page.locator('select[name=since]').inputValue()).toBe('7d');
    const later = await apiGet<Agents>('/api/sessions?since=7d&top=25');
    const top = page.locator('section[aria-label="Cost per agent"] tbody tr').first();
    expect(await top.locator('td').first().textContent()).toBe(later.agents[0]!.agent);
    expectShownBetween(
      await top.locator('td.num').first().textContent(),
      later.agents[0]!.cost_usd,
      earlier.agents[0]!.cost_usd,
    );
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/`);
    await kpi('spend').waitFor();
    // Strings, not functions: this file is type-checked without the DOM library.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    if (overflow > 0)
      console.log(
        await page.evaluate(
          `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
            .slice(0, 8).map((e) => e.tagName + '.' + e.className)`,
        ),
      );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('overview-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("drills from the sessions page to events within that page's filters and range", async () => {
    const team = (await apiGet<{ rows: { team: string }[] }>('/api/breakdown?since=30d&dims=team&top=1'))
      .rows[0]!.team;
    await page.goto(`${server.url}/sessions?since=30d&until=1d&where=team=${team}`);
    const agent = page.locator('section[aria-label="Cost per agent"] tbody tr a').first();
    await agent.waitFor();
    const name = (await agent.textContent())!;
    await agent.click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/events');
    const q = new URL(page.url()).searchParams;
    expect([q.get('since'), q.get('until'), q.getAll('where')]).toEqual([
      '30d',
      '1d',
      [`team=${team}`, `agent=${name}`],
    ]);
    await page.locator('table.events tbody tr').first().waitFor();
    expect(new Set(await page.locator('table.events tbody tr td:nth-child(2)').allTextContents())).toEqual(
      new Set([team]),
    );
    // A session's link keeps them too.
    await page.goBack();
    const session = page.locator('section[aria-label="Most expensive sessions"] tbody tr a').first();
    await session.waitFor();
    const id = (await session.textContent())!;
    await session.click();
    await expect
      .poll(() => new URL(page.url()).searchParams.getAll('where'))
      .toEqual([`team=${team}`, `session_id=${id}`]);
    expect(new URL(page.url()).searchParams.get('until')).toBe('1d');
  });

  it("shows one person's five-hour windows on the sessions page, newest first, after asking whose", async () => {
    // A range that ended a day ago: its windows do not change while the test reads them.
    await page.goto(`${server.url}/sessions?since=30d&until=1d`);
    const ask = page.getByTestId('windows-one-person');
    await ask.waitFor();
    const person = ask.locator('a').first();
    const user = (await person.textContent())!;
    await person.click();
    await expect.poll(() => new URL(page.url()).searchParams.getAll('where')).toEqual([`user=${user}`]);
    const rows = page.getByTestId('usage-windows').locator('tbody tr');
    await rows.first().waitFor();
    const { blocks } = await apiGet<{ blocks: UsageWindow[] }>(
      `/api/blocks?since=30d&until=1d&where=${encodeURIComponent(`user=${user}`)}`,
    );
    expect(blocks.length).toBeGreaterThan(1);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(shown.map((r) => [r[1], r[2], r[4]])).toEqual(
      blocks
        .toSorted(newestFirst)
        .map((b) => [b.agent, count(b.calls), `${usd(b.cost_usd)}${b.unpriced_calls > 0 ? '*' : ''}`]),
    );
    await shot('sessions-windows');
  });

  it("sets each person's spend beside their commits, by usage tier, on the ROI page", async () => {
    const roi = await apiGet<RoiReport>('/api/roi');
    await page.goto(`${server.url}/roi`);
    await page.getByTestId('roi-tiers').locator('tbody tr').first().waitFor();
    const cells = (id: string) =>
      page
        .getByTestId(id)
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect((await cells('roi-tiers')).map((r) => r.slice(0, 3))).toEqual(
      roi.tiers.map((t) => [t.tier, count(t.people), usd(t.spend_usd)]),
    );
    // The three people git knows, each with their commits, in more than one tier; the other 37 spenders are left out
    // and counted.
    expect(roi.tiers.length).toBeGreaterThanOrEqual(2);
    expect((await cells('roi-people')).map((r) => [r[0], r[2], r[3]])).toEqual(
      roi.people.map((p) => [p.person, usd(p.spend_usd), count(p.shipped)]),
    );
    // The costliest spender's commit and merged pull request, the others' two and three commits.
    expect(roi.people.map((p) => p.shipped).sort()).toEqual([2, 2, 3]);
    expect(await cells('roi-merges')).toEqual(
      roi.spend_behind_merges.spent.map((m) => [
        m.merged_at.slice(0, 10),
        m.branch,
        m.name,
        count(m.events),
        usd(m.cost_usd),
      ]),
    );
    expect(roi.spend_behind_merges.spent.map((m) => [m.branch, m.events])).toEqual([['feat/x', 1]]);
    expect(await cells('roi-steps')).toEqual(
      roi.steps.map((s) => [
        `${s.from} → ${s.to}`,
        signed(s.shipped_per_100_usd),
        intervalText(s.interval_90),
      ]),
    );
    expect(await page.getByTestId('roi-left-out').textContent()).toContain(
      `Left out: ${usd(roi.unmatched.cost_usd)} of ${count(roi.unmatched.users.length)} ledger users git does not know`,
    );
    await shot('roi');
  });

  it('pages the audit trail back to newer events, also after opening one of them', async () => {
    const ids = async () =>
      (
        await page
          .locator('table.events tbody tr a')
          .evaluateAll((as) => as.map((a) => a.getAttribute('href')))
      )
        .map((h) => new URLSearchParams(h!.slice(1)).get('event'))
        .join();
    const turn = async (button: string) => {
      const before = await ids();
      await page.getByRole('button', { name: button }).click();
      await expect.poll(ids).not.toBe(before);
      return [await ids(), new URL(page.url()).searchParams.get('cursor')];
    };
    await page.goto(`${server.url}/events?since=30d`);
    await page.locator('table.events tbody tr').first().waitFor();
    const first = await ids();
    const second = await turn('Older →');
    const third = await turn('Older →');
    const shared = page.url();
    await page.locator('table.events tbody tr a').first().click();
    await page.getByTestId('event-cost').waitFor();
    expect(await turn('← Newer')).toEqual(second);
    expect(await turn('← Newer')).toEqual([first, null]);
    // A shared link to the third page goes back to the second, not away from the dashboard.
    await page.goto(shared);
    await expect.poll(ids).toBe(third[0]);
    expect(await turn('← Newer')).toEqual(second);
  });

  it('says when a range in the URL ends before now, and a preset ends it now again', async () => {
    const first = Date.now();
    const earlier = await apiGet('/api/summary?since=30d&until=7d');
    await page.goto(`${server.url}/?since=30d&until=7d`);
    await kpi('spend').waitFor();
    const last = Date.now();
    // A window ending 7 days ago gains calls at its end as the clock moves, and loses them at its start: what the
    // page read in between lies within what can have left and entered it since the first read.
    const spend = async (from: number, to: number) =>
      parseUsd((await apiGet(`/api/summary?since=${iso(from)}&until=${iso(to)}`)).cost_usd!);
    const DAY_MS = 86_400_000;
    const left = await spend(first - 30 * DAY_MS, last - 30 * DAY_MS);
    const entered = await spend(first - 7 * DAY_MS, last - 7 * DAY_MS);
    const shown = cents(await kpi('spend').textContent());
    expect(shown).toBeGreaterThanOrEqual(cents(usd(formatUsd(parseUsd(earlier.cost_usd!) - left))));
    expect(shown).toBeLessThanOrEqual(cents(usd(formatUsd(parseUsd(earlier.cost_usd!) + entered))));
    const picker = page.locator('select[name="since"]');
    expect(await picker.evaluate((s) => (s as unknown as HTMLSelect).selectedOptions[0]!.textContent)).toBe(
      '30d to 7d',
    );
    await picker.selectOption('30d');
    await expect.poll(() => page.url()).toBe(`${server.url}/?since=30d`);
    expect(await picker.evaluate((s) => (s as unknown as HTMLSelect).selectedOptions[0]!.textContent)).toBe(
      'Last 30 days',
    );
  });

  it('lets an admin add a budget on the page, says what is wrong with one, and removes one on a second click', async () => {
    await page.goto(`${server.url}/budgets`);
    const form = page.locator('form[aria-label="Add a budget"]');
    await form.waitFor();
    // What the API refuses comes back in its words, next to the form.
    await form.locator('input[name="scope"]').fill('team=web');
    await form.locator('input[name="limit_usd"]').fill('12,5');
    await form.locator('button[type="submit"]').click();
    expect(await page.getByTestId('budget-problem').textContent()).toContain(
      'limit_usd: expected a positive USD amount such as 50 or 1200.50',
    );
    await form.locator('input[name="scope"]').fill('team=web project');
    await form.locator('button[type="submit"]').click();
    await expect
      .poll(() => page.getByTestId('budget-problem').textContent())
      .toContain('scope: expected DIM=VALUE');
    await form.locator('input[name="scope"]').fill('team=web');
    await form.locator('input[name="limit_usd"]').fill('250.10');
    await form.locator('select[name="action"]').selectOption('downgrade');
    await form.locator('input[name="downgrade_to"]').fill('gpt-5-mini');
    await form.locator('input[name="name"]').fill('Web monthly');
    await form.locator('button[type="submit"]').click();
    const row = page.getByTestId('budget-row').filter({ hasText: 'Web monthly' });
    await row.waitFor();
    expect(await row.textContent()).toContain('$250.10');
    expect(await row.textContent()).toContain('downgrade to gpt-5-mini');
    expect(await page.getByTestId('budget-problem').count()).toBe(0);
    const { budgets } = await apiGet<{ budgets: { budget: Record<string, unknown> }[] }>('/api/budgets');
    const made = budgets.find((b) => b.budget.name === 'Web monthly')!.budget;
    expect(made).toMatchObject({
      scope: { team: 'web' },
      period: { kind: 'monthly' },
      tz: 'UTC',
      limit_usd: '250.10',
      action: 'downgrade',
      downgrade_to: 'gpt-5-mini',
      origin: 'api',
    });
    // Its limit changes in place; a refused amount is said in the API's words and changes nothing.
    await row.getByRole('button', { name: `Change the limit of budget ${made.id}` }).click();
    const limit = row.locator('form.limit-form input[name="limit_usd"]');
    expect(await limit.inputValue()).toBe('250.10');
    await limit.fill('12,5');
    await row.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => row.getByTestId('limit-problem').textContent())
      .toContain('limit_usd: expected a positive USD amount such as 50 or 1200.50');
    await limit.fill('300');
    await row.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => row.textContent()).toContain('$300.00');
    expect(await row.locator('form.limit-form').count()).toBe(0);
    const changed = await apiGet<{ budget: Record<string, unknown> }>(`/api/budgets/${made.id}`);
    expect(changed.budget).toMatchObject({ limit_usd: '300', action: 'downgrade', name: 'Web monthly' });
    // One click arms the button; the second removes the budget.
    const remove = row.locator('button', { hasText: /^Remove/ });
    await remove.click();
    expect(await remove.textContent()).toBe('Remove?');
    expect(await page.getByTestId('budget-row').filter({ hasText: 'Web monthly' }).count()).toBe(1);
    await remove.click();
    await expect
      .poll(() => page.getByTestId('budget-row').filter({ hasText: 'Web monthly' }).count())
      .toBe(0);
    const after = await apiGet<{ budgets: { budget: { id: string } }[] }>('/api/budgets');
    expect(after.budgets.map((b) => b.budget.id)).not.toContain(made.id);
  });

  it('keeps keyboard focus on the budget being added, changed or removed, never dropping it to the page', async () => {
    await page.goto(`${server.url}/budgets`);
    const form = page.locator('form[aria-label="Add a budget"]');
    await form.waitFor();
    /** What has keyboard focus: its tag and its accessible label (or text). */
    const focused = () =>
      page.evaluate<string>(
        `(() => { const a = document.activeElement;
          return a.tagName + ' ' + (a.getAttribute('aria-label') ?? a.textContent.trim()); })()`,
      );
    const submit = form.locator('button[type="submit"]');
    await form.locator('input[name="scope"]').fill('team=search');
    await form.locator('input[name="limit_usd"]').fill('12,5');
    await submit.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('budget-problem').waitFor();
    expect(await focused()).toBe('BUTTON Add budget');
    await form.locator('input[name="limit_usd"]').fill('40');
    await form.locator('input[name="name"]').fill('Search focus');
    await submit.focus();
    await page.keyboard.press('Enter');
    const row = page.getByTestId('budget-row').filter({ hasText: 'Search focus' });
    await row.waitFor();
    // The new budget's row, which a screen reader reads by its name.
    await expect.poll(focused).toMatch(/^TH Search focus/);
    const { budgets } = await apiGet<{ budgets: { budget: { id: string; name: string } }[] }>('/api/budgets');
    const id = budgets.find((b) => b.budget.name === 'Search focus')!.budget.id;
    const change = row.getByRole('button', { name: `Change the limit of budget ${id}` });
    await change.focus();
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('INPUT Limit (USD)');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('45');
    await page.keyboard.press('Enter');
    await expect.poll(() => row.textContent()).toContain('$45.00');
    await expect.poll(focused).toBe(`BUTTON Change the limit of budget ${id}`);
    const remove = row.getByRole('button', { name: `Remove budget ${id}` });
    await remove.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByTestId('budget-row').filter({ hasText: 'Search focus' }).count())
      .toBe(0);
    // The row is gone: focus goes to the list it was in, or to what says there is no budget left.
    const left = await page.getByTestId('budget-row').count();
    await expect.poll(focused).toMatch(left > 0 ? /^TABLE / : /^DIV No budgets yet/);
  });

  it('sends an admin whose sign-in ended to the sign-in form when a budget change is refused, not to a bare "Error"', async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const session = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    });
    const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
    const [name, value] = cookie.split('=');
    await p.context().addCookies([{ name: name!, value: value!, url: server.url }]);
    await p.goto(`${server.url}/budgets`);
    const form = p.locator('form[aria-label="Add a budget"]');
    await form.waitFor();
    // The session ends while the page is open (signed out elsewhere, or expired).
    await fetch(`${server.url}/api/logout`, { method: 'POST', headers: { cookie } });
    await form.locator('input[name="scope"]').fill('team=web');
    await form.locator('input[name="limit_usd"]').fill('10');
    await form.locator('button[type="submit"]').click();
    await p.getByRole('heading', { name: 'Sign in to tokenledger' }).waitFor({ timeout: 5_000 });
    await p.close();
  });

  it("fits an event's cost detail and the budgets table on a 390 px phone", async () => {
    const p = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const session = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    });
    const [name, value] = session.headers.get('set-cookie')!.split(';')[0]!.split('=');
    await p.context().addCookies([{ name: name!, value: value!, url: server.url }]);
    const overflow = () => p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    const { events } = await apiGet<{ events: { event_id: string; ts_us: number }[] }>(
      '/api/events?since=7d&where=source=demo&limit=1',
    );
    await p.goto(`${server.url}/events?since=7d&event=${events[0]!.event_id}&ts=${events[0]!.ts_us}`);
    await p.locator('caption', { hasText: 'Cost parts' }).waitFor({ state: 'attached' });
    expect(await overflow()).toBeLessThanOrEqual(0);
    // An admin's budgets table has a column of Remove buttons, named for screen readers only.
    await p.goto(`${server.url}/budgets`);
    await p.getByTestId('budget-row').first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await p.close();
  });

  it('asks for no stored text of a call the gateway did not record, so opening it logs no error and no read', async () => {
    const { events } = await apiGet<{ events: { event_id: string; ts_us: number }[] }>(
      '/api/events?since=7d&where=source=demo&limit=1',
    );
    const asked: string[] = [];
    const errors: string[] = [];
    const onRequest = (r: { url(): string }) => asked.push(new URL(r.url()).pathname);
    const onConsole = (m: { type(): string; text(): string }) => {
      if (m.type() === 'error') errors.push(m.text());
    };
    page.on('request', onRequest);
    page.on('console', onConsole);
    await page.goto(`${server.url}/events?since=7d&event=${events[0]!.event_id}&ts=${events[0]!.ts_us}`);
    expect(await page.getByTestId('stored-text-none').textContent()).toContain('--store-content');
    await page.waitForLoadState('networkidle');
    page.off('request', onRequest);
    page.off('console', onConsole);
    expect(asked.filter((a) => a.endsWith('/content'))).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('groups Explore by the dimension it was grouped by second, not by it twice (which the API refuses)', async () => {
    await page.goto(`${server.url}/explore?dims=team,model&since=30d`);
    const rows = page.locator('section[aria-label="Table"] tbody tr');
    await rows.first().waitFor();
    await page.selectOption('select[name="dim1"]', 'model');
    await expect.poll(() => new URL(page.url()).searchParams.get('dims')).toBe('model');
    await expect
      .poll(() => page.locator('section[aria-label="Table"] thead th').first().textContent())
      .toBe('model');
    expect(await page.locator('p.error').count()).toBe(0);
    expect(await page.locator('select[name="dim2"]').inputValue()).toBe('');
  });

  it("shows a link's own top N in Explore's Top control, not a blank", async () => {
    await page.goto(`${server.url}/explore?dims=user&since=30d&top=7`);
    const rows = page.locator('section[aria-label="Table"] tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(8); // seven and "other"
    const top = page.locator('select[name="top"]');
    expect(await top.inputValue()).toBe('7');
    expect(await top.evaluate((s) => (s as unknown as HTMLSelect).selectedOptions[0]!.textContent)).toBe('7');
  });

  it('groups Explore by team, with its column, for a link whose dims is empty, as the API does', async () => {
    await page.goto(`${server.url}/explore?dims=&since=30d`);
    const table = page.locator('section[aria-label="Table"]');
    await table.locator('tbody tr').first().waitFor();
    expect(await table.locator('thead th').first().textContent()).toBe('team');
    const { rows } = await apiGet<{ rows: { team: string }[] }>('/api/breakdown?since=30d&dims=team&top=10');
    expect(
      (await table.locator('tbody tr td:first-child').allTextContents()).slice(0, rows.length - 1),
    ).toEqual(rows.slice(0, -1).map((r) => r.team));
    expect(await page.locator('select[name="dim1"]').inputValue()).toBe('team');
  });

  it('groups Explore by both dimensions of a link written with a space after the comma, as the API does', async () => {
    await page.goto(`${server.url}/explore?dims=team,%20model&since=30d`);
    const table = page.locator('section[aria-label="Table"]');
    await table.locator('tbody tr').first().waitFor();
    expect((await table.locator('thead th').allTextContents()).slice(0, 2)).toEqual(['team', 'model']);
    const { rows } = await apiGet<{ rows: { model: string }[] }>(
      '/api/breakdown?since=30d&dims=team,model&top=10',
    );
    expect((await table.locator('tbody tr td:nth-child(2)').allTextContents()).slice(0, 3)).toEqual(
      rows.slice(0, 3).map((r) => r.model),
    );
  });

  it('adds no filter without a value: "team = " would match nothing and read as no spend', async () => {
    await page.goto(`${server.url}/?since=7d`);
    await kpi('spend').waitFor();
    await page.fill('input[aria-label="Filter value"]', '  ');
    expect(await page.locator('fieldset.add-filter button').isDisabled()).toBe(true);
    await page.locator('fieldset.add-filter button').click({ force: true });
    expect(new URL(page.url()).searchParams.getAll('where')).toEqual([]);
    expect(await page.locator('ul.chips').count()).toBe(0);
  });

  it('shows a filter given twice as one chip, and adds none that is already there', async () => {
    await page.goto(`${server.url}/?since=7d&where=team=platform&where=team=platform`);
    await kpi('spend').waitFor();
    expect(await page.locator('ul.chips > li').count()).toBe(1);
    await page.fill('input[aria-label="Filter value"]', 'platform');
    await page.locator('fieldset.add-filter button').click();
    await expect.poll(() => page.locator('ul.chips > li').count()).toBe(1);
    await page.locator('ul.chips button').click();
    await expect.poll(() => new URL(page.url()).searchParams.getAll('where')).toEqual([]);
  });

  // Also adds an event, by a person whose name is "other": the API flags the row that folds everyone past the top 8.
  it('tells a person named "other" from the row of everyone past the top 8, and drills into that person alone', async () => {
    const call = makeEvent(9_000_100, {
      ts: Date.now() * 1000 - 2 * DAY,
      user: 'other',
      input_tokens: 400_000_000,
    });
    await server.store.append([call]);
    await page.goto(`${server.url}/?since=30d`);
    const people = page.locator('section[aria-label="Top people"] tbody tr');
    await expect.poll(() => people.count()).toBe(9);
    const names = (await people.locator('td:first-child').allTextContents()).map((t) => t.trim());
    expect(names[0]).toBe('other');
    expect(names.at(-1)).toBe('(all others)');
    expect(await people.first().locator('a').getAttribute('href')).toContain('where=user%3Dother');
    expect(await people.last().locator('a').count()).toBe(0);
    // Explore's table and chart name them apart too.
    await page.goto(`${server.url}/explore?dims=user&since=30d&top=3`);
    const rows = page.locator('section[aria-label="Table"] tbody tr td:first-child');
    await expect.poll(() => rows.count()).toBe(4);
    expect((await rows.allTextContents()).filter((t) => t === 'other' || t === '(all others)')).toEqual([
      'other',
      '(all others)',
    ]);
    await page.locator('.u-legend .u-series').first().waitFor();
    const labels = await page.locator('.u-legend .u-series .u-label').allTextContents();
    expect(labels.filter((t) => t === 'other' || t === '(all others)').sort()).toEqual([
      '(all others)',
      'other',
    ]);
  });

  it("shows the days of the browser's zone when chosen, on every page after, and UTC days again when asked", async () => {
    const context = await browser.newContext({ timezoneId: 'America/New_York' });
    const p = await context.newPage();
    const asked: URL[] = [];
    p.on('request', (r) => asked.push(new URL(r.url())));
    const series = () => asked.filter((a) => a.pathname === '/api/timeseries').at(-1);
    await p.goto(server.loginLink());
    await p.locator('[data-kpi="spend"] .kpi-value').waitFor();
    // UTC days by default: the ledger's daily rollups, which a local day straddles.
    expect(await p.locator('select[name="tz"]').inputValue()).toBe('UTC');
    await expect.poll(() => series()?.searchParams.get('bucket')).toBe('day');
    expect(series()!.searchParams.has('tz')).toBe(false);
    await p.selectOption('select[name="tz"]', 'America/New_York');
    await expect.poll(() => p.url()).toContain('tz=America%2FNew_York');
    await expect.poll(() => series()?.searchParams.get('tz')).toBe('America/New_York');
    // The chart's days are New York's: each starts at its midnight, 04:00 or 05:00 UTC.
    const local = await apiGet<{ rows: { bucket: string }[] }>(
      '/api/timeseries?since=30d&bucket=day&tz=America/New_York',
    );
    expect(local.rows.length).toBeGreaterThan(0);
    for (const r of local.rows) expect(['04:00', '05:00']).toContain(r.bucket.slice(11, 16));
    // The legend names an hour's bar on New York's clocks, as its bucket starts there.
    const hourly = p.waitForResponse(
      (r) => r.url().includes('/api/timeseries') && r.url().includes('bucket=hour'),
    );
    await p.selectOption('select[name="since"]', '24h');
    await hourly;
    const hours = await apiGet<{ rows: { bucket: string }[] }>(
      '/api/timeseries?since=24h&bucket=hour&dims=model&top=8&tz=America/New_York',
    );
    const ny = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'America/New_York',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    const nyLabels = hours.rows.map(
      (r) => `${ny.format(new Date(r.bucket)).replace(', ', ' ')} America/New_York`,
    );
    // Hovered until the chart drawn from that answer names the bar (a new chart's legend waits for the pointer).
    const legend = p.locator('.chart .u-legend .u-series').first().locator('.u-value');
    let nudge = 0;
    await expect
      .poll(async () => {
        const plot = (await p.locator('.chart .u-over').first().boundingBox())!;
        await p.mouse.move(plot.x + plot.width / 2 + (nudge++ % 2), plot.y + plot.height / 2);
        return nyLabels.includes((await legend.textContent()) ?? '');
      })
      .toBe(true);
    expect(await legend.textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:00 America\/New_York$/);
    await p.selectOption('select[name="since"]', '30d');
    // "This month" is New York's month.
    const month = await apiGet<{ month: { start: string; spend_usd: string } }>(
      '/api/summary?since=30d&tz=America/New_York',
    );
    await expect
      .poll(() => p.locator('[data-kpi="month"] .kpi-value').textContent())
      .toBe(usd(month.month.spend_usd));
    // Remembered: the next page, reached by its link (no tz in the URL), asks for the same days.
    await p.click('header nav a[href="/explore"]');
    await expect.poll(() => new URL(p.url()).pathname).toBe('/explore');
    await expect.poll(() => series()?.searchParams.get('tz')).toBe('America/New_York');
    expect(await p.locator('select[name="tz"]').inputValue()).toBe('America/New_York');
    await p.selectOption('select[name="tz"]', 'UTC');
    await expect.poll(() => new URL(p.url()).searchParams.has('tz')).toBe(false);
    await expect.poll(() => series()?.searchParams.has('tz')).toBe(false);
    await p.click('header nav a[href="/"]');
    await p.locator('[data-kpi="spend"] .kpi-value').waitFor();
    expect(await p.locator('select[name="tz"]').inputValue()).toBe('UTC');
    await context.close();
  });

  it('tells a new user the three ways to get data in', async () => {
    const p = await browser.newPage();
    await p.goto(emptyServer.loginLink());
    await p.getByTestId('empty-state').waitFor();
    expect(await p.locator('.ways > li').count()).toBe(3);
    // The OpenTelemetry lines name the ports this server's receivers took, not the defaults.
    const port = (url: string | null) => new URL(url!).port;
    await expect
      .poll(() => p.locator('.ways > li').nth(1).locator('code').textContent())
      .toBe(
        `export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${port(emptyServer.otlpUrl)}\n# or over gRPC:\n` +
          `export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${port(emptyServer.otlpGrpcUrl)}\nexport OTEL_EXPORTER_OTLP_PROTOCOL=grpc`,
      );
    // A server with its receivers off says so (the demo's server runs none).
    expect(await apiGet('/api/receivers')).toEqual({ otlp_http_port: null, otlp_grpc_port: null });
    await p.screenshot({ path: join(OUT, 'empty.png'), fullPage: true });
    // When the ports cannot be asked (here the request fails in the browser), the page says so and gives the
    // defaults instead of loading forever.
    await p.route('**/api/receivers', (r) => r.abort('connectionrefused'));
    await p.reload();
    await expect
      .poll(() => p.locator('.ways > li').nth(1).locator('[role=alert]').textContent())
      .toMatch(/^Could not ask this server .*OTLP\/HTTP is on 4318 and OTLP\/gRPC on 4317\.$/);
    await p.unroute('**/api/receivers');
    await p.goto(emptyServer.loginLink().replace(/token=.*/, 'token=used'));
    expect(await p.locator('body').textContent()).toContain('API_UNAUTHORIZED');
    await p.close();
  });

  it("fits a new user's pages on a 390 px phone", async () => {
    const p = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await p.goto(emptyServer.loginLink());
    await p.getByTestId('empty-state').waitFor();
    const overflow = () => p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await p.goto(`${emptyServer.url}/budgets`);
    await p.getByTestId('budgets-empty').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await p.close();
  });

  // After the new user's pages: it adds events to the empty ledger.
  it("shows tokens per joule beside a self-served model's rates once GPU energy is in the ledger", async () => {
    const ts = Date.now() * 1000 - DAY;
    const llama = { model: 'llama-3.1-70b-instruct', rates: null, cache_read_tokens: 0 };
    // A window of the GPUs serving llama, as the OTLP receiver records it (docs/otel/gpu-energy.md).
    const window = makeEvent(9_200_004, {
      ...llama,
      ts,
      operation: 'energy',
      requests: 0,
      input_tokens: 0,
      output_tokens: 0,
      energy_j: 800,
      energy_source: 'measured',
    });
    await emptyServer.store.append([
      makeEvent(9_200_001, { ...llama, ts, input_tokens: 1000, output_tokens: 200 }),
      makeEvent(9_200_002, { ...llama, ts: ts + 1, input_tokens: 1000, output_tokens: 200 }),
      // A hosted model's call: no energy, no rate.
      makeEvent(9_200_003, { ts }),
      window,
    ]);
    const p = await browser.newPage();
    await p.goto(emptyServer.loginLink());
    const table = p.getByTestId('efficiency');
    await table.locator('tbody tr').first().waitFor();
    expect(await table.locator('thead th').last().textContent()).toBe('Tokens/J');
    const rows = await table
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    // 2,400 tokens over 800 J.
    expect(new Map(rows.map((r) => [r[0], r.at(-1)]))).toEqual(
      new Map([
        ['llama-3.1-70b-instruct', '3'],
        ['claude-sonnet-4-5', '—'],
      ]),
    );
    // The window's own page says what it measured.
    await p.goto(`${emptyServer.url}/events?since=7d&event=${window.event_id}&ts=${window.ts}`);
    await p.getByTestId('event-energy').waitFor();
    expect(await p.getByTestId('event-energy').textContent()).toBe('800 J (measured)');
    await p.close();
  });

  // Adds events to the once empty ledger, whose calls are all one person's (ada's).
  it("shows the open five-hour window first, with its pace, where the range holds one person's agent calls", async () => {
    const hour = 3_600_000_000;
    await emptyServer.store.append([
      makeEvent(9_200_010, { ts: Date.now() * 1000 - 2 * hour, output_tokens: 500 }),
      makeEvent(9_200_011, { ts: Date.now() * 1000 - hour, output_tokens: 500 }),
    ]);
    const token = JSON.parse(await readFile(join(dir, 'empty.server.json'), 'utf8')).admin_token;
    const api = await fetch(`${emptyServer.url}/api/blocks?since=7d`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { blocks } = (await api.json()) as { blocks: UsageWindow[] };
    const open = blocks.find((b) => b.active)!;
    expect(open.calls).toBe(2);
    const p = await browser.newPage();
    await p.goto(emptyServer.loginLink());
    await p.goto(`${emptyServer.url}/sessions`);
    const first = p.getByTestId('usage-windows').locator('tbody tr').first();
    await first.waitFor();
    expect(await p.getByTestId('windows-one-person').count()).toBe(0);
    expect(await first.locator('.badge').textContent()).toBe('open');
    // Its pace from the first call to the last; the cost at its end is projected from now, so it moves.
    expect(await first.locator('td').last().textContent()).toMatch(
      new RegExp(`^\\${usd(open.burn!.cost_per_hour_usd)}/h, \\$[\\d.,]+ at its end$`),
    );
    await p.close();
  });

  // Last: it adds events to the demo ledger. A provider's usage export and the same provider's per-call records on
  // the same day may be the same calls; the overview says so instead of summing them silently.
  it('warns when a provider export and per-call records of that provider share a day', async () => {
    expect(await page.getByTestId('source-overlap').count()).toBe(0);
    const ts = Date.now() * 1000 - 2 * DAY;
    await server.store.append([
      makeEvent(9_000_001, { ts, source: 'anthropic-usage', provider: 'anthropic' }),
      makeEvent(9_000_002, { ts, source: 'claude-code', provider: 'anthropic' }),
    ]);
    await page.goto(`${server.url}/?since=7d`);
    const note = page.getByTestId('source-overlap');
    await note.waitFor();
    const day = new Date(ts / 1000).toISOString().slice(0, 10);
    expect(await note.textContent()).toContain(
      `anthropic usage on ${day} is here from anthropic-usage, claude-code`,
    );
  });

  // Also adds events. One export's usage of the same day imported at two bucket widths is summed twice.
  it('warns when an export holds the same day at two bucket widths', async () => {
    const ts = Date.now() * 1000 - 3 * DAY;
    const width = (n: number, seconds: number) =>
      makeEvent(n, {
        ts,
        source: 'openai-usage',
        provider: 'openai',
        tags: { bucket_seconds: String(seconds) },
      });
    await server.store.append([width(9_000_003, 86_400), width(9_000_004, 3_600)]);
    await page.goto(`${server.url}/?since=7d`);
    const day = new Date(ts / 1000).toISOString().slice(0, 10);
    const note = page.getByTestId('source-overlap').filter({ hasText: 'bucket widths' });
    await note.waitFor();
    expect(await note.textContent()).toContain(
      `openai usage on ${day} is here from openai-usage at 2 bucket widths (1 hour, 1 day): the same usage imported at each width, so these totals count it twice.`,
    );
  });

  // Also adds an event: an audio call's input and output parts show their text and audio tokens and rates.
  it("shows an audio call's text and audio tokens at their own rates, and the cost recomputes", async () => {
    await openNewCall(9_000_005, {
      provider: 'openai',
      model: 'gpt-audio',
      rates: CARDS.gpt,
      input_tokens: 1_200,
      input_audio_tokens: 800,
      cache_read_tokens: 0,
      output_tokens: 300,
      output_audio_tokens: 200,
    });
    const row = (label: string) =>
      page.locator('table tbody tr', { has: page.locator(`th:text-is("${label}")`) });
    // gpt card: $1.25 / $10 text, $32 / $64 audio per 1M: 400 × 1.25 + 800 × 32 = $0.0261; 100 × 10 + 200 × 64 = $0.0138.
    expect(await row('Input').textContent()).toBe('Input400 + 800 audio1.25 / 32 audio$0.026100000000');
    expect(await row('Output').textContent()).toBe('Output100 + 200 audio10 / 64 audio$0.013800000000');
    expect(await page.locator('text=recomputed now: matches the ledger').count()).toBe(1);
    expect(await page.getByTestId('cost-how').textContent()).toBe('How the cost was computed');
    await shot('event-audio');
  });

  // Also adds an event: an image call's parts show their text and image tokens and rates.
  it("shows an image call's text and image tokens at their own rates, and the cost recomputes", async () => {
    // gpt-image-1.5's card: $5 / $10 per 1M text, $8 image input, $32 image output.
    const gptImage = card('5', '1.25', '5', '5', '10', '0', '5', '10', '8', '32');
    await openNewCall(9_000_009, {
      provider: 'openai',
      model: 'gpt-image-1.5',
      operation: 'image',
      rates: gptImage,
      input_tokens: 373,
      input_image_tokens: 323,
      cache_read_tokens: 0,
      output_tokens: 4_200,
      output_image_tokens: 4_160,
    });
    const row = (label: string) =>
      page.locator('table tbody tr', { has: page.locator(`th:text-is("${label}")`) });
    // 50 × 5 + 323 × 8 = $0.002834; 40 × 10 + 4,160 × 32 = $0.13352.
    expect(await row('Input').textContent()).toBe('Input50 + 323 image5 / 8 image$0.002834000000');
    expect(await row('Output').textContent()).toBe('Output40 + 4,160 image10 / 32 image$0.133520000000');
    expect(await page.locator('text=recomputed now: matches the ledger').count()).toBe(1);
  });

  // Also adds an event: a transcription billed by its duration, whose fee is no part: a row of its own.
  it("shows a transcription's audio billed by duration, its rate per hour and fee, and the cost recomputes", async () => {
    // The gpt card bills audio at $0.36 per hour (whisper-1's price): 9 s = $0.0009, and no tokens.
    await openNewCall(9_000_010, {
      provider: 'openai',
      model: 'whisper-1',
      operation: 'audio.transcriptions',
      rates: CARDS.gpt,
      input_tokens: 0,
      cache_read_tokens: 0,
      output_tokens: 0,
      audio_ms: 9_000,
    });
    const row = (label: string) =>
      page.locator('table tbody tr', { has: page.locator(`th:text-is("${label}")`) });
    expect(await row('Audio billed by duration').textContent()).toBe(
      'Audio billed by duration9.000 s0.36 / hour$0.000900000000',
    );
    expect(await page.getByTestId('event-cost').textContent()).toContain('$0.0009');
    expect(await page.locator('text=recomputed now: matches the ledger').count()).toBe(1);
  });

  // Also adds an event: a streamed call the client dropped, whose output the gateway counted itself.
  it('says when a cost was computed from estimated tokens', async () => {
    await openNewCall(9_000_007, { status: 'aborted', cost_source: 'estimated', rates: CARDS.gpt });
    expect(await page.getByTestId('cost-how').textContent()).toContain('from estimated tokens');
    expect(await page.locator('text=recomputed now: matches the ledger').count()).toBe(1);
  });

  // Also adds an event: a call the provider refused before using anything. A table of its model's rates times zero
  // tokens would read as what the call was billed for; the page says why it costs nothing instead.
  it('shows a call that used nothing as $0 with the reason, not a table of rates', async () => {
    const nothing = { input_tokens: 0, cache_read_tokens: 0, output_tokens: 0 };
    await openNewCall(9_000_008, { status: 'error', error_type: 'rate_limit_error', ...nothing });
    expect(await page.getByTestId('event-cost').textContent()).toContain('$0.00');
    await page.locator('text=used no tokens, no paid searches and no audio').waitFor();
    expect(
      await page.locator('table', { has: page.locator('caption', { hasText: 'Cost parts' }) }).count(),
    ).toBe(0);
    expect(await page.locator('text=recomputed now: matches the ledger').count()).toBe(1);
  });

  // Also adds an event: a gateway call whose text was kept (its key was created with --store-content). An admin reads
  // it on the event; markup in a prompt is shown as typed, never rendered. A viewer's page does not even ask for it.
  it("shows an admin a call's stored prompt and completion as text, and a viewer nothing", async () => {
    const ts = Date.now() * 1000 - 5 * DAY;
    const call = makeEvent(9_000_006, { ts, source: 'gateway', provider: 'openai', team: 'web' });
    await server.store.append([call]);
    const completion = 'No: <b>x</b> stays as typed.\n<img src=x onerror="document.title=\'pwned\'">';
    await server.store.storeContent([
      {
        event_id: call.event_id,
        ts,
        request: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Is <b>x</b> bold?"}]}',
        completion,
      },
    ]);
    const url = `${server.url}/events?since=7d&event=${call.event_id}&ts=${call.ts}`;
    await page.goto(url);
    const request = page.getByTestId('stored-request');
    await request.waitFor();
    expect(await request.textContent()).toBe(
      '{\n  "model": "gpt-4o-mini",\n  "messages": [\n    {\n      "role": "user",\n      "content": "Is <b>x</b> bold?"\n    }\n  ]\n}',
    );
    expect(await page.getByTestId('stored-completion').textContent()).toBe(completion);
    expect(await page.locator('[data-testid="stored-text"] :is(b, img)').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
    await shot('event-stored-text');

    const viewer = newToken('viewer', 'web', new Date());
    await fileLedgerRecords(join(dir, 'ledger.duckdb')).tokens.put(viewer.record);
    const session = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewer.token}` },
    });
    const context = await browser.newContext();
    const [name, value] = session.headers.get('set-cookie')!.split(';')[0]!.split('=');
    await context.addCookies([{ name: name!, value: value!, url: server.url }]);
    const p = await context.newPage();
    const asked: string[] = [];
    p.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await p.goto(url);
    await p.getByTestId('event-cost').waitFor();
    await expect.poll(() => asked.includes('/api/me')).toBe(true);
    expect(await p.locator('header .who').textContent()).toContain('viewer · team web');
    // The page knows the role now; an admin's page would ask for the text right after this render.
    await p.waitForLoadState('networkidle');
    expect(asked.filter((a) => a.endsWith('/content'))).toEqual([]);
    expect(await p.locator('[data-testid^="stored-"]').count()).toBe(0);
    // A viewer reads budgets but is offered no way to change them (the API would refuse).
    await p.goto(`${server.url}/budgets`);
    await p.locator('h1', { hasText: 'Budgets and alerts' }).waitFor();
    expect(await p.locator('form[aria-label="Add a budget"]').count()).toBe(0);
    expect(await p.locator('button', { hasText: 'Remove' }).count()).toBe(0);
    // A link shared by an admin, filtered to another team: the viewer is told why it shows nothing.
    await p.goto(`${server.url}/events?since=7d&where=team=payments`);
    expect(await p.getByTestId('unseen-team').textContent()).toContain(
      'This sign-in sees only team web: the filter on team payments matches nothing',
    );
    await p.goto(`${server.url}/events?since=7d&where=team=web`);
    await p.locator('table.events tbody tr').first().waitFor();
    expect(await p.getByTestId('unseen-team').count()).toBe(0);
    await context.close();
  });

  // Also adds an event, of team payments, and a viewer of team web.
  it('an event that cannot be loaded (a shared link to a team the viewer cannot see) says so and can be closed', async () => {
    const call = makeEvent(9_000_200, { ts: Date.now() * 1000 - 3 * DAY, team: 'payments' });
    await server.store.append([call]);
    const viewer = newToken('viewer', 'web', new Date());
    await fileLedgerRecords(join(dir, 'ledger.duckdb')).tokens.put(viewer.record);
    // The server reads the tokens again at most once a second: the token signs in once it has.
    let cookie: string | null = null;
    await expect
      .poll(async () => {
        const session = await fetch(`${server.url}/api/session`, {
          method: 'POST',
          headers: { authorization: `Bearer ${viewer.token}` },
        });
        cookie = session.headers.get('set-cookie');
        return session.status;
      })
      .toBe(204);
    const context = await browser.newContext();
    const [name, value] = cookie!.split(';')[0]!.split('=');
    await context.addCookies([{ name: name!, value: value!, url: server.url }]);
    const p = await context.newPage();
    await p.goto(`${server.url}/events?since=7d&event=${call.event_id}&ts=${call.ts}`);
    const panel = p.locator('section.panel', { has: p.locator('p.error') });
    await panel.waitFor();
    expect(await panel.locator('h2').textContent()).toBe(`Event ${call.event_id}`);
    await panel.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => new URL(p.url()).searchParams.get('event')).toBeNull();
    expect(new URL(p.url()).searchParams.get('ts')).toBeNull();
    expect(await p.locator('p.error').count()).toBe(0);
    await p.locator('table.events tbody tr').first().waitFor();
    await context.close();
  });

  // Also adds an event: a call with no team, whose cost the teams share when asked (shared cost allocation).
  it('explore shares the cost of calls with no team among the teams, in proportion to their cost', async () => {
    await server.store.append([makeEvent(9_000_300, { ts: Date.now() * 1000 - 2 * DAY, team: null })]);
    await page.goto(`${server.url}/explore?dims=team&since=7d`);
    await page.locator('table tbody tr').first().waitFor();
    expect(await page.locator('thead th', { hasText: 'Allocated' }).count()).toBe(0);
    await page.getByLabel('Share calls with no team').check();
    await expect.poll(() => new URL(page.url()).searchParams.get('share')).toBe('unattributed');
    await page.locator('thead th', { hasText: 'Allocated' }).waitFor();
    expect(await page.locator('select[name=top]').isDisabled()).toBe(true);
    // The table shows what the API answers: each team's share, and the calls with no team giving theirs away.
    const since = new URL(page.url()).searchParams.get('since');
    const shared = await apiGet<{ rows: Record<string, string>[] }>(
      `/api/breakdown?dims=team&since=${since}&share=unattributed`,
    );
    const table = page.locator('table', { has: page.locator('caption', { hasText: 'Spend by team' }) });
    // The Allocated header comes with the page's first answer, the shares with the next (a busy machine: "—" between).
    const cells = () =>
      table
        .locator('tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) => [...r.querySelectorAll('td')].slice(0, 4).map((c) => c.textContent ?? '')),
        );
    await expect
      .poll(cells)
      .toEqual(
        shared.rows.map((r) => [
          r.team ?? '(not set)',
          usd(r.cost_usd),
          r.shared_usd === '0.000000000000' ? '' : usd(r.shared_usd),
          usd(r.allocated_usd),
        ]),
      );
    const none = shared.rows.find((r) => r.team === null)!;
    expect(parseUsd(none.shared_usd!)).toBe(-parseUsd(none.cost_usd!));
    expect(shared.rows.filter((r) => r.team !== null).reduce((n, r) => n + parseUsd(r.shared_usd!), 0n)).toBe(
      parseUsd(none.cost_usd!),
    );
  });
});

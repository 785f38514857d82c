/**
 * First load of the overview page in a real browser (issue 7: under 1.5 s on this machine): Debian's chromium via
 * playwright-core, a fresh browser context per run (empty cache, signed in with a session cookie), from the start of
 * the navigation to `/` until the KPIs, the spend chart and the four top lists are on screen.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { RunningServer } from '../../src/server/serve.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const TOPS = ['Top teams', 'Top people', 'Top projects', 'Top agents'];

export interface FirstLoad {
  /** Per run: navigation start to everything rendered (the document's performance clock), ms. */
  rendered: number[];
  /** Per run: navigation start to the KPIs alone, ms. */
  kpis: number[];
}

/** The page's own clock (ms since its navigation started) once `selector` matches, polled each animation frame. */
const whenShown = (selector: string) => `new Promise((done) => {
  const look = () => (document.querySelector(${JSON.stringify(selector)}) ? done(performance.now()) : requestAnimationFrame(look));
  look();
})`;

export async function measureFirstLoad(server: RunningServer, runs: number): Promise<FirstLoad> {
  if (!existsSync('dist/web/index.html')) execFileSync('npx', ['vite', 'build', 'web'], { stdio: 'ignore' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    // Sign in once through a one-time login link; every measured run starts from that cookie with an empty cache.
    const login = await browser.newContext();
    const p = await login.newPage();
    await p.goto(server.loginLink());
    const state = await login.storageState();
    await login.close();
    const out: FirstLoad = { rendered: [], kpis: [] };
    for (let i = 0; i <= runs; i++) {
      const ctx = await browser.newContext({ storageState: state, viewport: { width: 1280, height: 900 } });
      const page = await ctx.newPage();
      await page.goto(`${server.url}/`, { waitUntil: 'commit' });
      const kpis = (await page.evaluate(whenShown('[data-kpi="spend"] .kpi-value'))) as number;
      const marks = (await Promise.all([
        page.evaluate(whenShown('.chart canvas')),
        ...TOPS.map((t) => page.evaluate(whenShown(`section[aria-label="${t}"] tbody tr`))),
      ])) as number[];
      // The first run warms the server's DuckDB buffers, as the API bench's warm-up call does.
      if (i > 0) {
        out.kpis.push(kpis);
        out.rendered.push(Math.max(kpis, ...marks));
      }
      await ctx.close();
    }
    return out;
  } finally {
    await browser.close();
  }
}

import { beforeAll, describe, expect, it } from 'vitest';
import { PICO_PER_USD } from '../../money/money.js';
import { loadBundledCatalog } from '../../pricing/bundled-catalog.js';
import { createPricer } from '../../pricing/pricer.js';
import { DAY_US, isWeekend } from './calendar.js';
import { demoIncident } from './company.js';
import { DEMO_DEFAULTS, generateDemo } from './generate.js';

/**
 * The demo priced by the real catalog: every model it calls has a real list price, and the incident shows up in
 * dollars where a FinOps user would look (by day, by session), and the spend per person is heavy-tailed.
 */
const END = Date.UTC(2025, 10, 21) * 1000;
const opts = { ...DEMO_DEFAULTS, days: 14, end: END, ingestedAt: END };

describe('the demo at catalog prices', () => {
  const byDay = new Map<number, bigint>();
  const bySession = new Map<string, bigint>();
  const byUser = new Map<string, bigint>();
  const models = new Set<string>();
  let unpriced = 0;
  let total = 0n;

  beforeAll(async () => {
    const pricer = createPricer(await loadBundledCatalog(), null);
    for (const u of generateDemo(opts)) {
      const e = pricer.price(u);
      if (e.cost_usd === null) {
        unpriced++;
        continue;
      }
      models.add(`${e.provider}/${e.model}`);
      total += e.cost_usd;
      const day = Math.floor(e.ts / DAY_US);
      byDay.set(day, (byDay.get(day) ?? 0n) + e.cost_usd);
      if (e.session_id) bySession.set(e.session_id, (bySession.get(e.session_id) ?? 0n) + e.cost_usd);
      if (e.user) byUser.set(e.user, (byUser.get(e.user) ?? 0n) + e.cost_usd);
    }
  }, 120_000);

  const usd = (pico: bigint) => Number(pico / PICO_PER_USD);

  it('prices every event with a catalog model', () => {
    expect(unpriced).toBe(0);
    expect([...models].sort()).toEqual([
      'anthropic/claude-haiku-4-5',
      'anthropic/claude-opus-4-1',
      'anthropic/claude-sonnet-4-5',
      'google/gemini-2.5-flash',
      'google/gemini-2.5-pro',
      'openai/gpt-4.1-mini',
      'openai/gpt-5',
      'openai/gpt-5-mini',
      'openai/text-embedding-3-small',
    ]);
    // A 300-person company spending some $1-3k a working day.
    expect(usd(total) / 10).toBeGreaterThan(1000);
    expect(usd(total) / 10).toBeLessThan(3000);
  });

  it('puts a runaway session of several hundred dollars on top, and its day above every other', () => {
    const inc = demoIncident(opts)!;
    const sessions = [...bySession].sort((a, b) => (a[1] < b[1] ? 1 : -1));
    expect(sessions[0]![0]).toBe(inc.session_id);
    expect(usd(sessions[0]![1])).toBeGreaterThan(300);
    expect(usd(sessions[0]![1])).toBeLessThan(3000);
    expect(sessions[0]![1]).toBeGreaterThan(10n * sessions[1]![1]);

    const incDay = Math.floor(inc.start / DAY_US);
    const weekdays = [...byDay].filter(([d]) => !isWeekend(d) && d !== incDay).map(([, c]) => c);
    const maxOther = weekdays.sort((a, b) => (a < b ? 1 : -1))[0]!;
    expect(byDay.get(incDay)!).toBeGreaterThan((maxOther * 13n) / 10n);
  });

  it('has a few people spending 20x the median or more', () => {
    const per = [...byUser.values()].sort((a, b) => (a < b ? 1 : -1));
    const median = per[Math.floor(per.length / 2)]!;
    expect(per.filter((c) => c > 20n * median).length).toBeGreaterThanOrEqual(2);
    expect(per[0]!).toBeLessThan(100n * median);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { TokenledgerError } from '../../errors.js';
import { STATUSES, type UnpricedEvent } from '../../ledger/event.js';
import { DAY_US, isWeekend } from './calendar.js';
import { demoIncident } from './company.js';
import { estimateDemoEvents } from './estimate.js';
import { DEMO_DEFAULTS, type DemoOptions, generateDemo } from './generate.js';
import { MODELS } from './models.js';
import { AGENTS, TEAMS } from './org.js';

/** Friday 2025-11-21 00:00 UTC: a fixed "tomorrow" so the tests do not depend on today's weekday. */
const END = Date.UTC(2025, 10, 21) * 1000;
const INGESTED = END - 3_600_000_000;
const opts = (o: Partial<DemoOptions> = {}): DemoOptions => ({
  ...DEMO_DEFAULTS,
  end: END,
  ingestedAt: INGESTED,
  ...o,
});

const APPS = ['support-bot', 'docs-rag', 'pr-review-bot', 'sales-email', 'ticket-classifier'];
const KNOWN_AGENTS = new Set<string>([...AGENTS, ...APPS]);
const KNOWN_TEAMS = new Set(TEAMS.map((t) => t.name));
const MODEL_PROVIDER = new Map(Object.values(MODELS).map((m) => [m.name, m.provider]));
const TOKEN_FIELDS = [
  'requests',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'reasoning_tokens',
] as const;

const tokens = (e: UnpricedEvent) =>
  e.input_tokens + e.cache_read_tokens + e.cache_write_5m_tokens + e.cache_write_1h_tokens + e.output_tokens;

/** Why an event is not a valid demo event, or null. */
function problem(e: UnpricedEvent, o: DemoOptions): string | null {
  for (const f of TOKEN_FIELDS) if (!Number.isSafeInteger(e[f]) || e[f] < 0) return `${f} = ${e[f]}`;
  if (e.requests !== 1) return 'requests';
  if (e.reasoning_tokens > e.output_tokens) return 'reasoning > output';
  if (!/^[0-9a-f]{16}$/.test(e.event_id)) return 'event_id';
  if (e.source !== 'demo' || e.org !== 'acme' || e.ingested_at !== o.ingestedAt) return 'identity';
  if (!Number.isSafeInteger(e.ts)) return 'ts';
  if (e.agent === null || !KNOWN_AGENTS.has(e.agent)) return `agent ${e.agent}`;
  if (e.team === null || !KNOWN_TEAMS.has(e.team)) return `team ${e.team}`;
  if (MODEL_PROVIDER.get(e.model) !== e.provider || e.model_requested !== e.model) return `model ${e.model}`;
  if (!STATUSES.includes(e.status)) return `status ${e.status}`;
  if ((e.status === 'ok') !== (e.error_type === null)) return 'error_type';
  if (e.status === 'error' && tokens(e) !== 0) return 'a failed call with usage';
  if (e.duration_ms !== null && (!Number.isSafeInteger(e.duration_ms) || e.duration_ms < 0))
    return 'duration';
  if (e.ttft_ms !== null && (e.duration_ms === null || e.ttft_ms > e.duration_ms || e.ttft_ms < 0))
    return 'ttft';
  // The demo stays below the 200k-token long-context price tier.
  if (tokens(e) - e.output_tokens >= 200_000) return 'prompt over 200k';
  if (e.source_ref !== null) return 'source_ref';
  // The support bot's staging release trials the gateway's router; nothing else is routed.
  const routed = e.agent === 'support-bot' && e.environment === 'staging';
  if (e.route_id !== (routed ? 'support-auto' : null)) return `route_id ${e.route_id}`;
  return null;
}

describe('generateDemo at the default size', () => {
  const o = opts();
  const start = END - o.days * DAY_US;
  let count = 0;
  let ordered = true;
  let inRange = true;
  const ids = new Set<string>();
  const problems: string[] = [];
  const byUser = new Map<string, number>();
  const bySession = new Map<string, number>();
  const byDay = new Map<number, number>();
  const byAgent = new Map<string, number>();
  let batch = 0;
  let errors = 0;
  let embeddings = 0;

  beforeAll(() => {
    let prev = Number.NEGATIVE_INFINITY;
    for (const e of generateDemo(o)) {
      count++;
      if (e.ts < prev) ordered = false;
      if (e.ts < start || e.ts >= END) inRange = false;
      prev = e.ts;
      ids.add(e.event_id);
      const p = problems.length < 5 ? problem(e, o) : null;
      if (p) problems.push(`${p}: ${JSON.stringify(e)}`);
      const t = tokens(e);
      if (e.user) byUser.set(e.user, (byUser.get(e.user) ?? 0) + t);
      if (e.session_id) bySession.set(e.session_id, (bySession.get(e.session_id) ?? 0) + t);
      const day = Math.floor(e.ts / DAY_US);
      byDay.set(day, (byDay.get(day) ?? 0) + 1);
      byAgent.set(e.agent!, (byAgent.get(e.agent!) ?? 0) + 1);
      if (e.service_tier === 'batch') batch++;
      if (e.status === 'error') errors++;
      if (e.operation === 'embeddings') embeddings++;
    }
  }, 120_000);

  it('yields about a million events, as estimated', () => {
    const est = estimateDemoEvents(o);
    expect(count).toBeGreaterThan(900_000);
    expect(count).toBeLessThan(1_150_000);
    expect(Math.abs(count - est) / est).toBeLessThan(0.05);
  });

  it('yields events in non-decreasing ts order, inside the range', () => {
    expect(ordered).toBe(true);
    expect(inRange).toBe(true);
  });

  it('gives every event a unique id', () => {
    expect(ids.size).toBe(count);
  });

  it('yields only valid events', () => {
    expect(problems).toEqual([]);
  });

  it('has a heavy-tailed spend per person', () => {
    const per = [...byUser.values()].sort((a, b) => b - a);
    const total = per.reduce((s, x) => s + x, 0);
    const median = per[Math.floor(per.length / 2)]!;
    expect(per.length).toBe(o.people);
    // The top 1% of people (3 of 300) hold several times their headcount share …
    expect(per.slice(0, Math.ceil(per.length / 100)).reduce((s, x) => s + x, 0) / total).toBeGreaterThan(
      0.05,
    );
    // … the median person is well below the mean, and the heaviest use an order of magnitude more tokens (in
    // dollars 20-50x, as they also pick pricier models: demo-pricing.test.ts).
    expect(median).toBeLessThan(0.7 * (total / per.length));
    expect(per[0]!).toBeGreaterThan(12 * median);
  });

  it('works less at weekends (~15% of a weekday)', () => {
    const weekday: number[] = [];
    const weekend: number[] = [];
    for (const [day, n] of byDay) (isWeekend(day) ? weekend : weekday).push(n);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ratio = mean(weekend) / mean(weekday);
    expect(ratio).toBeGreaterThan(0.08);
    expect(ratio).toBeLessThan(0.25);
  });

  it('makes the runaway incident the top session by tokens, far ahead of the next', () => {
    const inc = demoIncident(o)!;
    const top = [...bySession].sort((a, b) => b[1] - a[1]);
    expect(top[0]![0]).toBe(inc.session_id);
    expect(top[0]![1]).toBeGreaterThan(2 * top[1]![1]);
    expect(inc.date).toBe(new Date(((inc.start / DAY_US) | 0) * 86_400_000).toISOString().slice(0, 10));
    expect(inc.start).toBeGreaterThanOrEqual(start);
    expect(inc.end).toBeLessThan(END);
  });

  it('mixes coding agents, internal apps, batch calls, embeddings and failures', () => {
    for (const a of [...AGENTS, ...APPS]) expect(byAgent.get(a) ?? 0).toBeGreaterThan(1000);
    expect(batch).toBeGreaterThan(0);
    expect(batch / count).toBeLessThan(0.01);
    expect(embeddings).toBeGreaterThan(10_000);
    expect(errors / count).toBeGreaterThan(0.005);
    expect(errors / count).toBeLessThan(0.02);
  });
});

describe('generateDemo', () => {
  const small = (o: Partial<DemoOptions> = {}) => [...generateDemo(opts({ people: 40, days: 7, ...o }))];

  it('is deterministic: the same options give identical events', () => {
    const a = small();
    expect(a.length).toBeGreaterThan(10_000);
    expect(small()).toEqual(a);
  });

  it('gives a different organisation for a different seed', () => {
    const a = small();
    const b = small({ seed: 7 });
    const users = (xs: UnpricedEvent[]) => new Set(xs.map((e) => e.user));
    expect(b.length).not.toBe(a.length);
    expect(users(b)).not.toEqual(users(a));
    const ids = new Set(a.map((e) => e.event_id));
    expect(b.some((e) => ids.has(e.event_id))).toBe(false);
  });

  it('gives the same events for the same dates whatever the range', () => {
    // Two ranges sharing four middle days; compare those days away from the edges and the incidents.
    const a = small({ days: 10 });
    const b = small({ days: 10, end: END + 3 * DAY_US });
    const from = END - 6 * DAY_US;
    const to = END - 3 * DAY_US;
    const skip = new Set([demoIncident(opts({ days: 10 }))!.session_id]);
    skip.add(demoIncident(opts({ days: 10, end: END + 3 * DAY_US }))!.session_id);
    const mid = (xs: UnpricedEvent[]) =>
      xs.filter((e) => e.ts >= from && e.ts < to && !skip.has(e.session_id!));
    expect(mid(a).length).toBeGreaterThan(5000);
    expect(mid(b)).toEqual(mid(a));
  });

  it('scales linearly with people × days', () => {
    const n = (o: Partial<DemoOptions>) => {
      let k = 0;
      for (const _ of generateDemo(opts({ seed: 3, ...o }))) k++;
      return k;
    };
    const base = n({ people: 60, days: 14 });
    expect(n({ people: 120, days: 14 }) / base).toBeGreaterThan(1.8);
    expect(n({ people: 120, days: 14 }) / base).toBeLessThan(2.2);
    expect(n({ people: 60, days: 28 }) / base).toBeGreaterThan(1.8);
    expect(n({ people: 60, days: 28 }) / base).toBeLessThan(2.2);
    expect(
      estimateDemoEvents({ people: 3000, days: 30 }) / estimateDemoEvents({ people: 300, days: 30 }),
    ).toBeCloseTo(10, 1);
  });

  it('yields nothing for an empty company', () => {
    expect(small({ people: 0 })).toEqual([]);
    expect(estimateDemoEvents({ people: 0, days: 7 })).toBe(0);
  });

  it('rejects bad options with SRC_DEMO_BAD_OPTION', () => {
    for (const bad of [{ people: -1 }, { days: 0 }, { days: 1.5 }, { seed: Number.NaN }, { end: 1.5 }]) {
      expect(() => small(bad)).toThrow(TokenledgerError);
      try {
        small(bad);
      } catch (err) {
        expect((err as TokenledgerError).code).toBe('SRC_DEMO_BAD_OPTION');
      }
    }
  });
});

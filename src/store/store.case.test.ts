/**
 * The conformance suite every Store runs (STYLE.md §2): store/duckdb/duckdb-store.test.ts calls it, and so will
 * store/clickhouse. Expected values are computed here, independently, from costOf() and plain JS sums.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { totalTokens, type UsageEvent } from '../ledger/event.js';
import { formatUsd } from '../money/money.js';
import { audioFee, costOf, webSearchFee } from '../pricing/cost.js';
import type { Query, QueryResult } from './query.js';
import type { Store } from './store.js';
import { CARDS, card, DAY, HOUR, makeEvent, randomEvents, T0 } from './testing/event-factory.js';

/** Cost of an event as the ledger must report it: costOf() of its rates, or its given cost, or 0 when unpriced. */
function expectedCost(e: UsageEvent): bigint {
  if (e.cost_usd === null) return 0n;
  if (e.rates && e.cost_source === 'computed') return costOf(e, e.rates).cost_usd;
  return e.cost_usd;
}

function sumBy(events: readonly UsageEvent[], key: (e: UsageEvent) => string) {
  const out = new Map<string, { cost: bigint; events: number; input: number }>();
  for (const e of events) {
    const k = key(e);
    const g = out.get(k) ?? { cost: 0n, events: 0, input: 0 };
    g.cost += expectedCost(e);
    g.events += 1;
    g.input += e.input_tokens;
    out.set(k, g);
  }
  return out;
}

function rowsBy(r: QueryResult, key: (dims: Record<string, string | null>, bucket?: string) => string) {
  return new Map(
    r.rows.map((row) => [
      key(row.dims, row.bucket),
      { cost: row.cost_usd, events: row.events, input: row.input_tokens },
    ]),
  );
}

export function runStoreSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('appends idempotently: the same events twice are stored once and counted as duplicates', async () => {
      const events = Array.from({ length: 50 }, (_, i) => makeEvent(i));
      expect(await store.append(events)).toMatchObject({ inserted: 50, duplicates: 0 });
      expect(await store.append(events)).toMatchObject({ inserted: 0, duplicates: 50 });
      // Repeats inside one batch, plus new ones mixed with old ones.
      const mixed = [...events.slice(0, 5), makeEvent(100), makeEvent(100), makeEvent(101)];
      expect(await store.append(mixed)).toMatchObject({ inserted: 2, duplicates: 6 });
      expect(await store.count()).toBe(52);
      // Same event_id at another ts is another record (the key is (event_id, ts)).
      expect(await store.append([{ ...events[0]!, ts: events[0]!.ts + 1 }])).toMatchObject({
        inserted: 1,
        duplicates: 0,
      });
      const totals = (await store.query({ dimensions: [] })).totals;
      expect(totals.events).toBe(53);
    });

    it('reports the unpriced events it inserted and their tokens, not the repeats of stored ones', async () => {
      const unpriced = (n: number) => makeEvent(n, { rates: null, input_tokens: n, cache_read_tokens: 0 });
      const first = [makeEvent(1), unpriced(2), unpriced(3)];
      expect(await store.append(first)).toEqual({
        inserted: 3,
        duplicates: 0,
        unpriced: { events: 2, tokens: 2 + 3 + 2 * 300 },
      });
      expect((await store.append(first)).unpriced).toEqual({ events: 0, tokens: 0 });
      // Stored and new events in one batch, and a repeat within it: only the new unpriced one counts.
      expect(await store.append([unpriced(2), makeEvent(4), unpriced(5), unpriced(5)])).toEqual({
        inserted: 2,
        duplicates: 2,
        unpriced: { events: 1, tokens: 5 + 300 },
      });
    });

    it('sums costs exactly: totals equal an independent BigInt sum of costOf()', async () => {
      const events = randomEvents(3000, 7);
      for (let i = 0; i < events.length; i += 1000) await store.append(events.slice(i, i + 1000));
      const r = await store.query({ dimensions: [] });
      expect(r.totals.cost_usd).toBe(events.reduce((s, e) => s + expectedCost(e), 0n));
      expect(r.totals.events).toBe(3000);
      expect(r.totals.requests).toBe(events.reduce((s, e) => s + e.requests, 0));
      expect(r.totals.output_tokens).toBe(events.reduce((s, e) => s + e.output_tokens, 0));
      expect(r.totals.web_search_requests).toBe(events.reduce((s, e) => s + e.web_search_requests, 0));
      const parts =
        r.totals.cost_input + r.totals.cost_cache_read + r.totals.cost_cache_write + r.totals.cost_output;
      const givenWithoutParts = events
        .filter((e) => e.cost_source === 'provider')
        .reduce((s, e) => s + (e.cost_usd ?? 0n), 0n);
      // The web search and audio fees are the cost beyond the parts (pricing/cost.ts): some events searched, some
      // billed audio by its duration, at odd and tie rates.
      const computed = events.filter((e) => e.cost_source === 'computed');
      const fees = computed.reduce((s, e) => s + webSearchFee(e, e.rates!), 0n);
      const audio = computed.reduce((s, e) => s + audioFee(e, e.rates!), 0n);
      expect(fees).toBeGreaterThan(0n);
      expect(audio).toBeGreaterThan(0n);
      expect(r.totals.audio_ms).toBe(events.reduce((s, e) => s + e.audio_ms, 0));
      expect(parts + fees + audio + givenWithoutParts).toBe(r.totals.cost_usd);
      const byModel = sumBy(events, (e) => e.model);
      const got = rowsBy(await store.query({ dimensions: ['model'] }), (d) => d.model!);
      expect(got).toEqual(byModel);
    });

    it('prices exactly on both sides of every shortcut: whole and fractional pico rates, huge counts and prices', async () => {
      // A store may take shortcuts for common cases (DuckDB: no rounding when a rate is whole pico-dollars per token,
      // 64-bit products when counts and rates are below 2^31); each event here sits on one side or the other.
      const huge = card(
        '4000',
        '2147.483648',
        '2147.483647',
        '9000.000000000000000001',
        '0.000000000000000001',
        '2147.483648',
        '4000',
        '0.000000000000000001',
        '4000',
        '0.000000000000000001',
        '9000.000000000000000001',
      );
      // The smallest rate per hour there is: every fee of fewer than 1.8·10^12 ms rounds to 0.
      const tiny = card('1', '1', '1', '1', '1', '0', '1', '1', '1', '1', '0.000000000000000001');
      const big = 2 ** 31;
      const counts = [0, 1, 7, big - 1, big, 2 * big - 1, 3 * big + 1, 9_000_000_000_000];
      const cards = [CARDS.sonnet, CARDS.discounted, CARDS.ties, huge, CARDS.gpt, tiny];
      const events = cards.flatMap((rates, c) =>
        counts.map((n, i) =>
          makeEvent(100 * c + i, {
            rates,
            input_tokens: n,
            cache_read_tokens: counts[(i + 1) % counts.length]!,
            cache_write_5m_tokens: counts[(i + 2) % counts.length]!,
            cache_write_1h_tokens: counts[(i + 3) % counts.length]!,
            output_tokens: counts[(i + 4) % counts.length]!,
            web_search_requests: counts[(i + 5) % counts.length]!,
            audio_ms: counts[(i + 6) % counts.length]!,
          }),
        ),
      );
      await store.append(events);
      const back = new Map((await store.events({})).map((e) => [e.event_id, e]));
      for (const e of events) {
        const want = costOf(e, e.rates!);
        const got = back.get(e.event_id)!;
        expect(
          [got.cost_usd, got.cost_input, got.cost_cache_read, got.cost_cache_write, got.cost_output],
          `${e.model} ${e.input_tokens}`,
        ).toEqual([
          want.cost_usd,
          want.cost_input,
          want.cost_cache_read,
          want.cost_cache_write,
          want.cost_output,
        ]);
      }
      expect((await store.query({ dimensions: [] })).totals.cost_usd).toBe(
        events.reduce((s, e) => s + costOf(e, e.rates!).cost_usd, 0n),
      );
    });

    it('returns every event exactly as appended (events() round trip, newest first)', async () => {
      const events = randomEvents(400, 3);
      await store.append(events);
      const back = await store.events({});
      const sorted = [...events].sort((a, b) => b.ts - a.ts || (b.event_id < a.event_id ? -1 : 1));
      expect(back).toEqual(sorted);
      const limited = await store.events({ limit: 5, filters: [{ dimension: 'team', values: ['ads'] }] });
      expect(limited).toEqual(sorted.filter((e) => e.team === 'ads').slice(0, 5));
      const ranged = await store.events({ since: T0 + DAY, until: T0 + 2 * DAY });
      expect(ranged).toEqual(sorted.filter((e) => e.ts >= T0 + DAY && e.ts < T0 + 2 * DAY));
      // Unfiltered pages (the store may narrow the range to the page first), also with events sharing a ts.
      const tied = randomEvents(30, 31).map((e, i) => ({ ...e, ts: sorted[6]!.ts - (i % 3) }));
      await store.append(tied);
      const all = [...sorted, ...tied].sort((a, b) => b.ts - a.ts || (b.event_id < a.event_id ? -1 : 1));
      for (const limit of [1, 7, 8, 20])
        expect(await store.events({ limit, until: sorted[2]!.ts })).toEqual(
          all.filter((e) => e.ts < sorted[2]!.ts).slice(0, limit),
        );
    });

    it('pages events whose range holds more contexts than a page joins by id, and fewer, alike', async () => {
      // 1,200 calls of as many people (a context each) in one hour: a filtered page reads the whole range (more
      // contexts than pageSource joins by id), an unfiltered one only its newest events (a few contexts).
      const many = Array.from({ length: 1200 }, (_, i) =>
        makeEvent(50_000 + i, { ts: T0 + i * 1_000_000, team: i % 2 ? 'web' : 'ads', user: `person-${i}` }),
      );
      await store.append(many);
      const newest = [...many].sort((a, b) => b.ts - a.ts);
      const hour = { since: T0, until: T0 + 3_600_000_000 };
      expect(await store.events({ ...hour, limit: 7 })).toEqual(newest.slice(0, 7));
      expect(
        await store.events({ ...hour, limit: 7, filters: [{ dimension: 'team', values: ['web'] }] }),
      ).toEqual(newest.filter((e) => e.team === 'web').slice(0, 7));
      expect((await store.events(hour)).length).toBe(1200);
    });

    it('keeps every source_ref as it was handed over, file:line or not', async () => {
      const refs = [
        '/data/usage.jsonl:1',
        '/data/usage.jsonl:2',
        '/data/other.jsonl:2',
        '/data/usage.jsonl:999999999',
        '/data/usage.jsonl:1000000000',
        '/data/usage.jsonl:07',
        '/data/usage.jsonl:0',
        '/data/usage.jsonl:',
        '/data/usage.jsonl:-3',
        'C:\\logs\\a.jsonl:12',
        ':5',
        'req_123',
        '',
        null,
        '/data/usage.jsonl:3',
      ];
      const events = refs.map((source_ref, i) => makeEvent(i + 1, { source_ref }));
      await store.append(events);
      const back = await store.events({});
      expect(new Map(back.map((e) => [e.event_id, e.source_ref]))).toEqual(
        new Map(events.map((e) => [e.event_id, e.source_ref])),
      );
    });

    it('keeps given costs and parts that differ from the rates as they were handed over', async () => {
      const given = {
        ...makeEvent(1, { rates: null }),
        cost_usd: 5_000_000n,
        cost_input: 1_000_000n,
        cost_cache_read: null,
        cost_cache_write: null,
        cost_output: 4_000_000n,
        cost_source: 'provider' as const,
        provider_cost_usd: 5_000_000n,
      };
      const edited = {
        ...makeEvent(2),
        cost_output: 1n,
        cost_usd: makeEvent(2).cost_usd! - makeEvent(2).cost_output! + 1n,
      };
      await store.append([given, edited]);
      const back = await store.events({});
      expect(back).toEqual([edited, given]);
      expect((await store.query({ dimensions: [] })).totals.cost_usd).toBe(given.cost_usd + edited.cost_usd);
    });

    it('groups by dimensions, tags and buckets, filters (null matches not set) and folds top-N into "other"', async () => {
      const events = randomEvents(2000, 11);
      await store.append(events);
      const byTeamDay = sumBy(
        events,
        (e) => `${new Date(Math.floor(e.ts / DAY) * (DAY / 1000)).toISOString()}|${e.team}`,
      );
      const got = rowsBy(
        await store.query({ dimensions: ['team'], bucket: 'day' }),
        (d, b) => `${b}|${d.team}`,
      );
      expect(got).toEqual(new Map([...byTeamDay].map(([k, v]) => [k.replace(/\|undefined$/, '|null'), v])));

      const byRepo = sumBy(events, (e) => e.tags.repo ?? 'null');
      expect(rowsBy(await store.query({ dimensions: ['tag.repo'] }), (d) => String(d['tag.repo']))).toEqual(
        byRepo,
      );

      const noTeam = events.filter((e) => e.team === null || e.team === 'ads');
      const filtered = await store.query({
        dimensions: [],
        filters: [{ dimension: 'team', values: [null, 'ads'] }],
      });
      expect(filtered.totals.cost_usd).toBe(noTeam.reduce((s, e) => s + expectedCost(e), 0n));
      expect(filtered.totals.events).toBe(noTeam.length);

      const hourly = await store.query({
        dimensions: [],
        bucket: 'hour',
        since: T0 + HOUR,
        until: T0 + 5 * HOUR,
      });
      const inHours = events.filter((e) => e.ts >= T0 + HOUR && e.ts < T0 + 5 * HOUR);
      expect(hourly.totals.events).toBe(inHours.length);
      expect(hourly.rows.every((r) => /T0[1-4]:00:00\.000Z$/.test(r.bucket!))).toBe(true);

      const weekly = await store.query({ dimensions: [], bucket: 'week' });
      expect(weekly.rows.map((r) => r.bucket)).toEqual([
        '2026-01-05T00:00:00.000Z',
        '2026-01-12T00:00:00.000Z',
      ]);
      const monthly = await store.query({ dimensions: [], bucket: 'month' });
      expect(monthly.rows.map((r) => r.bucket)).toEqual(['2026-01-01T00:00:00.000Z']);

      const byUser = [...sumBy(events, (e) => e.user!)].sort((a, b) => (b[1].cost > a[1].cost ? 1 : -1));
      const top = await store.query({ dimensions: ['user'], top: 3 });
      expect(top.rows.map((r) => r.dims.user)).toEqual([...byUser.slice(0, 3).map(([u]) => u), 'other']);
      expect(top.rows[3]!.cost_usd).toBe(byUser.slice(3).reduce((s, [, v]) => s + v.cost, 0n));
      expect(top.totals.cost_usd).toBe(events.reduce((s, e) => s + expectedCost(e), 0n));
      expect(top.rows.map((r) => r.folded)).toEqual([undefined, undefined, undefined, true]);

      // Exclusion is the complement, null included or not as listed.
      const cost = (es: typeof events) => es.reduce((s, e) => s + expectedCost(e), 0n);
      const allBut = async (values: (string | null)[]) =>
        (await store.query({ dimensions: [], filters: [{ dimension: 'team', values, exclude: true }] }))
          .totals;
      expect((await allBut([null, 'ads'])).cost_usd).toBe(cost(events.filter((e) => !noTeam.includes(e))));
      expect((await allBut(['ads'])).events).toBe(events.filter((e) => e.team !== 'ads').length);
      expect((await allBut([null])).events).toBe(events.filter((e) => e.team !== null).length);
    });

    it('ranks sessions over a range exactly, whether a session runs in one day or over several days or people', async () => {
      // Sessions of five calls: in one hour; over midnight; under two agents; by two people; and calls of no session.
      const base = randomEvents(600, 41);
      const events = base.map((e, i) => {
        const k = Math.floor(i / 5);
        const day = T0 + (k % 9) * DAY;
        const at = [day + 9 * HOUR + (i % 5) * 60_000_000, day + 23 * HOUR + (i % 5) * 20 * 60_000_000][
          k % 5 === 1 ? 1 : 0
        ]!;
        return {
          ...e,
          ts: at + (k % 3) * 4 * HOUR,
          session_id: k % 5 === 4 ? null : `s${String(k).padStart(3, '0')}`,
          agent: k % 5 === 2 && i % 2 === 0 ? 'codex' : 'claude-code',
          user: k % 5 === 3 && i % 2 === 0 ? 'grace' : `u${k % 7}`,
          team: k % 5 === 3 ? 'search' : 'platform',
        };
      });
      await store.append(events.slice(0, 300));
      await store.append(events.slice(300));
      const since = T0 + DAY + 10 * HOUR;
      const until = T0 + 7 * DAY + 14 * HOUR;
      const inRange = events.filter((e) => e.ts >= since && e.ts < until);
      // The sessions a ranking keeps: the 6 costliest (ties by id) and the 3 with the most calls.
      const ranking = (evs: readonly UsageEvent[]) => {
        const sessions = sumBy(
          evs.filter((e) => e.session_id !== null),
          (e) => e.session_id!,
        );
        const calls = new Map<string, number>();
        for (const e of evs)
          if (e.session_id) calls.set(e.session_id, (calls.get(e.session_id) ?? 0) + e.requests);
        const byCost = [...sessions].sort((a, b) =>
          a[1].cost === b[1].cost ? (a[0] < b[0] ? -1 : 1) : a[1].cost < b[1].cost ? 1 : -1,
        );
        const byCalls = [...calls].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
        const kept = new Set([...byCost.slice(0, 6).map(([s]) => s), ...byCalls.slice(0, 3).map(([s]) => s)]);
        return { sessions, byCost, kept };
      };
      const { byCost, kept } = ranking(inRange);
      const groups = sumBy(
        inRange.filter((e) => e.session_id !== null && kept.has(e.session_id)),
        (e) => `${e.session_id}|${e.agent}|${e.user}|${e.team}`,
      );
      const q: Query = {
        dimensions: ['session_id', 'agent', 'user', 'team'],
        filters: [{ dimension: 'session_id', values: [null], exclude: true }],
        since,
        until,
        top: 6,
        topRequests: 3,
        rankByFirst: true,
      };
      const r = await store.query(q);
      const listed = r.rows.filter((x) => !x.folded);
      expect(
        new Map(
          listed.map((x) => [
            `${x.dims.session_id}|${x.dims.agent}|${x.dims.user}|${x.dims.team}`,
            x.cost_usd,
          ]),
        ),
      ).toEqual(new Map([...groups].map(([k, v]) => [k, v.cost])));
      // The costliest in order first (ties by session id), then the busiest not already listed.
      const order = [...new Set(listed.map((x) => x.dims.session_id!))];
      expect(order.slice(0, 6)).toEqual(byCost.slice(0, 6).map(([s]) => s));
      expect(r.rows.at(-1)!.cost_usd).toBe(
        byCost.filter(([s]) => !kept.has(s)).reduce((s, [, v]) => s + v.cost, 0n),
      );
      // Filtered to one team, and without the "other" row: the same sums as the events say.
      const search = await store.query({
        ...q,
        filters: [...q.filters!, { dimension: 'team', values: ['search'] }],
        other: false,
      });
      const inSearch = ranking(inRange.filter((e) => e.team === 'search'));
      const bySession = new Map<string, bigint>();
      for (const x of search.rows)
        bySession.set(x.dims.session_id!, (bySession.get(x.dims.session_id!) ?? 0n) + x.cost_usd);
      expect(new Set(bySession.keys())).toEqual(inSearch.kept);
      for (const [s, cost] of bySession) expect(cost).toBe(inSearch.sessions.get(s)!.cost);
    });

    it('ranks a top-N on its first dimension, listing each group of the values it keeps', async () => {
      const events = randomEvents(1500, 23);
      await store.append(events);
      const teams = [...sumBy(events, (e) => String(e.team))].sort((a, b) =>
        b[1].cost > a[1].cost ? 1 : -1,
      );
      const kept = teams.slice(0, 2).map(([t]) => t);
      const r = await store.query({ dimensions: ['team', 'user'], top: 2, rankByFirst: true });
      const listed = r.rows.filter((x) => !x.folded);
      const pairs = sumBy(
        events.filter((e) => kept.includes(String(e.team))),
        (e) => `${e.team}|${e.user}`,
      );
      expect(listed.length).toBe(pairs.size);
      expect(new Map(listed.map((x) => [`${x.dims.team}|${x.dims.user}`, x.cost_usd]))).toEqual(
        new Map([...pairs].map(([k, v]) => [k, v.cost])),
      );
      // In rank order of the team, then by cost within it.
      expect([...new Set(listed.map((x) => x.dims.team))]).toEqual(kept);
      const rest = teams.slice(2).reduce((s, [, v]) => s + v.cost, 0n);
      expect(r.rows.at(-1)).toMatchObject({
        folded: true,
        cost_usd: rest,
        dims: { team: 'other', user: 'other' },
      });
      await expect(store.query({ dimensions: ['team', 'user'], rankByFirst: true })).rejects.toThrow(
        /give top/,
      );

      // Also the groups with the most calls, in the same pass: the costliest team and the two busiest.
      const byTeam = new Map<string, number>();
      for (const e of events) byTeam.set(String(e.team), (byTeam.get(String(e.team)) ?? 0) + e.requests);
      const calls = [...byTeam].sort((a, b) => b[1] - a[1]);
      const both = await store.query({ dimensions: ['team'], top: 1, topRequests: 2 });
      const keptTeams = new Set([teams[0]![0], ...calls.slice(0, 2).map(([t]) => t)]);
      expect(new Set(both.rows.filter((x) => !x.folded).map((x) => String(x.dims.team)))).toEqual(keptTeams);
      expect(both.rows.at(-1)!.cost_usd).toBe(
        teams.filter(([t]) => !keptTeams.has(t)).reduce((s, [, v]) => s + v.cost, 0n),
      );

      // Without the "other" row: the same kept rows, and totals of those alone.
      const only = await store.query({ dimensions: ['team'], top: 1, topRequests: 2, other: false });
      expect(only.rows).toEqual(both.rows.filter((x) => !x.folded));
      expect(only.totals.cost_usd).toBe(only.rows.reduce((s, x) => s + x.cost_usd, 0n));
      await expect(store.query({ dimensions: ['team'], other: false })).rejects.toThrow(/give top/);
    });

    it('sums the energy of the events that carry it, by the buckets and dimensions of a report', async () => {
      const events = randomEvents(1500, 17);
      await store.append(events);
      const since = T0 + 2 * DAY + 5 * HOUR;
      const until = T0 + 7 * DAY;
      const teams = ['platform', 'search'];
      const q: Query = {
        dimensions: ['model', 'tag.repo'],
        filters: [{ dimension: 'team', values: teams }],
        since,
        until,
        bucket: 'day',
        timeZone: 'America/New_York',
      };
      const localDay = (ms: number) =>
        new Date(ms).toLocaleDateString('en-CA', { timeZone: 'America/New_York' });
      const want = new Map<string, number>();
      for (const e of events) {
        if (e.energy_j === null || e.ts < since || e.ts >= until || !teams.includes(String(e.team))) continue;
        const k = `${localDay(e.ts / 1000)}|${e.model}|${e.tags.repo ?? null}`;
        want.set(k, (want.get(k) ?? 0) + e.energy_j);
      }
      expect(want.size).toBeGreaterThan(5);
      const got = await store.energy(q);
      const byKey = new Map(
        got.map((r) => [
          `${localDay(Date.parse(r.bucket!))}|${r.dims.model}|${r.dims['tag.repo']}`,
          r.energy_j,
        ]),
      );
      expect([...byKey.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, j] of want) expect(byKey.get(k)).toBeCloseTo(j, 6);
      // Each bucket is one the report has for the same query: the two join on bucket and dimensions.
      const report = await store.query(q);
      const keys = new Set(report.rows.map((r) => `${r.bucket}|${r.dims.model}|${r.dims['tag.repo']}`));
      for (const r of got) expect(keys.has(`${r.bucket}|${r.dims.model}|${r.dims['tag.repo']}`)).toBe(true);
      // No keys: one total; none in the range: no row at all.
      const [total] = await store.energy({ dimensions: [] });
      expect(total!.energy_j).toBeCloseTo(
        events.reduce((s, e) => s + (e.energy_j ?? 0), 0),
        6,
      );
      expect(await store.energy({ dimensions: [], since: T0 - 2 * DAY, until: T0 - DAY })).toEqual([]);
    });

    it("sums what the gateway's response cache saved: each hit joined to the event it was answered from", async () => {
      const originals = randomEvents(400, 23);
      await store.append(originals);
      // No hit in the ledger: no row, read at once.
      expect(await store.cacheSavings({ dimensions: [] })).toEqual([]);
      const noUsage = { input_tokens: 0, cache_read_tokens: 0, output_tokens: 0 };
      const hit = (n: number, ref: string, ts: number, team: string) =>
        makeEvent(9000 + n, { ...noUsage, ts, team, tags: { gateway_cache: 'hit' }, source_ref: ref });
      const hits: UsageEvent[] = [];
      for (let i = 0; i < originals.length; i += 3) {
        const o = originals[i]!;
        for (let k = 0; k < 1 + (i % 2); k++)
          hits.push(
            hit(hits.length, `cache:${o.event_id}`, o.ts + (k + 1) * HOUR, k === 0 ? 'platform' : 'search'),
          );
      }
      // One answered from an event this ledger does not hold (another's, or deleted): unknown, not $0.
      hits.push(hit(hits.length, 'cache:0123456789abcdef', T0 + DAY, 'platform'));
      // A miss is no hit.
      const miss = makeEvent(8999, { tags: { gateway_cache: 'miss' }, ts: T0 + DAY, team: 'platform' });
      await store.append([...hits, miss]);
      const since = T0 + 2 * DAY;
      const until = T0 + 8 * DAY;
      const cost = new Map(originals.map((o) => [o.event_id, o.cost_usd === null ? null : expectedCost(o)]));
      const want = new Map<string, { hits: number; saved_usd: bigint; unpriced: number }>();
      for (const h of [...hits, miss]) {
        if (h.tags.gateway_cache !== 'hit' || h.ts < since || h.ts >= until) continue;
        const k = `${new Date(Math.floor(h.ts / DAY) * (DAY / 1000)).toISOString()}|${h.team}`;
        const g = want.get(k) ?? { hits: 0, saved_usd: 0n, unpriced: 0 };
        const c = cost.get(h.source_ref!.slice('cache:'.length));
        g.hits += 1;
        if (c === null || c === undefined) g.unpriced += 1;
        else g.saved_usd += c;
        want.set(k, g);
      }
      expect(want.size).toBeGreaterThan(8);
      const got = await store.cacheSavings({ dimensions: ['team'], bucket: 'day', since, until });
      expect(new Map(got.map(({ bucket, dims, ...r }) => [`${bucket}|${dims.team}`, r]))).toEqual(want);
      // No keys: one total, the unknown event's hit and the unpriced originals' left out of the sum.
      const [total] = await store.cacheSavings({ dimensions: [] });
      const known = hits.map((h) => cost.get(h.source_ref!.slice('cache:'.length)));
      expect(total).toEqual({
        dims: {},
        hits: hits.length,
        saved_usd: known.reduce<bigint>((s, c) => s + (c ?? 0n), 0n),
        unpriced: known.filter((c) => c === null || c === undefined).length,
      });
      expect(total!.unpriced).toBeGreaterThan(1);
    });

    it('reads the same numbers from the rollup as from raw events', async () => {
      const events = randomEvents(2500, 5);
      await store.append(events.slice(0, 1200));
      await store.append(events.slice(1200));
      const errorTypes = [null, ...new Set(events.map((e) => e.error_type).filter((x) => x !== null))];
      // error_type is not a rollup dimension, so this filter (which keeps every event) forces the raw path.
      const everything = { dimension: 'error_type' as const, values: errorTypes };
      const queries: Query[] = [
        { dimensions: ['team', 'model'], bucket: 'day' },
        { dimensions: ['user'], since: T0 + 7 * HOUR + 17, until: T0 + 8 * DAY + 5 * HOUR, bucket: 'week' },
        {
          dimensions: ['cost_source', 'status'],
          filters: [{ dimension: 'project', values: ['p1', 'p3'] }],
          top: 2,
        },
        { dimensions: ['project', 'user'], since: T0 + 7 * HOUR + 17, top: 2, rankByFirst: true },
      ];
      for (const q of queries) {
        const rolled = await store.query(q);
        const raw = await store.query({ ...q, filters: [...(q.filters ?? []), everything] });
        expect(rolled).toEqual(raw);
        expect(rolled.rows.length).toBeGreaterThan(1);
      }
    });

    it('counts unpriced events and tokens, never as $0 spend', async () => {
      const priced = Array.from({ length: 10 }, (_, i) => makeEvent(i));
      const unpriced = Array.from({ length: 4 }, (_, i) =>
        makeEvent(100 + i, { rates: null, model: 'mystery' }),
      );
      await store.append([...priced, ...unpriced]);
      const r = await store.query({ dimensions: ['model'] });
      expect(r.unpriced).toEqual({ events: 4, tokens: unpriced.reduce((s, e) => s + totalTokens(e), 0) });
      expect(r.rows.find((x) => x.dims.model === 'mystery')!.cost_usd).toBe(0n);
      const onlyPriced = await store.query({
        dimensions: [],
        filters: [{ dimension: 'cost_source', values: ['computed'] }],
      });
      expect(onlyPriced.unpriced).toEqual({ events: 0, tokens: 0 });
    });

    it('exports canonical JSONL and CSV that read back to the same events', async () => {
      const events = randomEvents(300, 9);
      await store.append(events);
      const dir = mkdtempSync(join(tmpdir(), 'tl-export-'));
      const jsonl = join(dir, "it's.jsonl");
      expect(await store.export({ format: 'jsonl', path: jsonl })).toEqual({ rows: 300 });
      const lines = readFileSync(jsonl, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const byId = new Map(events.map((e) => [e.event_id, e]));
      for (const rec of lines) {
        const e = byId.get(rec.event_id)!;
        expect(Object.keys(rec)).toEqual(Object.keys(rec).filter((k) => k !== 'rates'));
        expect(rec.ts).toBe(
          new Date(e.ts / 1000).toISOString().replace('Z', `${String(e.ts % 1000).padStart(3, '0')}Z`),
        );
        expect(rec.cost_usd).toBe(e.cost_usd === null ? null : formatUsd(e.cost_usd));
        expect(rec.tags).toEqual(e.tags);
        expect(rec.input_tokens).toBe(e.input_tokens);
        expect(rec.web_search_requests).toBe(e.web_search_requests);
      }
      expect(Object.keys(lines[0]).slice(0, 5)).toEqual([
        'event_id',
        'source',
        'source_ref',
        'ingested_at',
        'ts',
      ]);
      const since = T0 + 2 * DAY;
      const csv = join(dir, 'out.csv');
      const { rows } = await store.export({ format: 'csv', path: csv, since });
      expect(rows).toBe(events.filter((e) => e.ts >= since).length);
      const header = readFileSync(csv, 'utf8').split('\n')[0]!.split(',');
      expect(header).toContain('tag.repo');
      expect(header).not.toContain('tags');
      expect(header.indexOf('tag.repo')).toBe(header.indexOf('api_key_id') + 1);
      const parquet = join(dir, 'out.parquet');
      expect(await store.export({ format: 'parquet', path: parquet, until: since })).toEqual({
        rows: events.filter((e) => e.ts < since).length,
      });
    });

    it('reprices selected events, keeps an audit of changed ones, and reports as-billed cost', async () => {
      const a = Array.from({ length: 30 }, (_, i) => makeEvent(i));
      const b = Array.from({ length: 10 }, (_, i) =>
        makeEvent(100 + i, { model: 'gpt-5', rates: CARDS.gpt }),
      );
      await store.append([...a, ...b]);
      const before = (await store.query({ dimensions: [] })).totals.cost_usd;
      const since = a[10]!.ts;
      const now = T0 + 50 * DAY;
      const summary = await store.reprice(
        { since, model: 'claude-sonnet-4-5' },
        {
          version: 'test@2',
          price: (e) => {
            if (e.event_id === a[12]!.event_id) return e; // unchanged: no audit row
            if (e.event_id === a[13]!.event_id) {
              return {
                ...e,
                rates: null,
                cost_usd: null,
                cost_input: null,
                cost_cache_read: null,
                cost_cache_write: null,
                cost_output: null,
                cost_source: 'unpriced',
                price_version: 'test@2',
              };
            }
            return { ...e, ...costOf(e, CARDS.discounted), rates: CARDS.discounted, price_version: 'test@2' };
          },
        },
        now,
      );
      expect(summary.examined).toBe(20);
      expect(summary.changed).toBe(19);
      const changed = a.slice(10).filter((_, i) => i !== 2);
      const audit = await store.repriceAudit();
      expect(audit).toHaveLength(19);
      expect(new Set(audit.map((x) => x.event_id))).toEqual(new Set(changed.map((e) => e.event_id)));
      const one = audit.find((x) => x.event_id === a[11]!.event_id)!;
      expect(one).toEqual({
        event_id: a[11]!.event_id,
        ts: a[11]!.ts,
        repriced_at: now,
        old_price_version: 'test@1',
        new_price_version: 'test@2',
        old_cost_usd: a[11]!.cost_usd,
        new_cost_usd: costOf(a[11]!, CARDS.discounted).cost_usd,
      });
      const expected =
        a.slice(0, 10).reduce((s, e) => s + e.cost_usd!, 0n) +
        a[12]!.cost_usd! +
        changed.filter((e) => e !== a[13]).reduce((s, e) => s + costOf(e, CARDS.discounted).cost_usd, 0n) +
        b.reduce((s, e) => s + e.cost_usd!, 0n);
      const after = await store.query({ dimensions: [], billed: true });
      expect(after.totals.cost_usd).toBe(expected);
      expect(after.totals.billed_cost_usd).toBe(before);
      expect(after.unpriced.events).toBe(1);
      const raw = await store.query({
        dimensions: [],
        billed: true,
        filters: [{ dimension: 'error_type', values: [null] }],
      });
      expect(raw).toEqual(after);
      const [stored] = await store.events({
        filters: [{ dimension: 'price_version', values: ['test@2'] }],
        limit: 1,
      });
      expect(stored!.rates).toEqual(CARDS.discounted);
      // A second reprice keeps the first as-billed cost.
      await store.reprice(
        {},
        { version: 'test@3', price: (e) => ({ ...e, price_version: 'test@3' }) },
        now + 1,
      );
      expect((await store.query({ dimensions: [], billed: true })).totals.billed_cost_usd).toBe(before);
      expect(await store.repriceAudit(5)).toHaveLength(5);
    });

    it('an event unpriced when billed stays unknown as billed after a reprice prices it, not $0 as a free call is', async () => {
      // Team a: unpriced when billed, priced by the reprice; b: priced all along; c: a real $0 call (no tokens);
      // d: unpriced, and still so after the reprice. Each on its own day, so the rollup holds them apart.
      const unpriced = {
        rates: null,
        provider: null,
        model: 'Acme/LLM-Large',
        model_requested: 'Acme/LLM-Large',
      };
      const a = makeEvent(0, { ...unpriced, team: 'a', ts: T0 + HOUR });
      const b = makeEvent(1, { team: 'b', ts: T0 + DAY + HOUR });
      const c = makeEvent(2, {
        team: 'c',
        ts: T0 + DAY + 2 * HOUR,
        input_tokens: 0,
        cache_read_tokens: 0,
        output_tokens: 0,
      });
      const d = makeEvent(3, { ...unpriced, model: 'other-llm', team: 'd', ts: T0 + 2 * DAY + HOUR });
      expect(c.cost_usd).toBe(0n);
      await store.append([a, b, c, d]);
      const billedByTeam = async () => {
        const whole = { dimensions: ['team'] as const, since: T0, until: T0 + 3 * DAY, billed: true };
        // From the rollup (whole days) and from the events (route_id is in no rollup): the same.
        const [rolled, raw] = await Promise.all([
          store.query(whole),
          store.query({ ...whole, filters: [{ dimension: 'route_id', values: [null] }] }),
        ]);
        expect(raw).toEqual(rolled);
        // London's days in January are UTC days: bucketed in its zone (the events summed by quarter hour first, the
        // billed measures only when asked), every measure is the same as the rollup's.
        for (const billed of [true, false]) {
          const days = { ...whole, billed, bucket: 'day' } as const;
          expect(await store.query({ ...days, timeZone: 'Europe/London' })).toEqual(await store.query(days));
        }
        const rows = Object.fromEntries(
          rolled.rows.map((r) => [r.dims.team, [r.cost_usd, r.billed_cost_usd, r.billed_unpriced_events]]),
        );
        return { rows, totals: [rolled.totals.billed_cost_usd, rolled.totals.billed_unpriced_events] };
      };
      expect(await billedByTeam()).toEqual({
        rows: { a: [0n, 0n, 1], b: [b.cost_usd, b.cost_usd, 0], c: [0n, 0n, 0], d: [0n, 0n, 1] },
        totals: [b.cost_usd, 2],
      });
      const priceAcme = (version: string) => ({
        version,
        price: (e: UsageEvent): UsageEvent =>
          e.model === 'Acme/LLM-Large'
            ? {
                ...e,
                ...costOf(e, CARDS.sonnet),
                rates: CARDS.sonnet,
                cost_source: 'computed',
                price_version: version,
              }
            : e,
      });
      await store.reprice({}, priceAcme('test@2'), T0 + 50 * DAY);
      const priced = costOf(a, CARDS.sonnet).cost_usd;
      // a now costs its price, but what it was billed is still unknown: no price then.
      const after = {
        rows: { a: [priced, 0n, 1], b: [b.cost_usd, b.cost_usd, 0], c: [0n, 0n, 0], d: [0n, 0n, 1] },
        totals: [b.cost_usd, 2],
      };
      expect(await billedByTeam()).toEqual(after);
      // A second reprice (a's price changes again) keeps it unknown as billed.
      await store.reprice(
        {},
        {
          version: 'test@3',
          price: (e) =>
            e.team === 'a' ? { ...e, ...costOf(e, CARDS.gpt), rates: CARDS.gpt, price_version: 'test@3' } : e,
        },
        T0 + 51 * DAY,
      );
      expect(await billedByTeam()).toEqual({
        ...after,
        rows: { ...after.rows, a: [costOf(a, CARDS.gpt).cost_usd, 0n, 1] },
      });
    });

    it('a reprice that prices events under another model stores that model and provider, so reports and the next reprice find them', async () => {
      // Unpriced under the name they came with, on two days; one priced event beside them.
      const raw = [0, 1].map((i) =>
        makeEvent(i, {
          ts: T0 + i * DAY + HOUR,
          rates: null,
          provider: null,
          model: 'Acme/LLM-Large',
          model_requested: 'Acme/LLM-Large',
        }),
      );
      const other = makeEvent(2, { ts: T0 + 2 * HOUR });
      await store.append([...raw, other]);
      // An override now names the model: it prices as `acme-llm` of provider `custom`.
      const asAcme = (rates: typeof CARDS.sonnet, version: string) => ({
        version,
        price: (e: UsageEvent): UsageEvent =>
          e.model_requested === 'Acme/LLM-Large'
            ? {
                ...e,
                ...costOf(e, rates),
                model: 'acme-llm',
                provider: 'custom',
                rates,
                cost_source: 'computed',
                price_version: version,
              }
            : e,
      });
      const now = T0 + 50 * DAY;
      expect(await store.reprice({ model: 'acme-llm' }, asAcme(CARDS.sonnet, 'test@2'), now)).toMatchObject({
        examined: 2,
        changed: 2,
      });
      const stored = (await store.events({})).filter((e) => e.model_requested === 'Acme/LLM-Large');
      expect(stored.map((e) => [e.model, e.provider])).toEqual([
        ['acme-llm', 'custom'],
        ['acme-llm', 'custom'],
      ]);
      // By model over whole days (the rollup) and from the events, as an independent sum says.
      const whole = { dimensions: ['model', 'provider'] as const, since: T0, until: T0 + 2 * DAY };
      const expected = sumBy([...stored, other], (e) => `${e.model}|${e.provider}`);
      for (const filters of [[], [{ dimension: 'route_id' as const, values: [null] }]])
        expect(rowsBy(await store.query({ ...whole, filters }), (d) => `${d.model}|${d.provider}`)).toEqual(
          expected,
        );
      // The model's next price change reaches them: `--model acme-llm` selects them by the model they now have.
      const again = await store.reprice({ model: 'acme-llm' }, asAcme(CARDS.gpt, 'test@3'), now + 1);
      expect(again).toMatchObject({ examined: 2, changed: 2 });
      expect(again.new_cost_usd).toBe(raw.reduce((s, e) => s + costOf(e, CARDS.gpt).cost_usd, 0n));
    });

    it('attribute fills agent and task_id only where null; reports by agent follow, money and tokens do not move', async () => {
      // Events without agent or task over two days, one with its source's own agent, one with a task already.
      const events = [
        ...Array.from({ length: 6 }, (_, i) => makeEvent(i, { agent: null, ts: T0 + i * HOUR })),
        makeEvent(6, { agent: null, ts: T0 + DAY + HOUR }),
        makeEvent(7, { agent: 'from-source', ts: T0 + DAY + 2 * HOUR }),
        makeEvent(8, { agent: null, task_id: 'given-task', ts: T0 + DAY + 3 * HOUR }),
        makeEvent(9, { agent: null, ts: T0 + DAY + 4 * HOUR }),
      ];
      await store.append(events);
      const before = await store.query({ dimensions: [] });
      const patch = (e: UsageEvent, agent: string | null, task: string | null) => ({
        event_id: e.event_id,
        ts: e.ts,
        agent,
        task_id: task,
      });
      const patches = [
        ...events.slice(0, 7).map((e) => patch(e, 'planner', 'run-1')),
        patch(events[7]!, 'planner', 'run-1'),
        patch(events[8]!, 'planner', 'run-2'),
        // Names no stored event (another ts), and an id no event can have: nothing happens.
        patch({ ...events[9]!, ts: events[9]!.ts + 1 }, 'planner', 'run-1'),
        { event_id: 'not-an-id', ts: T0, agent: 'x', task_id: 'y' },
      ];
      expect(await store.attribute(patches)).toEqual({ patched: 9 });
      // Idempotent: the same patches again change nothing, and a later one cannot overwrite.
      expect(await store.attribute(patches)).toEqual({ patched: 0 });
      expect(await store.attribute([patch(events[0]!, 'other', 'other')])).toEqual({ patched: 0 });
      const byId = new Map((await store.events({})).map((e) => [e.event_id, e]));
      for (const e of events.slice(0, 7))
        expect(byId.get(e.event_id)).toMatchObject({ agent: 'planner', task_id: 'run-1' });
      expect(byId.get(events[7]!.event_id)).toMatchObject({ agent: 'from-source', task_id: 'run-1' });
      expect(byId.get(events[8]!.event_id)).toMatchObject({ agent: 'planner', task_id: 'given-task' });
      expect(byId.get(events[9]!.event_id)).toMatchObject({ agent: null, task_id: null });
      // Everything but agent and task_id is as stored.
      for (const e of events) {
        const { agent: _a, task_id: _t, ...rest } = byId.get(e.event_id)!;
        const { agent: _b, task_id: _u, ...want } = e;
        expect(rest).toEqual(want);
      }
      const after = await store.query({ dimensions: [] });
      expect(after.totals).toEqual(before.totals);
      // Reports by agent over whole days read the rollup (rebuilt for the patched days), by task the events.
      const dayOf = (e: UsageEvent) => new Date(Math.floor(e.ts / DAY) * (DAY / 1000)).toISOString();
      const whole = { since: T0, until: T0 + 2 * DAY, bucket: 'day' } as const;
      const byAgent = await store.query({ dimensions: ['agent'], ...whole });
      expect(rowsBy(byAgent, (d, b) => `${d.agent}|${b}`)).toEqual(
        sumBy([...byId.values()], (e) => `${e.agent}|${dayOf(e)}`),
      );
      const byTask = await store.query({ dimensions: ['task_id'], ...whole });
      expect(rowsBy(byTask, (d, b) => `${d.task_id}|${b}`)).toEqual(
        sumBy([...byId.values()], (e) => `${e.task_id}|${dayOf(e)}`),
      );
    });

    it('buckets by the calendar of a time zone: local days (23 or 25 hours across DST), weeks, months and hours', async () => {
      const at = (iso: string, n: number) => makeEvent(n, { ts: Date.parse(iso) * 1000, team: 'web' });
      const iso = (ms: number) => new Date(ms).toISOString();
      // 23:30 UTC on 3 November is 08:30 on the 4th in Tokyo and 18:30 on the 3rd in New York.
      await store.append([at('2026-11-03T23:30:00Z', 0)]);
      const starts = async (q: Omit<Query, 'dimensions'>) =>
        (await store.query({ dimensions: [], ...q })).rows.map((r) => [r.bucket, r.events]);
      expect(await starts({ bucket: 'day', timeZone: 'Asia/Tokyo' })).toEqual([
        ['2026-11-03T15:00:00.000Z', 1],
      ]);
      expect(await starts({ bucket: 'day', timeZone: 'America/New_York' })).toEqual([
        ['2026-11-03T05:00:00.000Z', 1],
      ]);
      expect(await starts({ bucket: 'day' })).toEqual([['2026-11-03T00:00:00.000Z', 1]]);
      expect(await starts({ bucket: 'day', timeZone: 'UTC' })).toEqual([['2026-11-03T00:00:00.000Z', 1]]);

      // One event an hour over three New York days around each DST change: 24, 23, 24 and 24, 25, 24 of them.
      const hourly = (fromIso: string, hours: number, n0: number) =>
        Array.from({ length: hours }, (_, i) => at(iso(Date.parse(fromIso) + i * 3_600_000), n0 + i));
      const spring = hourly('2026-03-07T05:00:00Z', 71, 1000);
      const fall = hourly('2026-10-31T04:00:00Z', 73, 2000);
      await store.append([...spring, ...fall]);
      const ny = { bucket: 'day', timeZone: 'America/New_York' } as const;
      expect(await starts({ ...ny, until: Date.parse('2026-03-10T04:00:00Z') * 1000 })).toEqual([
        ['2026-03-07T05:00:00.000Z', 24],
        ['2026-03-08T05:00:00.000Z', 23],
        ['2026-03-09T04:00:00.000Z', 24],
      ]);
      // By team too, which over whole UTC days the daily rollup would answer: a local day is not one.
      const byTeam = await store.query({
        dimensions: ['team'],
        ...ny,
        since: Date.parse('2026-10-31T04:00:00Z') * 1000,
        until: Date.parse('2026-11-04T00:00:00Z') * 1000,
      });
      expect(byTeam.rows.map((r) => [r.bucket, r.dims.team, r.events])).toEqual([
        ['2026-10-31T04:00:00.000Z', 'web', 24],
        ['2026-11-01T04:00:00.000Z', 'web', 25],
        ['2026-11-02T05:00:00.000Z', 'web', 24],
        ['2026-11-03T05:00:00.000Z', 'web', 1],
      ]);
      expect(byTeam.totals.events).toBe(74);

      // Sunday 1 November, 22:00 in New York (Monday 03:00 UTC): the local week from Monday 26 October, the
      // local month of October, and in UTC the week from 2 November.
      const sunday = {
        since: Date.parse('2026-11-02T03:00:00Z') * 1000,
        until: Date.parse('2026-11-02T03:01:00Z') * 1000,
      };
      expect(await starts({ ...sunday, bucket: 'week', timeZone: 'America/New_York' })).toEqual([
        ['2026-10-26T04:00:00.000Z', 1],
      ]);
      expect(await starts({ ...sunday, bucket: 'week' })).toEqual([['2026-11-02T00:00:00.000Z', 1]]);
      const halloween = {
        since: Date.parse('2026-11-01T03:00:00Z') * 1000,
        until: Date.parse('2026-11-01T03:01:00Z') * 1000,
      };
      expect(await starts({ ...halloween, bucket: 'month', timeZone: 'America/New_York' })).toEqual([
        ['2026-10-01T04:00:00.000Z', 1],
      ]);
      // India is 5:30 from UTC: its hours start at half past UTC hours.
      expect(await starts({ ...sunday, bucket: 'hour', timeZone: 'Asia/Kolkata' })).toEqual([
        ['2026-11-02T02:30:00.000Z', 1],
      ]);

      // A microsecond either side of a local midnight: New York's (05:00 UTC), Kathmandu's at 5:45 from UTC
      // (18:15 UTC), and Monrovia's in 1971, when it was 44 minutes 30 seconds behind UTC (00:44:30 UTC): events
      // are summed by quarter hour before their local day is found, and an offset that is none predates 1980.
      const edges = [
        ['2026-11-04T04:59:59.999999Z', 'America/New_York'],
        ['2026-11-04T18:14:59.999999Z', 'Asia/Kathmandu'],
        ['1971-06-02T00:44:29.999999Z', 'Africa/Monrovia'],
      ] as const;
      let n = 3000;
      for (const [before, zone] of edges) {
        const us = Date.parse(before.replace('.999999', '')) * 1000 + 999_999;
        await store.append([
          makeEvent(n++, { ts: us, team: 'edge' }),
          makeEvent(n++, { ts: us + 1, team: 'edge' }),
        ]);
        const days = await store.query({
          dimensions: [],
          filters: [{ dimension: 'team', values: ['edge'] }],
          since: us - 3_600_000_000,
          until: us + 3_600_000_000,
          bucket: 'day',
          timeZone: zone,
        });
        expect(
          days.rows.map((r) => r.events),
          zone,
        ).toEqual([1, 1]);
        expect(days.rows[1]!.bucket, zone).toBe(new Date((us + 1) / 1000).toISOString());
      }

      await expect(
        store.query({ dimensions: [], bucket: 'day', timeZone: 'Mars/Olympus_Mons' }),
      ).rejects.toMatchObject({
        code: 'STORE_BAD_QUERY',
        message: expect.stringContaining('"Mars/Olympus_Mons"'),
      });
    });

    it('rejects unknown dimensions and bad events with a stable code', async () => {
      await expect(store.query({ dimensions: ['nope' as never] })).rejects.toMatchObject({
        code: 'STORE_BAD_QUERY',
      });
      await expect(store.query({ dimensions: ['model', 'team', 'model'] })).rejects.toMatchObject({
        code: 'STORE_BAD_QUERY',
        message: expect.stringContaining('dimension "model" is listed twice'),
      });
      await expect(store.append([{ ...makeEvent(1), event_id: 'xyz' }])).rejects.toMatchObject({
        code: 'STORE_BAD_EVENT',
      });
      await expect(store.append([{ ...makeEvent(1), input_tokens: -1 }])).rejects.toMatchObject({
        code: 'STORE_BAD_EVENT',
      });
      expect(await store.count()).toBe(0);
    });
  });
}

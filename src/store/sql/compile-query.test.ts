import { describe, expect, it } from 'vitest';
import { DUCKDB_DIALECT } from '../duckdb/dialect.js';
import type { Query } from '../query.js';
import { compileQuery } from './compile-query.js';
import { DAY_US, edgeRanges, planRead } from './plan.js';

const compile = (q: Query) => compileQuery(q, DUCKDB_DIALECT, planRead(q), { raw: 'raw', rollup: 'roll' });

describe('compileQuery', () => {
  it('binds filter values and tag keys as parameters, in the order they appear', () => {
    const c = compile({
      dimensions: ['tag.repo', 'team'],
      filters: [{ dimension: 'tag.env', values: ["a'b", null] }],
      top: 3,
    });
    expect(c.sql).not.toContain("a'b");
    expect(c.sql).not.toContain('repo');
    expect(c.params).toEqual(['repo', 'env', "a'b", 'env']);
    expect(c.sql.match(/\?/g)).toHaveLength(c.params.length);
  });

  it('reads whole days from the rollup and the partial days around them from raw events', () => {
    const since = 10 * DAY_US + 5;
    const until = 20 * DAY_US + 7;
    const late = 11 * DAY_US - 9;
    expect(planRead({ dimensions: ['team'], since: late, until })).toEqual({
      rollup: { from: 11 * DAY_US, to: 20 * DAY_US },
      raw: [
        { from: late, to: 11 * DAY_US },
        { from: 20 * DAY_US, to: until },
      ],
      via: 'team',
    });
    // The shorter side of a day: since 5 µs into day 10 is day 10 from the rollup minus its first 5 µs of events.
    expect(planRead({ dimensions: ['team'], since, until: 21 * DAY_US - 3 })).toEqual({
      rollup: { from: 10 * DAY_US, to: 21 * DAY_US },
      raw: [],
      minus: [
        { from: 10 * DAY_US, to: since },
        { from: 21 * DAY_US - 3, to: 21 * DAY_US },
      ],
      via: 'team',
    });
    expect(planRead({ dimensions: ['user'], since, until }).via).toBe('day');
    // Within one day, subtracting would read more events than the range holds.
    const hour = DAY_US / 24;
    expect(
      planRead({ dimensions: ['team'], since: 10 * DAY_US + 10 * hour, until: 10 * DAY_US + 14 * hour }),
    ).toEqual({ rollup: null, raw: [{ from: 10 * DAY_US + 10 * hour, to: 10 * DAY_US + 14 * hour }] });
    // …but a day less 200 µs is that day minus 200 µs of events.
    expect(
      planRead({ dimensions: ['team'], since: 10 * DAY_US + 100, until: 11 * DAY_US - 100 }).minus,
    ).toHaveLength(2);
    expect(planRead({ dimensions: ['session_id', 'agent'], since, until }).via).toBe('session');
    expect(
      planRead({ dimensions: ['session_id'], filters: [{ dimension: 'model', values: ['m'] }] }).rollup,
    ).toBeNull();
    expect(planRead({ dimensions: ['route_id'] }).rollup).toBeNull();
    expect(planRead({ dimensions: ['team'], bucket: 'hour' }).rollup).toBeNull();
    expect(planRead({ dimensions: ['team'], since: 5, until: 9 }).rollup).toBeNull();
  });

  it('reads the lighter side of each partial day, as the store weighs them', () => {
    const hour = DAY_US / 24;
    const since = 10 * DAY_US + 20 * hour;
    const until = 20 * DAY_US + 3 * hour;
    const q: Query = { dimensions: ['team'], since, until };
    expect(edgeRanges(q)).toEqual([
      { from: 10 * DAY_US, to: since },
      { from: since, to: 11 * DAY_US },
      { from: 20 * DAY_US, to: until },
      { from: until, to: 21 * DAY_US },
    ]);
    // By length: 4 hours after since, 3 hours before until.
    expect(planRead(q)).toMatchObject({ raw: [{ from: since }, { to: until }] });
    // By events: the evening after since is busy, and nothing happened after until (it is now).
    const events = (r: { from: number; to: number }) =>
      r.from === since ? 90_000 : r.from === until ? 0 : 1_000;
    expect(planRead(q, undefined, events)).toEqual({
      rollup: { from: 10 * DAY_US, to: 21 * DAY_US },
      raw: [],
      minus: [
        { from: 10 * DAY_US, to: since },
        { from: until, to: 21 * DAY_US },
      ],
      via: 'team',
    });
  });
});

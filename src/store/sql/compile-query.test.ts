import { describe, expect, it } from 'vitest';
import { DUCKDB_DIALECT } from '../duckdb/dialect.js';
import type { Query } from '../query.js';
import { compileQuery } from './compile-query.js';
import { DAY_US, planRead } from './plan.js';

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
    expect(c.params).toEqual(['repo', 'env', "a'b", 'env', 3, 3, 3]);
    expect(c.sql.match(/\?/g)).toHaveLength(c.params.length);
  });

  it('reads whole days from the rollup and the partial days around them from raw events', () => {
    const since = 10 * DAY_US + 5;
    const until = 20 * DAY_US + 7;
    expect(planRead({ dimensions: ['team'], since, until })).toEqual({
      rollup: { from: 11 * DAY_US, to: 20 * DAY_US },
      raw: [
        { from: since, to: 11 * DAY_US },
        { from: 20 * DAY_US, to: until },
      ],
    });
    expect(planRead({ dimensions: ['session_id'] }).rollup).toBeNull();
    expect(planRead({ dimensions: ['team'], bucket: 'hour' }).rollup).toBeNull();
    expect(planRead({ dimensions: ['team'], since: 5, until: 9 }).rollup).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { parseDimensions, parsePort, parsePositiveInt, parseRange, whereFilters } from './filters.js';

describe('parseRange', () => {
  const now = Date.UTC(2026, 10, 28) * 1000;

  it('reads --since inclusive and --until exclusive', () => {
    expect(parseRange({ since: '2026-11', until: '2026-12' }, now)).toEqual({
      since: Date.UTC(2026, 10, 1) * 1000,
      until: Date.UTC(2026, 11, 1) * 1000,
    });
  });

  it("reads ccusage's compact dates as ccusage does: --until 20261130 includes that day", () => {
    // `ccusage --since 20261101 --until 20261130` is all of November; docs/ccusage-comparison.md says the same
    // flags give the same range here, so the last day must not be dropped.
    expect(parseRange({ since: '20261101', until: '20261130' }, now)).toEqual({
      since: Date.UTC(2026, 10, 1) * 1000,
      until: Date.UTC(2026, 11, 1) * 1000,
    });
    expect(parseRange({ since: '20261127', until: '20261127' }, now)).toEqual({
      since: Date.UTC(2026, 10, 27) * 1000,
      until: Date.UTC(2026, 10, 28) * 1000,
    });
    // A dashed date keeps the documented exclusive --until.
    expect(parseRange({ until: '2026-11-30' }, now)).toEqual({ until: Date.UTC(2026, 10, 30) * 1000 });
  });

  it('rejects a --since that is not before --until, which could only print an empty report', () => {
    // Swapped bounds read as no spend at all.
    expect(() => parseRange({ since: '2026-12', until: '2026-11' }, now)).toThrow(
      /--since "2026-12" is not before --until "2026-11"/,
    );
    expect(() => parseRange({ since: '2026-11-01', until: '2026-11' }, now)).toThrow(/is not before/);
  });

  // The store refused such a bound with "since must be integer epoch microseconds", naming no option and no date.
  it('rejects a time after 2200, as the API does, naming the option and the value given', () => {
    expect(() => parseRange({ since: '2300-01-01' }, now)).toThrow(
      /--since "2300-01-01" is after 2200, outside the times the ledger holds/,
    );
    expect(() => parseRange({ until: '99999999999999' }, now)).toThrow(
      /--until "99999999999999" is after 2200/,
    );
    expect(parseRange({ until: '2199-12-31' }, now)).toEqual({ until: Date.UTC(2199, 11, 31) * 1000 });
  });

  // The store refused a --since before 0001 with "since must be integer epoch microseconds"; an --until before 1970
  // printed an empty report as if there had been no spend.
  it("starts a --since before 1970 at the ledger's first time, and refuses an --until before 1970", () => {
    for (const since of ['1960-01-01', '0099-01-01', '-99999999999999'])
      expect(parseRange({ since }, now), since).toEqual({ since: 0 });
    expect(() => parseRange({ until: '1969-12-31' }, now)).toThrow(
      /--until "1969-12-31" is before 1970, outside the times the ledger holds/,
    );
    expect(parseRange({ since: '1970-01-01', until: '1970-01-02' }, now)).toEqual({
      since: 0,
      until: 86_400_000_000,
    });
  });
});

describe('dimensions', () => {
  it('takes `key` for the virtual key, as a budget scope writes it, and names it api_key_id', async () => {
    expect(parseDimensions('team,key')).toEqual(['team', 'api_key_id']);
    expect(await whereFilters({ where: ['key=vk_d7fcc7638c83', 'key=vk_0a1b2c3d4e5f'] })).toEqual([
      { dimension: 'api_key_id', values: ['vk_d7fcc7638c83', 'vk_0a1b2c3d4e5f'] },
    ]);
  });

  it('refuses a name that is no dimension, listing those there are', () => {
    expect(() => parseDimensions('team,keys')).toThrow(
      /unknown dimension "keys": use one of org, team, .*api_key_id/,
    );
    // An alias lookup on a plain object found these on its prototype and named a function's source instead.
    for (const name of ['constructor', 'toString', '__proto__'])
      expect(() => parseDimensions(name), name).toThrow(`unknown dimension "${name}": use one of`);
  });
});

describe('parsePositiveInt', () => {
  it('takes a whole number above 0, and refuses one too large to be exact rather than failing in SQL', () => {
    expect(parsePositiveInt('limit', '20')).toBe(20);
    expect(parsePositiveInt('limit', undefined)).toBeUndefined();
    for (const bad of ['0', '-1', '1.5', 'ten', '99999999999999999999'])
      expect(() => parsePositiveInt('limit', bad), bad).toThrow(/--limit .*expected a whole number from 1/);
  });
});

describe('parsePort', () => {
  it('takes a port in decimal digits only, not what Number() also reads', () => {
    expect(parsePort('8787')).toBe(8787);
    expect(parsePort('0')).toBe(0);
    expect(parsePort(undefined)).toBeUndefined();
    // 0x1f90 and 8e3 were ports 8080 and 8000; an empty value was 0, any free port.
    for (const bad of ['0x1f90', '8e3', '', ' 80', '80.0', '+80', '65536', '-1', '999999'])
      expect(() => parsePort(bad), bad).toThrow(
        `--port ${JSON.stringify(bad)}: expected a port number 0-65535`,
      );
  });
});

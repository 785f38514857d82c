import { describe, expect, it } from 'vitest';
import { ledgerPath, ledgerUrl } from './context.js';

describe('where the ledger is', () => {
  it('is a DuckDB file by default, from --db, or from TOKENLEDGER_DB', () => {
    expect(ledgerPath({}, {}, '/w')).toBe('/w/.tokenledger/ledger.duckdb');
    expect(ledgerPath({ db: 'x.duckdb' }, { TOKENLEDGER_DB: '/e.duckdb' }, '/w')).toBe('/w/x.duckdb');
    expect(ledgerPath({}, { TOKENLEDGER_DB: '/e.duckdb' }, '/w')).toBe('/e.duckdb');
    expect(ledgerUrl({ db: 'x.duckdb' }, {})).toBeNull();
  });

  it('is a ClickHouse database for an http(s) URL, whose local files sit under .tokenledger/ named for it', () => {
    const url = 'https://ada:pw@ch.example.com/ledger';
    expect(ledgerUrl({ db: url }, {})).toBe(url);
    expect(ledgerUrl({}, { TOKENLEDGER_DB: 'http://127.0.0.1:8123/tl' })).toBe('http://127.0.0.1:8123/tl');
    expect(ledgerPath({ db: url }, {}, '/w')).toBe('/w/.tokenledger/clickhouse-ch.example.com-443-ledger');
    // Nothing of the password, and no path separator from an odd database name, reaches the file name.
    expect(ledgerPath({ db: 'http://h:8123/a%2Fb' }, {}, '/w')).toBe('/w/.tokenledger/clickhouse-h-8123-a_b');
  });
});

import { describe, expect, it } from 'vitest';
import { attribute } from './attribution.js';

/** A header value as Node's HTTP parser hands it over: each byte as one latin1 character. */
const asReceived = (utf8: string) => Buffer.from(utf8, 'utf8').toString('latin1');

describe('attribute', () => {
  it('reads UTF-8 header values as UTF-8 (Node gives them as latin1), and leaves latin1 ones alone', () => {
    const a = attribute(
      null,
      {
        'x-tokenledger-team': asReceived('équipe-日本'),
        'x-tokenledger-tags': asReceived('app=café,env=prod'),
        'x-tokenledger-user': 'josé',
      },
      {},
    );
    expect(a.team).toBe('équipe-日本');
    expect(a.tags).toEqual({ app: 'café', env: 'prod' });
    expect(a.user).toBe('josé');
  });

  it('refuses an attribution header sent twice with different values, which Node would join into one', () => {
    const headers = { 'x-tokenledger-team': 'payments, search' };
    const raw = ['x-tokenledger-team', 'payments', 'X-Tokenledger-Team', 'search'];
    expect(() => attribute(null, headers, {}, raw)).toThrow(
      'x-tokenledger-team: sent 2 times with different values ("payments", "search"); send it once',
    );
    // The same value twice is that team; one value with a comma in it is that value.
    expect(
      attribute(null, { 'x-tokenledger-team': 'a, a' }, {}, [
        'x-tokenledger-team',
        'a',
        'x-tokenledger-team',
        'a',
      ]).team,
    ).toBe('a');
    expect(
      attribute(null, { 'x-tokenledger-team': 'Payments, EMEA' }, {}, [
        'x-tokenledger-team',
        'Payments, EMEA',
      ]).team,
    ).toBe('Payments, EMEA');
  });
});

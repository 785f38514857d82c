import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../http/session-cookie.js';
import { fileLedgerRecords } from '../ledger-records.js';
import { Auth, MAX_SESSIONS_PER_PRINCIPAL, SESSION_TTL_MS } from './auth.js';

const withCookie = (sid: string) => ({ headers: { cookie: `${SESSION_COOKIE}=${sid}` } }) as IncomingMessage;
const ADMIN = { role: 'admin', team: null, id: 'server' } as const;
const LOGIN = { role: 'admin', team: null, id: 'login' } as const;

describe('browser sessions', () => {
  it("keep at most a bound per principal: a new one past it ends that principal's oldest, no one else's", async () => {
    const auth = new Auth('admin-secret', fileLedgerRecords('/nonexistent/ledger.duckdb').tokens);
    const live = async (sid: string) => (await auth.authenticate(withCookie(sid))) !== null;
    const first = auth.sessionFor(LOGIN);
    const second = auth.sessionFor(LOGIN);
    const other = auth.sessionFor(ADMIN);
    for (let i = 2; i < MAX_SESSIONS_PER_PRINCIPAL; i++) auth.sessionFor(LOGIN);
    expect(await live(first)).toBe(true);
    const newest = auth.sessionFor(LOGIN);
    expect(await live(first)).toBe(false);
    expect([await live(second), await live(newest), await live(other)]).toEqual([true, true, true]);
  });

  it('end after their time, and a login link works once within its own', async () => {
    let now = 0;
    const auth = new Auth('admin-secret', fileLedgerRecords('/nonexistent/ledger.duckdb').tokens, () => now);
    const sid = auth.sessionFor(ADMIN);
    const link = auth.mintLogin();
    now = SESSION_TTL_MS - 1;
    expect(await auth.authenticate(withCookie(sid))).toMatchObject({ role: 'admin' });
    expect(auth.redeemLogin(link)).toBeNull(); // 15 minutes
    now += 2;
    expect(await auth.authenticate(withCookie(sid))).toBeNull();
    const fresh = auth.mintLogin();
    const redeemed = auth.redeemLogin(fresh);
    expect(redeemed).not.toBeNull();
    expect(auth.redeemLogin(fresh)).toBeNull();
    expect(await auth.authenticate(withCookie(redeemed!))).toMatchObject({ role: 'admin', id: 'login' });
  });
});

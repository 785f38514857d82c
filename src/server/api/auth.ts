import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bearerToken } from '../../http/bearer.js';
import { SESSION_COOKIE } from '../../http/session-cookie.js';
import type { RecordSet } from '../../records/record-set.js';
import type { Principal } from './scope.js';
import { type ApiTokenRecord, hashToken } from './token-file.js';

/** A login link works once and only for a short while: it is printed to a terminal, maybe scrolled into a log. */
const LOGIN_TTL_MS = 15 * 60_000;
export const SESSION_TTL_MS = 12 * 3_600_000;
/**
 * Browser sessions one principal keeps at once; a new one past it ends that principal's oldest. Any token holder
 * may open sessions (POST /api/session), so without a bound a script doing so in a loop would grow the server's
 * memory for 12 hours; no person signs in from 100 browsers.
 */
export const MAX_SESSIONS_PER_PRINCIPAL = 100;

interface Pending {
  principal: Principal;
  expires: number;
}

/**
 * Who a request is: `Authorization: Bearer <token>` with the server's admin token or a token from
 * `tokenledger tokens create`, or the session cookie a one-time login link set. The tokens are read again when they
 * change (checked at most once a second), so tokens created or revoked while the server runs take effect at once.
 */
export class Auth {
  private tokens = new Map<string, ApiTokenRecord>();
  private signature: string | null = null;
  private checked = 0;
  private readonly logins = new Map<string, Pending>();
  private readonly sessions = new Map<string, Pending>();

  constructor(
    private readonly adminToken: string,
    private readonly tokenSet: RecordSet<ApiTokenRecord>,
    private readonly clock: () => number = Date.now,
  ) {}

  async authenticate(req: IncomingMessage): Promise<Principal | null> {
    const bearer = bearerToken(req.headers.authorization);
    if (bearer !== null) return this.byToken(bearer);
    const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (sid === null) return null;
    const s = this.sessions.get(sid);
    if (s === undefined || s.expires < this.clock() || !(await this.current(s.principal))) {
      this.sessions.delete(sid);
      return null;
    }
    return s.principal;
  }

  /** A session signed in with a `tokens create` token lasts only while that token is in the set, unrevoked. */
  private async current(p: Principal): Promise<boolean> {
    if (!p.id.startsWith('tok_')) return true;
    await this.reload();
    for (const t of this.tokens.values()) if (t.id === p.id) return t.revoked_at === null;
    return false;
  }

  private async byToken(token: string): Promise<Principal | null> {
    if (equal(token, this.adminToken)) return { role: 'admin', team: null, id: 'server' };
    await this.reload();
    const r = this.tokens.get(hashToken(token));
    if (r === undefined || r.revoked_at !== null) return null;
    return { role: r.role, team: r.role === 'admin' ? null : r.team, id: r.id };
  }

  private async reload(): Promise<void> {
    const now = this.clock();
    if (now - this.checked < 1000 && this.signature !== null) return;
    this.checked = now;
    const sig = await this.tokenSet.signature();
    if (sig === this.signature) return;
    this.tokens = new Map((await this.tokenSet.list()).map((t) => [t.hash, t]));
    this.signature = sig;
  }

  /** A one-time login token for `principal` (default: admin, for local mode); redeem at /api/login?token=…. */
  mintLogin(principal: Principal = { role: 'admin', team: null, id: 'login' }): string {
    const token = randomBytes(24).toString('base64url');
    dropExpired(this.logins, this.clock());
    this.logins.set(token, { principal, expires: this.clock() + LOGIN_TTL_MS });
    return token;
  }

  /** Consumes a login token; returns a session id for the cookie, or null when unknown, used or expired. */
  redeemLogin(token: string): string | null {
    const l = this.logins.get(token);
    this.logins.delete(token);
    if (l === undefined || l.expires < this.clock()) return null;
    return this.sessionFor(l.principal);
  }

  /** A session for a bearer principal, so a token pasted on the login page works in the browser too. */
  sessionFor(principal: Principal): string {
    const now = this.clock();
    dropExpired(this.sessions, now);
    const own = [...this.sessions].filter(([, s]) => s.principal.id === principal.id);
    const over = own.length + 1 - MAX_SESSIONS_PER_PRINCIPAL;
    for (const [sid] of own.slice(0, Math.max(0, over))) this.sessions.delete(sid);
    const sid = randomBytes(24).toString('base64url');
    this.sessions.set(sid, { principal, expires: now + SESSION_TTL_MS });
    return sid;
  }

  logout(req: IncomingMessage): void {
    const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (sid !== null) this.sessions.delete(sid);
  }

  async principalOfToken(token: string): Promise<Principal | null> {
    return this.byToken(token);
  }
}

/**
 * Forgets the entries of `m` that have expired. Every entry of a map lives equally long, so insertion order is
 * expiry order: the expired ones are at its front, and this stops at the first that is not.
 */
function dropExpired(m: Map<string, Pending>, now: number): void {
  for (const [k, v] of m) {
    if (v.expires >= now) return;
    m.delete(k);
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

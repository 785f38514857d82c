/** The dashboard talks to the same /api as every other client, with the session cookie of the login link. */
export class Unauthorized extends Error {}

export type Row = Record<string, string | number | null>;
export interface Result {
  rows: Row[];
  totals: Row;
  unpriced: { events: number; tokens: number };
}

export async function api<T>(path: string, params: URLSearchParams | null = null): Promise<T> {
  const r = await fetch(params ? `${path}?${params}` : path, { credentials: 'same-origin' });
  if (r.status === 401) throw new Unauthorized();
  const body = await r.json();
  if (!r.ok) throw new Error(body?.error?.message ?? `HTTP ${r.status}`);
  return body as T;
}

/** Sign-in form: trade a bearer token for the session cookie. */
export async function signIn(token: string): Promise<boolean> {
  const r = await fetch('/api/session', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return r.ok;
}

export async function signOut(): Promise<void> {
  await fetch('/api/logout', { method: 'POST' });
}

/** The dashboard talks to the same /api as every other client, with the session cookie of the login link. */
export class Unauthorized extends Error {}

/** An API error answer: its stable code (docs/api.md) lets a page tell "none stored" from a failure. */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

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
  if (!r.ok) throw new ApiFailure(body?.error?.message ?? `HTTP ${r.status}`, body?.error?.code ?? null);
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

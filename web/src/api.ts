/** The dashboard talks to the same /api as every other client, with the session cookie of the login link. */
export class Unauthorized extends Error {
  constructor() {
    super('your sign-in has ended: sign in again');
  }
}

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
  return answerOf<T>(await fetch(params ? `${path}?${params}` : path, { credentials: 'same-origin' }));
}

async function answerOf<T>(r: Response): Promise<T> {
  // Any call, a read or a change, whose sign-in has ended sends the app to its sign-in view (main.tsx).
  if (r.status === 401) {
    dispatchEvent(new Event('tl-unauthorized'));
    throw new Unauthorized();
  }
  const body = await r.json();
  if (!r.ok) throw new ApiFailure(body?.error?.message ?? `HTTP ${r.status}`, body?.error?.code ?? null);
  return body as T;
}

/** What to tell the user of a failed call: the API's own words when it answered. */
export function problemOf(e: unknown): string {
  return e instanceof ApiFailure ? e.message : String(e);
}

/** A change (admins): `POST` or `DELETE` with a JSON body; errors as api() throws them. */
export async function send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return answerOf<T>(
    await fetch(path, {
      method,
      credentials: 'same-origin',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    }),
  );
}

/** Sign-in form: trade a bearer token for the session cookie. */
export async function signIn(token: string): Promise<boolean> {
  const r = await fetch('/api/session', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return r.ok;
}

export async function signOut(): Promise<void> {
  await fetch('/api/logout', { method: 'POST' });
}

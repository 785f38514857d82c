import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Auth } from '../server/api/auth.js';
import { tokenFilePath } from '../server/api/token-file.js';
import { fileLedgerRecords } from '../server/ledger-records.js';
import { tokensCreate, tokensRevoke } from './tokens.js';

let dir: string;
let db: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-tokens-'));
  db = join(dir, 'ledger.duckdb');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } }) as IncomingMessage;

it('creates tokens hashed at rest that the server accepts with their role and team, until revoked', async () => {
  let printed = '';
  const token = await tokensCreate({ db, role: 'viewer', team: 'web' }, (s) => {
    printed += s;
  });
  expect(printed.trim().split('\n').at(-1)).toBe(token);
  const file = await readFile(tokenFilePath(db), 'utf8');
  expect(file).not.toContain(token);
  expect((await stat(tokenFilePath(db))).mode & 0o777).toBe(0o600);
  let t = 0;
  const auth = new Auth('admin-secret', fileLedgerRecords(db).tokens, () => (t += 2000));
  const who = await auth.authenticate(bearer(token));
  expect(who).toMatchObject({ role: 'viewer', team: 'web' });
  await tokensRevoke({ db, id: who!.id }, () => {});
  expect(await auth.authenticate(bearer(token))).toBeNull();
  expect(await auth.authenticate(bearer('admin-secret'))).toMatchObject({ role: 'admin', team: null });
  await expect(tokensCreate({ db, role: 'owner' }, () => {})).rejects.toThrow(/--role/);
  await expect(tokensCreate({ db, role: 'admin', team: 'web' }, () => {})).rejects.toThrow(/--team/);
});

it('a token given to revoke where its id belongs is never printed back, and the error says to give the id', async () => {
  const token = await tokensCreate({ db, role: 'viewer' }, () => {});
  const e = await tokensRevoke({ db, id: token }, () => {}).catch((x: unknown) => x);
  expect((e as { code: string }).code).toBe('CLI_TOKEN_NOT_FOUND');
  expect((e as Error).message).not.toContain(token);
  expect((e as Error).message).toContain(`${token.slice(0, 10)}…`);
  expect((e as Error).message).toMatch(/tok_/);
});

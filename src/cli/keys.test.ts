import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TokenledgerError } from '../errors.js';
import { newKey } from '../gateway/keys/virtual-key.js';
import { keysCreate, keysRevoke } from './keys.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-cli-keys-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('a key this ledger does not hold is named by its prefix, never printed whole', async () => {
  const db = join(dir, 'ledger.duckdb');
  await keysCreate({ db, team: 'web' }, () => {});
  // A key of another ledger (or one mistyped): revoke must not echo the secret into a terminal or a CI log.
  const { key } = newKey();
  const e = await keysRevoke({ db, id: key }, () => {}).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(TokenledgerError);
  expect((e as TokenledgerError).code).toBe('CLI_KEY_NOT_FOUND');
  expect((e as TokenledgerError).message).not.toContain(key);
  expect((e as TokenledgerError).message).toContain(`${key.slice(0, 10)}…`);
  // An id is not a secret: it is named as given.
  const byId = await keysRevoke({ db, id: 'vk_000000000000' }, () => {}).catch((x: unknown) => x);
  expect((byId as TokenledgerError).message).toContain('"vk_000000000000"');
});

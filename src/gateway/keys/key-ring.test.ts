import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileRecordSet } from '../../records/record-set.js';
import { KEY_RECORDS } from './key-file.js';
import { KeyRing } from './key-ring.js';
import { newKey, type VirtualKeyRecord } from './virtual-key.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-key-ring-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(k: ReturnType<typeof newKey>, revoked: boolean): VirtualKeyRecord {
  return {
    id: k.id,
    hash: k.hash,
    prefix: k.key.slice(0, 8),
    org: null,
    team: 'web',
    user: null,
    project: null,
    agent: null,
    budget_usd: null,
    store_content: false,
    created_at: '2026-01-05T00:00:00.000Z',
    revoked_at: revoked ? '2026-01-05T00:00:01.000Z' : null,
  };
}

it('a key revoked within the same file-system clock tick as the write the server last read is refused', async () => {
  const path = join(dir, 'ledger.keys.json');
  const k = newKey();
  // Both writes land on the same mtime: file mtimes move in coarse ticks (a few ms on Linux), so `keys revoke` run
  // right after the write the server last read can leave the very mtime it saw. utimes pins that case, which
  // otherwise happens only some of the time.
  const tick = new Date('2026-01-05T00:00:00Z');
  const keys = fileRecordSet<VirtualKeyRecord>(path, KEY_RECORDS);
  await keys.put(record(k, false));
  await utimes(path, tick, tick);
  const ring = new KeyRing(keys);
  await ring.load();
  expect(await ring.lookup(k.key, Date.now() + 2000)).not.toBeNull();
  await keys.put(record(k, true));
  await utimes(path, tick, tick);
  expect(await ring.lookup(k.key, Date.now() + 4000)).toBeNull();
});

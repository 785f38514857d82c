import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runRecordSetSuite } from './record-set.case.test.js';
import { type FileRecordKind, fileRecordSet } from './record-set.js';

let dir: string;
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-record-set-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NOTES: FileRecordKind = {
  name: 'notes',
  read: ['NOTES_READ', 'notes'],
  corrupt: ['NOTES_CORRUPT', 'not a notes file'],
};

runRecordSetSuite('file', async () => {
  const path = join(dir, `set-${++files}`, 'ledger.notes.json');
  return { a: fileRecordSet(path, NOTES), b: fileRecordSet(path, NOTES), close: async () => {} };
});

it('a file set is one JSON document only its owner can read; a foreign file is named in the error', async () => {
  const path = join(dir, 'shape', 'ledger.notes.json');
  const set = fileRecordSet<{ id: string; created_at: string }>(path, NOTES);
  await set.put({ id: 'n1', created_at: '2026-12-07T10:00:00.000Z' });
  expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
    version: 1,
    notes: [{ id: 'n1', created_at: '2026-12-07T10:00:00.000Z' }],
  });
  expect((await stat(path)).mode & 0o777).toBe(0o600);
  const foreign = join(dir, 'shape', 'other.json');
  await writeFile(foreign, '{"version":2}');
  await expect(fileRecordSet(foreign, NOTES).list()).rejects.toMatchObject({
    code: 'NOTES_CORRUPT',
    message: expect.stringContaining('other.json'),
  });
});

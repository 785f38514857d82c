import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import { makeEvent } from '../store/testing/event-factory.js';
import { blocksCommand } from './blocks.js';

const MINUTE = 60_000_000;
let dir: string;
let db: string;
const blocks = async (o: { tokenLimit?: string; format?: string } = {}) => {
  let text = '';
  await blocksCommand({ db, ...o }, (s) => (text += s));
  return text;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-blocks-cli-'));
  db = join(dir, 'ledger.duckdb');
  const store = await createDuckDbStore(db);
  const now = Date.now() * 1000;
  // Two windows: one a day ago, and one open now (its first call 2h20m ago, its last 20 minutes ago).
  await store.append([
    makeEvent(1, { ts: now - 26 * 60 * MINUTE, user: null }),
    ...[140, 60, 20].map((ago, i) => makeEvent(2 + i, { ts: now - ago * MINUTE, user: null })),
  ]);
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tokenledger blocks', () => {
  it("shows each window against the largest, and the open one's time left, pace and projection", async () => {
    const table = await blocks();
    expect(table).toMatch(
      /^agent +window start \(UTC\) +status +calls +tokens +% of largest +cost +models\n/,
    );
    expect(table).toMatch(/\nclaude-code +\d{4}-\d\d-\d\d \d\d:00 +\d+m +1 +21,301 +33\.\d% +\$\d/);
    expect(table).toMatch(
      /\nclaude-code +\d{4}-\d\d-\d\d \d\d:00 +active, [1-4]h \d+m left +3 +63,909 +100\.0% /,
    );
    expect(table).toMatch(
      /\nclaude-code: 533 tokens a minute, \$[\d.]+ an hour since the window's first call; at that /,
    );
  });

  it('measures each window, and the projection, against --token-limit, and says when the pace goes over it', async () => {
    const table = await blocks({ tokenLimit: '100000' });
    expect(table).toMatch(/ +% of 100,000 +/);
    expect(table).toMatch(/ 63,909 +63\.9% /);
    expect(table).toMatch(/-token limit, over it\n/);
    // max: the largest window before the last, here the one of a day ago.
    const json = JSON.parse(await blocks({ tokenLimit: 'max', format: 'json' }));
    expect(json.token_limit).toBe(21_301);
    expect(json.blocks.map((b: { active: boolean; calls: number }) => [b.active, b.calls])).toEqual([
      [false, 1],
      [true, 3],
    ]);
    await expect(blocks({ tokenLimit: '1e6' })).rejects.toMatchObject({
      code: 'CLI_BAD_OPTION',
      message: expect.stringMatching(/--token-limit "1e6"/),
    });
  });
});

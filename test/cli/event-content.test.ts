/**
 * `tokenledger events --content ID --ts TS`: the stored prompt and completion of one gateway call, on the ledger file
 * (through a running server: read-through-server.test.ts). An admin finds the call in the list, then reads its text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContent } from '../../src/ledger/call-content.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { makeEvent, T0 } from '../../src/store/testing/event-factory.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let db: string;
// One call µs after a whole second, so only an exact time finds it; one call of the same ledger without text.
const kept = makeEvent(1, { ts: T0 + 1_234_567, source: 'gateway' });
const bare = makeEvent(2, { ts: T0 + 2_000_000, source: 'gateway' });
const text: CallContent = {
  event_id: kept.event_id,
  ts: kept.ts,
  request: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Grüße, <b>x</b>"}]}',
  completion: 'Hallo!\nZweite Zeile',
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-content-cli-'));
  db = join(dir, 'ledger.duckdb');
  const store = await createDuckDbStore(db);
  await store.append([kept, bare]);
  await store.storeContent([text]);
  await store.close();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const content = (...args: string[]) => runCli(['events', '--db', db, ...args]);

describe('events --content', () => {
  it('prints the request and completion as stored, for the id and ts the list gives', async () => {
    const list = await content('--format', 'json');
    const listed = (JSON.parse(list.stdout) as { event_id: string; ts: string }[]).find(
      (e) => e.event_id === kept.event_id,
    )!;
    expect(listed.ts).toBe('2026-01-05T00:00:01.234567Z');
    const r = await content('--content', listed.event_id, '--ts', listed.ts);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `event ${kept.event_id} at 2026-01-05T00:00:01.234567Z\n\n` +
        `request:\n${text.request}\n\ncompletion:\n${text.completion}\n`,
    );
  });

  it('as JSON, in the shape the API answers, addressed by ts_us too', async () => {
    const r = await content('--content', kept.event_id, '--ts', String(kept.ts), '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      event_id: kept.event_id,
      ts_us: kept.ts,
      request: text.request,
      completion: text.completion,
    });
  });

  it('says when a call has no stored text, and why text is kept for some calls only', async () => {
    for (const [id, ts] of [
      [bare.event_id, String(bare.ts)],
      // The right id a second off: another event.
      [kept.event_id, '2026-01-05T00:00:00.234567Z'],
    ] as const) {
      const r = await content('--content', id, '--ts', ts);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(
          `^error CLI_CONTENT_NOT_FOUND: no prompt or completion stored for event ${id} at 2026-01-05T`,
        ),
      );
      expect(r.stderr).toContain('created with `tokenledger keys create --store-content`');
    }
  });

  it('refuses an address it cannot read, and options that belong to the list', async () => {
    const cases: [string[], RegExp][] = [
      [['--content', 'zz', '--ts', String(kept.ts)], /--content "zz": expected an event id, 16 hex digits/],
      [['--content', kept.event_id], /--content needs --ts/],
      [['--content', kept.event_id, '--ts', 'soon'], /--ts "soon": expected the event time/],
      [['--content', kept.event_id, '--ts', String(kept.ts), '--format', 'csv'], /use table or json/],
      [['--ts', String(kept.ts)], /--ts goes with --content/],
    ];
    for (const [args, message] of cases) {
      const r = await content(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^error CLI_BAD_OPTION: /);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const mixed = await content('--content', kept.event_id, '--ts', String(kept.ts), '--since', '30d');
    expect(mixed.code).not.toBe(0);
    expect(mixed.stderr).toContain(
      "option '--content <event_id>' cannot be used with option '--since <when>'",
    );
    const zoned = await content('--content', kept.event_id, '--ts', String(kept.ts), '--tz', 'Asia/Tokyo');
    expect(zoned.stderr).toContain("option '--content <event_id>' cannot be used with option '--tz <zone>'");
  });

  it('--purge-content deletes the text of the calls a filter chooses, and only theirs; it needs a choice', async () => {
    const path = join(dir, 'purge.duckdb');
    const store = await createDuckDbStore(path);
    const [ada, bo] = [makeEvent(10, { ts: T0, user: 'ada' }), makeEvent(11, { ts: T0 + 1, user: 'bo' })];
    await store.append([ada, bo]);
    await store.storeContent([ada, bo].map((e) => ({ ...text, event_id: e.event_id, ts: e.ts })));
    await store.close();
    const run = (...args: string[]) => runCli(['events', '--db', path, ...args]);

    const none = await run('--purge-content');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error CLI_BAD_OPTION: --purge-content needs --where, --since or --until/);
    const r = await run('--purge-content', '--where', 'user=ada');
    expect([r.code, r.stderr, r.stdout]).toEqual([
      0,
      '',
      'deleted the prompt and completion text of 1 call; their events and costs stay\n',
    ]);
    expect((await run('--content', ada.event_id, '--ts', String(ada.ts))).stderr).toMatch(
      /CLI_CONTENT_NOT_FOUND/,
    );
    expect((await run('--content', bo.event_id, '--ts', String(bo.ts))).code).toBe(0);
    expect(JSON.parse((await run('--format', 'json')).stdout)).toHaveLength(2);
    const mixed = await run('--purge-content', '--where', 'user=bo', '--limit', '1');
    expect(mixed.stderr).toContain("option '--purge-content' cannot be used with option '--limit <n>'");
  });
});

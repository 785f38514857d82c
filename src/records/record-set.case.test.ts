/**
 * The suite every RecordSet runs: records/record-set.test.ts (files) and store/clickhouse/clickhouse-record-set.test.ts
 * call it. `open` gives two handles on one new, empty set, as two processes (a server and a command) hold it.
 */
import { describe, expect, it } from 'vitest';
import type { RecordSet, SetRecord } from './record-set.js';

interface Note extends SetRecord {
  text: string;
  revoked_at: string | null;
}

export interface TwoHandles {
  a: RecordSet<Note>;
  b: RecordSet<Note>;
  close(): Promise<void>;
}

const note = (id: string, minute: number, text = id): Note => ({
  id,
  created_at: `2026-12-07T10:${String(minute).padStart(2, '0')}:00.000Z`,
  text,
  revoked_at: null,
});

export function runRecordSetSuite(name: string, open: () => Promise<TwoHandles>): void {
  async function withSet(use: (s: TwoHandles) => Promise<void>): Promise<void> {
    const s = await open();
    try {
      await use(s);
    } finally {
      await s.close();
    }
  }

  describe(`RecordSet conformance: ${name}`, () => {
    it('an empty set lists nothing, and its signature holds still while nothing changes', () =>
      withSet(async ({ a, b }) => {
        expect(await a.list()).toEqual([]);
        expect(await a.signature()).toBe(await b.signature());
        expect(await a.signature()).toBe(await a.signature());
      }));

    it('lists what either handle put, oldest first, deep-equal to what was put', () =>
      withSet(async ({ a, b }) => {
        await a.put(note('n1', 1));
        await b.put(note('n2', 2, 'with "quotes", commas and ünïcode'));
        await a.put(note('n3', 3));
        expect(await b.list()).toEqual([
          note('n1', 1),
          note('n2', 2, 'with "quotes", commas and ünïcode'),
          note('n3', 3),
        ]);
        expect(await a.list()).toEqual(await b.list());
      }));

    it('a put of a known id replaces that record alone, where it was', () =>
      withSet(async ({ a, b }) => {
        for (const [id, minute] of [
          ['n1', 1],
          ['n2', 2],
          ['n3', 3],
        ] as const)
          await a.put(note(id, minute));
        await b.put({ ...note('n2', 2), revoked_at: '2026-12-07T11:00:00.000Z' });
        expect(await a.list()).toEqual([
          note('n1', 1),
          { ...note('n2', 2), revoked_at: '2026-12-07T11:00:00.000Z' },
          note('n3', 3),
        ]);
      }));

    it('remove takes out one record; removing one that is not there changes nothing', () =>
      withSet(async ({ a, b }) => {
        await a.put(note('n1', 1));
        await a.put(note('n2', 2));
        await b.remove('n1');
        await b.remove('missing');
        expect(await a.list()).toEqual([note('n2', 2)]);
      }));

    it("every change moves the signature both handles read, so a server's next check reloads", () =>
      withSet(async ({ a, b }) => {
        const seen = [await b.signature()];
        await a.put(note('n1', 1));
        seen.push(await b.signature());
        await a.put({ ...note('n1', 1), text: 'changed' });
        seen.push(await b.signature());
        await a.remove('n1');
        seen.push(await b.signature());
        expect(new Set(seen).size).toBe(4);
        expect(await a.signature()).toBe(seen[3]);
      }));
  });
}

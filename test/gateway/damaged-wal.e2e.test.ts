import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../src/ledger/wal/codec.js';
import { DAMAGED_FILE } from '../../src/ledger/wal/wal.js';
import { loadPricer } from '../../src/pricing/load.js';
import { unpricedEvent } from '../../src/pricing/unpriced-event.js';
import { startServer, walDir } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-damaged-wal-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a write-ahead log with a damaged record, replayed at start-up', () => {
  it('stores the records that read, and says how many could not be read and where they are kept', async () => {
    const pricer = await loadPricer({ cwd: dir, env: {} });
    const event = (i: number) =>
      pricer.price(
        unpricedEvent({
          event_id: `e${i}`.padStart(16, '0'),
          source: 'gateway',
          model: 'gpt-4o',
          input_tokens: 100,
          output_tokens: 10,
        }),
      );
    // Three acknowledged calls, as a crashed server left them; a bit of the middle one's line flipped on disk.
    const [a, b, c] = [0, 1, 2].map((i) => encodeRecord(event(i)));
    b![30]! ^= 0x01;
    const ledger = join(dir, 'ledger.duckdb');
    await mkdir(walDir(ledger), { recursive: true });
    await writeFile(join(walDir(ledger), 'seg-0000000000000001.wal'), Buffer.concat([a!, b!, c!]));

    const logs: string[] = [];
    const server = await startServer({
      ledgerPath: ledger,
      configPath: null,
      port: 0,
      upstream: [],
      cwd: dir,
      env: {},
      openStore: (p) => createDuckDbStore(p),
      log: (l) => logs.push(l),
    });
    try {
      expect((await server.store.events({ limit: 10 })).map((e) => e.event_id).sort()).toEqual(
        ['e0', 'e2'].map((id) => id.padStart(16, '0')),
      );
      const kept = join(walDir(ledger), DAMAGED_FILE);
      expect(logs).toContain(
        `error: 1 damaged line(s) of the write-ahead log could not be read (checksum or format): the calls in them are not in the ledger; kept in ${kept}`,
      );
      expect(await readFile(kept, 'utf8')).toContain(b!.subarray(0, b!.length - 1).toString('utf8'));
    } finally {
      await server.close();
    }
  });
});

import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listSegments } from '../../src/ledger/wal/segment-files.js';
import type { Wal } from '../../src/ledger/wal/wal.js';
import { ingestJournalPath } from '../../src/server/otlp/ingest-journal.js';
import { type RunningServer, startServer, walDir } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { freePort } from '../helpers/free-port.js';
import { cumulativeInputExport } from '../helpers/otlp-cumulative.js';
import { tokens } from './harness.js';

// The receiver's state file and the write-ahead log are two files: a kill of `serve` can fall between the writes
// that an export of a cumulative counter makes to each. Its sender got no answer and may send it again or drop it
// (OpenTelemetry exporters give up after a few retries); either way the ledger must hold the series' use once.
//
// A SIGKILL leaves on disk what the process had written (the page cache survives it). The crash is taken here at an
// exact point: the state file and the log's segments are copied as they are at that instant, the server is stopped,
// and the copies are put back before the next start, which then finds what a kill at that instant leaves. The
// ledger itself needs no copy: the stopped server stored what the log held, which is what the replay would store.
describe('a kill of serve between the state file and the write-ahead log', () => {
  let dir: string;
  let ledgerPath: string;
  let otlpPort: number;
  let running: RunningServer | null = null;
  const start = async () => {
    running = await startServer({
      ledgerPath,
      configPath: null,
      cwd: dir,
      env: {},
      port: 0,
      otlpPort,
      openStore: (p) => createDuckDbStore(p),
      log: () => {},
    });
    return running;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-otlp-crash-'));
    ledgerPath = join(dir, 'ledger.duckdb');
    otlpPort = await freePort();
  });
  afterEach(async () => {
    await running?.close();
    running = null;
    await rm(dir, { recursive: true, force: true });
  });

  let begun = 0;
  const point = (n: number, value: number) => cumulativeInputExport(begun, n, value);
  const send = async (n: number, value: number) =>
    (
      await fetch(`http://127.0.0.1:${otlpPort}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: point(n, value),
      })
    ).status;

  /**
   * Makes the server's next log append the kill: `when` the disk is copied, before the append or after it. The
   * export then gets no 200 (a 503 stands in for the answer the killed server never sent).
   */
  const killAtNextAppend = (wal: Wal, when: 'before' | 'after', snapshot: string) => {
    const append = wal.appendEncoded.bind(wal);
    let armed = true;
    const copy = async () => {
      await cp(ingestJournalPath(ledgerPath), join(snapshot, 'state'));
      await cp(walDir(ledgerPath), join(snapshot, 'wal'), { recursive: true });
    };
    wal.appendEncoded = async (records, count, kept, stateCopied) => {
      if (!armed) return append(records, count, kept, stateCopied);
      armed = false;
      if (when === 'before') {
        await copy();
        throw new Error('killed');
      }
      await append(records, count, kept, stateCopied);
      await copy();
      throw new Error('killed');
    };
  };
  /**
   * Makes the kill fall inside the server's next log write: the disk is copied as it was before it, and the copy's
   * log then gets the write cut inside its last line (a kill -9 can cut a large write short at a page boundary).
   */
  const killInsideNextAppend = (wal: Wal, snapshot: string) => {
    const append = wal.appendEncoded.bind(wal);
    let armed = true;
    wal.appendEncoded = async (records, count, kept, stateCopied) => {
      if (!armed) return append(records, count, kept, stateCopied);
      armed = false;
      await cp(ingestJournalPath(ledgerPath), join(snapshot, 'state'));
      await cp(walDir(ledgerPath), join(snapshot, 'wal'), { recursive: true });
      const last = records.lastIndexOf(0x0a, records.length - 2) + 1;
      const written = records.subarray(0, last + Math.floor((records.length - last) / 2));
      for (const seg of await listSegments(join(snapshot, 'wal'))) {
        const bytes = await readFile(seg.path);
        const end = bytes.indexOf(0);
        if (end <= 0) continue; // a segment preallocated for later: all zeros
        bytes.set(written, end);
        await writeFile(seg.path, bytes);
      }
      throw new Error('killed');
    };
  };
  /** Stops the server and puts back the disk as the kill left it. */
  const restartFrom = async (snapshot: string) => {
    await running!.close();
    running = null;
    await rm(walDir(ledgerPath), { recursive: true, force: true });
    await cp(join(snapshot, 'state'), ingestJournalPath(ledgerPath));
    await cp(join(snapshot, 'wal'), walDir(ledgerPath), { recursive: true });
    return start();
  };
  const ledgerInput = async () => {
    await running!.wal.drain();
    return tokens(await running!.store.events({ limit: 1000 })).input;
  };

  const kills = {
    before: (wal: Wal, snapshot: string) => killAtNextAppend(wal, 'before', snapshot),
    after: (wal: Wal, snapshot: string) => killAtNextAppend(wal, 'after', snapshot),
    inside: (wal: Wal, snapshot: string) => killInsideNextAppend(wal, snapshot),
  };
  it.each([
    ['before', 'drops it'],
    ['before', 'sends it again'],
    ['after', 'drops it'],
    ['after', 'sends it again'],
    ['inside', 'drops it'],
    ['inside', 'sends it again'],
  ] as const)(
    'counts the window of a point killed %s its log write once, when its sender %s',
    async (when, sender) => {
      const r = await start();
      begun = Date.now();
      expect(await send(1, 100)).toBe(200);
      const snapshot = join(dir, 'snapshot');
      kills[when](r.wal, snapshot);
      expect(await send(2, 250)).toBe(503);

      await restartFrom(snapshot);
      // A sender that drops point 2 leaves point 3 to carry its window and its own.
      if (sender === 'sends it again') expect(await send(2, 250)).toBe(200);
      expect(await send(3, 400)).toBe(200);
      expect(await ledgerInput()).toBe(400);
    },
  );
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/event-factory.js';
import { freshLedgerPath, sql } from '../testing/ledger-file.js';
import { createDuckDbStore } from './duckdb-store.js';
import { openLedger } from './open.js';

const freshPath = () => freshLedgerPath('tl-open-');

describe('opening a ledger file', () => {
  it('stores tables in row groups of 491,520 rows, in storage version 1.2', async () => {
    const path = freshPath();
    const { session } = await openLedger(path);
    await session.run('test', 'CREATE TABLE numbers AS SELECT range AS i FROM range(600000)');
    await session.run('test', 'CHECKPOINT');
    const groups = await session.rows(
      'test',
      `SELECT row_group_id, sum(count)::INTEGER FROM pragma_storage_info('numbers')
       WHERE segment_type <> 'VALIDITY' GROUP BY ALL ORDER BY 1`,
    );
    expect(groups).toEqual([
      [0n, 491520],
      [1n, 108480],
    ]);
    await session.close();
    // The version is in the file: DuckDB opening it on its own sees it.
    const version = await sql(
      path,
      `SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = current_database()`,
    );
    expect(version).toEqual([['v1.2.0+']]);
  });

  it('keeps a long-running ledger small: freed memory handed back, a checkpoint every 16 MiB of log', async () => {
    const settings = async (o: { longRunning?: boolean }) => {
      const { session } = await openLedger(freshPath(), o);
      const rows = await session.rows(
        'test',
        "SELECT current_setting('allocator_background_threads'), current_setting('wal_autocheckpoint')",
      );
      await session.close();
      return rows[0];
    };
    expect(await settings({ longRunning: true })).toEqual([true, '16.0 MiB']);
    expect(await settings({})).toEqual([false, '244.1 MiB']); // 256MB: DuckDB's MB is 10^6 bytes
  });

  it('runs as many DuckDB threads as the cores the process may use, not as the machine has', () => {
    // DuckDB's own default counts the machine's cores: a process pinned to one (taskset, a container's cpuset) ran two
    // threads on it, whose commits cost ~1.5-2 µs an event more (bench/HISTORY.md, Gateway, "Thirty-seventh session").
    const script = `
      import { openLedger } from ${JSON.stringify(join(import.meta.dirname, 'open.ts'))};
      for (const o of [{}, { threads: 3 }]) {
        const { session } = await openLedger(':memory:', o);
        const [[threads]] = await session.rows('test', "SELECT current_setting('threads')");
        console.log(String(threads));
        await session.close();
      }`;
    const file = join(mkdtempSync(join(tmpdir(), 'tl-threads-')), 'threads.mjs');
    writeFileSync(file, script);
    const r = spawnSync('taskset', ['-c', '0', process.execPath, '--import', 'tsx', file], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['1', '3']);
  });

  it('opens a file DuckDB wrote with its defaults, keeps its rows and gives every connection the ledger', async () => {
    const path = freshPath();
    const db = await DuckDBInstance.create(path);
    const c = await db.connect();
    await c.run('CREATE TABLE earlier AS SELECT range AS i FROM range(10)');
    c.closeSync();
    db.closeSync();

    const { session } = await openLedger(path);
    expect(await session.rows('test', 'SELECT sum(i) FROM earlier')).toEqual([[45n]]);
    const other = await session.connect();
    expect((await other.runAndReadAll('SELECT count(*) FROM earlier')).getRows()).toEqual([[10n]]);
    other.closeSync();
    await session.close();
  });

  it('spills queries past its memory limit into a folder beside the ledger, not the working directory', async () => {
    const path = freshPath();
    const { session } = await openLedger(path, { memoryLimit: '16MB' });
    const [[dir]] = (await session.rows('test', `SELECT current_setting('temp_directory')`)) as [[string]];
    expect(dir).toBe(`${path}.tmp`);
    // A sort of ~80 MB under a 16 MB pool only completes by spilling there.
    const [[n]] = (await session.rows(
      'test',
      `SELECT count(*) FROM (SELECT hash(range) AS h, repeat('x', 8) AS pad FROM range(4000000) ORDER BY h)`,
    )) as [[bigint]];
    expect(n).toBe(4_000_000n);
    await session.close();
  });

  it('opens a ledger whose path has a quote in it (the path is a literal in ATTACH)', async () => {
    const path = freshLedgerPath("tl-o'pen-");
    const store = await createDuckDbStore(path);
    await store.append([makeEvent(1)]);
    await store.close();
    expect(await sql(path, 'SELECT count(*) FROM events')).toEqual([[1n]]);
  });

  it('reads what the store wrote through its pooled read connections', async () => {
    const path = freshPath();
    const store = await createDuckDbStore(path);
    await store.append([makeEvent(1), makeEvent(2)]);
    const r = await store.query({ dimensions: [] });
    expect(r.totals.events).toBe(2);
    await store.close();
  });
});

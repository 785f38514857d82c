import { mkdirSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import type { RateCard } from '../../ledger/event.js';
import { storeError } from '../errors.js';
import { RATE_NAMES } from './cost-sql.js';
import { duckdb } from './duckdb-api.js';
import {
  migrateAddedColumns,
  migrateRollupExtra,
  migrateSessionRollup,
  migrateSessionSplit,
  migrateToContexts,
} from './migrate.js';
import { RateCardRegistry } from './rate-cards.js';
import { connectionSchemaSql, fileSchemaHash, SCHEMA_VERSION, schemaSql } from './schema.js';
import { DuckDbSession } from './session.js';

/** The name the ledger file is attached under; every connection of the store `USE`s it. */
const LEDGER_CATALOG = 'ledger_db';

/**
 * How a ledger file is stored (docs/store.md, "Designed for size"). Row groups of 491,520 rows (4x DuckDB's default)
 * took the 10M-event demo from 1,255 to 1,186 blocks of 256 KiB: an uncompressed event_id segment no longer ends a
 * fourth full in every row group, and bit-packed columns cross fewer segment ends. DuckDB allows row groups above
 * 122,880 only from storage version 1.2.0, which DuckDB releases before 1.2 cannot read; an older ledger attached
 * this way is written in that version from its next checkpoint on.
 */
export const ROW_GROUP_ROWS = 491_520;
/** DuckDB's log size that checkpoints a long-running process's ledger (DuckDbOptions.longRunning): ~283 bytes a call. */
const SERVER_WAL_AUTOCHECKPOINT = '16MiB';
const STORAGE_OPTIONS = `(STORAGE_VERSION 'v1.2.0', ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`;

export interface DuckDbOptions {
  /** DuckDB's buffer-pool cap; keeps import RSS flat (queries spill past it). Default 256MB: at 10M events a 512MB pool alone pushed an import past 1 GB RSS. */
  memoryLimit?: string;
  /**
   * WAL size that triggers a checkpoint. DuckDB's 16MB default checkpoints after nearly every 50k-event batch,
   * rewriting the open row group each time: 2.5x slower appends and a third more bytes per event. Default 256MB.
   */
  walAutocheckpoint?: string;
  /**
   * DuckDB's threads. Default: the cores this process may run on (`availableParallelism`, which reads the CPU
   * affinity), not DuckDB's own default, the machine's cores: a server pinned to one core (taskset, a cpuset) ran
   * two threads on it, and each commit cost ~1.5-2 µs an event more (bench/HISTORY.md, Gateway, "Thirty-seventh
   * session").
   */
  threads?: number;
  /**
   * For a long-running process (`serve`), whose memory must stay flat:
   * - DuckDB's allocator hands the memory it freed back to the system from background threads, where it otherwise
   *   keeps it for reuse. A gateway at 1000 calls/s ended 8 rounds of 4 s at 194–215 MB RSS with it against 223–226
   *   without, and spent the same CPU a call (bench/HISTORY.md, Gateway, "Thirty-first session").
   * - The ledger is checkpointed every 16 MiB of DuckDB's log (~57,000 gateway calls) instead of
   *   walAutocheckpoint's 256MB: until a checkpoint DuckDB holds the appended rows in memory, ~250 bytes a call (a
   *   server at 1000 calls/s grew from 252 to 372 MB in 10 minutes; 207–239 MB since). Each checkpoint costs
   *   ~150–250 ms of CPU (~2–4 µs a call).
   * Left off for commands: their memory goes back when they exit, and a bulk import checkpointing that often appends
   * 2.5x slower (walAutocheckpoint).
   */
  longRunning?: boolean;
  /**
   * For a bulk import: appends keep no rollup rows, they only mark their days dirty (in their own transaction), and
   * those days of every rollup are rebuilt from the events in one pass at close, or before a report reads them.
   * A process that dies first leaves them dirty: the next open rebuilds them. Keeping the rollups per batch was ~a
   * quarter of a 1M-event import's time.
   */
  deferRollups?: boolean;
  /**
   * At most this many events in the span of the rollup days rebuilt together (rollup.ts REBUILD_EVENTS, the
   * default). Tests set it low to rebuild a day at a time.
   */
  rebuildEvents?: number;
  /**
   * The file must already hold a ledger (a command that reads one): a DuckDB database without one is an error, and
   * is not given the ledger's tables (a --db pointing at another database printed an empty report and wrote to it).
   */
  mustBeLedger?: boolean;
}

/** Opens (creating if missing) the ledger file and its schema; `:memory:` gives a throwaway ledger. */
export async function openLedger(
  path: string,
  o: DuckDbOptions = {},
): Promise<{ session: DuckDbSession; rates: RateCardRegistry }> {
  let instance: DuckDBInstance | undefined;
  let session: DuckDbSession;
  const memoryLimit = o.memoryLimit ?? '256MB';
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const config: Record<string, string> = { memory_limit: memoryLimit };
    config.threads = String(o.threads ?? availableParallelism());
    if (o.longRunning) config.allocator_background_threads = 'true';
    // Where queries past the memory limit spill: beside the ledger, as DuckDB does for a file it opens itself. The
    // instance is in-memory (the ledger is attached), and DuckDB's default for that is `.tmp` in the working directory.
    if (path !== ':memory:') config.temp_directory = `${path}.tmp`;
    instance = await duckdb.DuckDBInstance.create(':memory:', config);
    const conn = await instance.connect();
    if (path === ':memory:') session = new DuckDbSession(instance, conn);
    else {
      // Attached rather than opened: only ATTACH takes a row group size (the file does not keep it).
      await conn.run(`ATTACH '${path.replaceAll("'", "''")}' AS ${LEDGER_CATALOG} ${STORAGE_OPTIONS}`);
      session = new DuckDbSession(instance, conn, [`USE ${LEDGER_CATALOG}`]);
      await session.setUp(conn);
    }
  } catch (err) {
    instance?.closeSync();
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const advice = reason?.includes('not a valid DuckDB database file')
      ? 'It is not a ledger: check --db (or TOKENLEDGER_DB).'
      : 'Check the path is writable and that no other process (such as `tokenledger serve`) holds it open.';
    const stop = /[.!?]$/.test(reason ?? '') ? '' : '.';
    throw storeError('STORE_OPEN_FAILED', `cannot open the ledger ${path}: ${reason}${stop} ${advice}`, err);
  }
  await session.run('configuring DuckDB', `SET wal_autocheckpoint = ?`, [
    o.walAutocheckpoint ?? (o.longRunning ? SERVER_WAL_AUTOCHECKPOINT : '256MB'),
  ]);
  const { version, hash } = await readVersion(session);
  if (version === 0 && o.mustBeLedger && path !== ':memory:') {
    await session.close();
    throw storeError(
      'STORE_NOT_A_LEDGER',
      `${path} is a DuckDB database but holds no tokenledger ledger: check --db (or TOKENLEDGER_DB)`,
    );
  }
  if (version > SCHEMA_VERSION) {
    await session.close();
    throw storeError(
      'STORE_SCHEMA_VERSION',
      `the ledger ${path} has schema version ${version}, this tokenledger reads up to ${SCHEMA_VERSION}: upgrade tokenledger`,
    );
  }
  if (version < SCHEMA_VERSION) {
    // A migration is one transaction over every event, and a transaction's own writes do not spill: under the
    // store's pool (sized for flat memory while importing) a large ledger's migration ran out of memory. It runs once,
    // so it may use what DuckDB would by default: 80% of RAM.
    await session.run('migrating the ledger', 'SET memory_limit = ?', [
      `${Math.floor((totalmem() * 0.8) / 2 ** 20)}MB`,
    ]);
    // First whatever the older version: the steps below build today's tables, which have its columns (migrate.ts).
    if (version >= 1) await migrateAddedColumns(session, version);
    if (version === 1) await migrateToContexts(session);
    else if (version === 2) await migrateRollupExtra(session);
    else if (version === 3) await migrateSessionRollup(session);
    else if (version === 4) await migrateSessionSplit(session);
    await session.run('migrating the ledger', 'SET memory_limit = ?', [memoryLimit]);
  }
  // The file's tables and views are (re)written only when this code's schema statements differ from those that last
  // wrote them: rewriting them on every open changed the file, so a report made the next import's state cache
  // (ingest/state-cache.ts) stale and it had to load DuckDB. This connection's temporary tables are made every time.
  if (version === SCHEMA_VERSION && hash === fileSchemaHash())
    for (const sql of connectionSchemaSql()) await session.run('creating the schema', sql);
  else {
    for (const sql of schemaSql()) await session.run('creating the schema', sql);
    await session.run(
      'recording the schema version',
      `INSERT INTO meta VALUES ('schema_version', ?), ('schema_hash', ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(SCHEMA_VERSION), fileSchemaHash()],
    );
  }

  const rates = new RateCardRegistry();
  const rows = await session.rows(
    'reading rate cards',
    `SELECT rate_id, ${RATE_NAMES.join(', ')} FROM rate_cards`,
  );
  rates.load(
    rows.map((r) => {
      const card = Object.fromEntries(
        RATE_NAMES.map((n, i) => [n, r[i + 1] as bigint]),
      ) as unknown as RateCard;
      return [Number(r[0]), card] as [number, RateCard];
    }),
  );
  return { session, rates };
}

/** The schema version the file records (0 for none), and the hash of the schema statements that wrote it. */
async function readVersion(s: DuckDbSession): Promise<{ version: number; hash: string | null }> {
  const has = await s.rows(
    'reading the schema version',
    `SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_catalog = current_database()`,
  );
  if (Number(has[0]![0]) === 0) return { version: 0, hash: null };
  const kv = new Map(
    (
      await s.rows(
        'reading the schema version',
        `SELECT key, value FROM meta WHERE key IN ('schema_version', 'schema_hash')`,
      )
    ).map((r) => [String(r[0]), String(r[1])]),
  );
  return { version: Number(kv.get('schema_version') ?? 0), hash: kv.get('schema_hash') ?? null };
}

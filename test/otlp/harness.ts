import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServerStore } from '../../src/cli/context.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { openWal, type Wal, type WalSink, type WalSync } from '../../src/ledger/wal/wal.js';
import { ingestJournalPath } from '../../src/server/otlp/ingest-journal.js';
import { type OtlpReceiver, startOtlp } from '../../src/server/otlp/start-otlp.js';
import { type AttributeMap, DEFAULT_ATTRIBUTES } from '../../src/sources/otlp/attribution.js';
import type { Store } from '../../src/store/store.js';

/** A real receiver on a free loopback port, writing through a real WAL into a real DuckDB ledger. */
export interface Harness {
  /** OTLP/HTTP's base URL. */
  url: string;
  /** OTLP/gRPC's endpoint (http://127.0.0.1:PORT), served by the same receiver. */
  grpcUrl: string;
  store: Store;
  wal: Wal;
  /** The receiver's state file (`<ledger>.otlp-state`, ingest-journal.ts). */
  statePath: string;
  otlp: OtlpReceiver;
  /** Drains the WAL and returns every event in the ledger. */
  ledger(): Promise<UsageEvent[]>;
  close(): Promise<void>;
}

export async function startHarness(
  o: {
    attributes?: AttributeMap;
    sync?: WalSync;
    maxBehind?: number;
    /** Largest export accepted, after decompression. */
    bodyLimitBytes?: number;
    /** The store takes nothing from the log until this resolves (a slow store). */
    storeOpens?: Promise<void>;
    /** While this returns true the log refuses appends, as on a full disk: the receiver answers 503. */
    refuseAppends?: () => boolean;
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tl-otlp-'));
  // As `serve` opens it: the OTLP benchmark measures this harness.
  const store = await openServerStore(join(dir, 'ledger.duckdb'));
  const gate = o.storeOpens;
  const sink: WalSink = gate
    ? {
        async append(events) {
          await gate;
          return store.append(events);
        },
        async attribute(patches) {
          await gate;
          return store.attribute(patches);
        },
        async storeContent(contents) {
          await gate;
          return store.storeContent(contents);
        },
      }
    : store;
  const statePath = ingestJournalPath(join(dir, 'ledger.duckdb'));
  const wal = await openWal({ dir: join(dir, 'wal'), sink, sync: o.sync ?? 'after_ack' });
  const otlp = await startOtlp({
    port: 0,
    grpcPort: 0,
    host: '127.0.0.1',
    pricing: { cwd: dir, env: {} },
    wal: o.refuseAppends ? refusing(wal, o.refuseAppends) : wal,
    statePath,
    attributes: o.attributes ?? DEFAULT_ATTRIBUTES,
    since: Date.now() * 1000 - 60_000_000,
    ...(o.maxBehind === undefined ? {} : { maxBehind: o.maxBehind }),
    ...(o.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: o.bodyLimitBytes }),
  });
  return {
    url: otlp.url!,
    grpcUrl: otlp.grpcUrl!,
    store,
    wal,
    statePath,
    otlp,
    async ledger() {
      await wal.drain();
      return store.events({ limit: 100_000 });
    },
    async close() {
      await otlp.close();
      await wal.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `wal`, whose appends fail while `refuse` says so, as a real log's do when its disk is full. */
function refusing(wal: Wal, refuse: () => boolean): Pick<Wal, 'appendEncoded' | 'depth' | 'takesPrepared'> {
  return {
    appendEncoded: (records, count, kept, stateCopied) =>
      refuse()
        ? Promise.reject(new Error('ENOSPC: no space left on device, write'))
        : wal.appendEncoded(records, count, kept, stateCopied),
    depth: () => wal.depth(),
    takesPrepared: wal.takesPrepared,
  };
}

export function tokens(events: readonly UsageEvent[]) {
  const sum = (k: keyof UsageEvent) => events.reduce((s, e) => s + (e[k] as number), 0);
  return {
    requests: sum('requests'),
    input: sum('input_tokens'),
    cache_read: sum('cache_read_tokens'),
    cache_write: sum('cache_write_5m_tokens'),
    output: sum('output_tokens'),
    reasoning: sum('reasoning_tokens'),
  };
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServerStore } from '../../src/cli/context.js';
import type { WalSync } from '../../src/ledger/wal/wal.js';
import { startServer } from '../../src/server/serve.js';
import type { Store } from '../../src/store/store.js';

/**
 * tokenledger serve for the benchmark. argv: port upstream-origin sync (after_ack|before_ack|off). A fresh ledger each
 * run, opened as `tokenledger serve` opens it (src/cli/serve.ts), so the settings measured are the ones shipped (until
 * 2026-12-01 the benchmark's store had one DuckDB thread and a 64MB pool, which serve did not; the same RSS and CPU
 * per call within noise, 6 alternating runs). TL_BENCH_STORE=none makes the store's append a no-op (everything else
 * real), to split the gateway's own cost from the store's in bench/gateway/cpu.ts; the published run never sets it.
 * TL_BENCH_CONFIG names a tokenledger.config.yaml (cpu.ts's `cached` variant: the response cache on).
 */
const [port, origin, sync] = process.argv.slice(2) as [string, string, WalSync];
const dir = mkdtempSync(join(tmpdir(), 'tl-bench-'));
const noStore = process.env.TL_BENCH_STORE === 'none';
await startServer({
  ledgerPath: join(dir, 'ledger.duckdb'),
  configPath: process.env.TL_BENCH_CONFIG ?? null,
  port: Number(port),
  upstream: [`openai=${origin}/v1`],
  cwd: dir,
  env: {},
  openStore: async (p) => {
    const s = await openServerStore(p);
    return noStore ? withoutAppend(s) : s;
  },
  log: () => {},
  walSync: sync,
});
process.stdout.write('ready\n');
// A clean exit on SIGTERM, so `node --cpu-prof` writes its profile (bench/gateway/cpu.ts).
process.on('SIGTERM', () => process.exit(0));

function withoutAppend(s: Store): Store {
  return new Proxy(s, {
    get(t, k) {
      if (k === 'append')
        return async (events: readonly unknown[]) => ({ inserted: events.length, duplicates: 0 });
      const v = Reflect.get(t, k, t) as unknown;
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

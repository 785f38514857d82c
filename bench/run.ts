/**
 * `npm run bench [NAME…]`: runs the named benchmarks (all when none is named), each in its own process with the
 * arguments bench/RESULTS.md reproduces, one after another so they do not compete for the cores. Each writes its
 * own section of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';

/** `core`: the benchmark pins itself to that core (taskset), as its own reproduce line in RESULTS.md does. */
const BENCHES: Record<string, { args: string[]; note: string; core?: number }> = {
  ledger: {
    args: ['bench/ledger/run.ts'],
    note: '10M demo events (BENCH_PEOPLE=3000): ~15 min; needs npm run build',
  },
  import: { args: ['bench/import/run.ts', '5', '300'], note: 'agent-log import against ccusage' },
  statusline: {
    args: ['bench/statusline/run.ts', '7', '300'],
    note: "Claude Code's status line against ccusage's",
  },
  gateway: {
    args: ['bench/gateway/run.ts'],
    note: 'gateway latency and throughput against Portkey and a bare proxy: ~11 min',
    // The load generator and the fake upstream on core 1; run.ts starts each target on core 0.
    core: 1,
  },
  'large-answer': {
    args: ['bench/gateway/large-answer.ts', '15'],
    note: 'event-loop time to read a many-MB image answer for its usage',
  },
  otlp: { args: ['bench/otlp/run.ts', '100000', '500', '4'], note: 'OTLP spans per second' },
  dashboard: { args: ['bench/dashboard/run.ts', '3000', '30', '20'], note: 'API p95 at 10M events' },
  budgets: { args: ['bench/budgets/run.ts'], note: 'budget and rate-limit check cost per request' },
  'gemini-long-session': {
    args: ['bench/import/long-session.ts', '3'],
    note: 'one Gemini CLI session of 5k-80k messages: time per message; needs npm run build',
  },
  router: { args: ['bench/router/run.ts', '7'], note: 'what a routing decision adds to a gateway call' },
  roi: { args: ['bench/roi/run.ts', '5'], note: "reading this repository's history for line-level rework" },
  clickhouse: {
    args: ['bench/clickhouse/run.ts', '300000', '7'],
    note: 'the ClickHouse store (chDB in-process) against the DuckDB file: appends and reports',
  },
  startup: {
    args: ['bench/startup/run.ts', '21'],
    note: 'command start-up with the price catalog; needs npm run build',
  },
};

const asked = process.argv.slice(2);
for (const name of asked)
  if (!(name in BENCHES)) {
    process.stderr.write(
      `unknown benchmark ${JSON.stringify(name)}; choose from: ${Object.keys(BENCHES).join(', ')}\n`,
    );
    process.exit(2);
  }
let failed = 0;
for (const name of asked.length > 0 ? asked : Object.keys(BENCHES)) {
  const b = BENCHES[name]!;
  process.stdout.write(`\n== bench ${name}: ${b.note}\n`);
  const node = [process.execPath, '--expose-gc', '--import', 'tsx', ...b.args];
  const [cmd, ...args] = b.core === undefined ? node : ['taskset', '-c', String(b.core), ...node];
  const r = spawnSync(cmd!, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`bench ${name} failed (exit ${r.status})\n`);
    failed++;
  }
}
process.exit(failed === 0 ? 0 : 1);

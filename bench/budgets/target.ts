import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createInterface } from 'node:readline';
import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

/**
 * One `tokenledger serve` for the budget benchmark, alone in its process so its CPU time is its own. argv: ledger
 * path, upstream origin, config path. Prints `ready URL`; answers each `cpu` line on stdin with `cpu MICROSECONDS`
 * (user + system of the whole process, DuckDB's threads included), so the runner can take the delta over a run.
 * `drain` moves the WAL into the store now and answers `drained`, so the runner puts each block's store work in that
 * block. `profile-start` / `profile-stop FILE` take a V8 CPU profile of just the span between them (no start-up in it).
 * WAL fsync is off: a disk flush per batch would drown a 20 µs difference in noise, and it is the same in every target.
 */
const [ledgerPath, upstream, configPath] = process.argv.slice(2) as [string, string, string];
const running = await startServer({
  ledgerPath,
  configPath,
  port: 0,
  upstream: [`openai=${upstream}/v1`],
  cwd: process.cwd(),
  env: process.env,
  openStore: (p) => createDuckDbStore(p, { threads: 1, memoryLimit: '64MB' }),
  log: (l) => process.stderr.write(`${l}\n`),
  walSync: 'off',
});
process.stdout.write(`ready ${running.url}\n`);
const inspector = new Session();
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(' ');
  if (cmd === 'drain')
    void running.wal.drain().then(
      () => process.stdout.write('drained\n'),
      (e: Error) => process.stdout.write(`drain failed: ${e.message}\n`),
    );
  else if (cmd === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`cpu ${u.user + u.system}\n`);
  } else if (cmd === 'profile-start') {
    inspector.connect();
    // BENCH_CPU_PROF_INTERVAL_US: finer samples than V8's default (1 ms) resolve a few µs per request.
    const interval = Number(process.env.BENCH_CPU_PROF_INTERVAL_US ?? 0);
    inspector.post('Profiler.enable', () =>
      interval > 0
        ? inspector.post('Profiler.setSamplingInterval', { interval }, () => inspector.post('Profiler.start'))
        : inspector.post('Profiler.start'),
    );
  } else if (cmd === 'profile-stop' && arg !== undefined)
    inspector.post('Profiler.stop', (err, r) => {
      if (err === null) writeFileSync(arg, JSON.stringify(r.profile));
      inspector.disconnect();
    });
});
const stop = () => void running.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);

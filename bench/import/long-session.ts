import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSection } from '../results-file.js';

/**
 * One long Gemini CLI session: a chat document (`chats/session-*.json`, minified on one line) of n messages, imported
 * with `tokenledger import gemini-cli`, for n from 5,000 to 80,000. The time per message should not grow with n: the
 * baseline is the smallest session, in the same run. (Each message's line was once searched for from the top of the
 * file, which made an import of n messages cost n²: 10,000 messages took 9 s, 40,000 took 115 s.)
 * Run: `npm run build && node --import tsx bench/import/long-session.ts [rounds]` (default 3).
 */
const ROUNDS = Number(process.argv[2] ?? 3);
const CLI = join('dist', 'cli', 'main.js');
if (!existsSync(CLI)) {
  process.stderr.write('bench/import/long-session needs the build: run `npm run build` first\n');
  process.exit(2);
}
const SIZES = [5_000, 20_000, 80_000];
const root = mkdtempSync(join(tmpdir(), 'tl-bench-gemini-'));

function session(n: number): string {
  const dir = join(root, String(n));
  const chats = join(dir, 'tmp', 'project', 'chats');
  mkdirSync(chats, { recursive: true });
  const fd = openSync(join(chats, 'session-2025-09-20T10-15-aaaaaaaa.json'), 'w');
  writeSync(
    fd,
    '{"sessionId":"s1","projectHash":"project","startTime":"2025-09-20T10:15:02.000Z","messages":[',
  );
  const t0 = Date.UTC(2025, 8, 20, 10, 15);
  for (let i = 0; i < n; i++) {
    const m = {
      id: `m-${i}`,
      timestamp: new Date(t0 + i * 1000).toISOString(),
      type: 'gemini',
      content: 'x'.repeat(100),
      tokens: { input: 1000 + (i % 50), output: 10, cached: 0, thoughts: 0, tool: 0, total: 1010 + (i % 50) },
      model: 'gemini-2.5-pro',
    };
    writeSync(fd, (i > 0 ? ',' : '') + JSON.stringify(m));
  }
  writeSync(fd, ']}');
  closeSync(fd);
  return join(dir, 'tmp');
}

const dirs = new Map(SIZES.map((n) => [n, session(n)]));
const times = new Map<number, number[]>(SIZES.map((n) => [n, []]));
for (let r = 0; r < ROUNDS; r++)
  for (const n of SIZES) {
    const db = join(root, `r${r}-${n}.duckdb`);
    const t = performance.now();
    const run = spawnSync(process.execPath, [CLI, 'import', 'gemini-cli', dirs.get(n)!, '--db', db], {
      encoding: 'utf8',
    });
    const s = (performance.now() - t) / 1000;
    if (run.status !== 0 || !run.stdout.includes(`imported ${n.toLocaleString('en')} events`))
      throw new Error(`import of ${n} messages failed: ${run.stdout}${run.stderr}`);
    times.get(n)!.push(s);
    console.log(`round ${r}: ${n} messages in ${s.toFixed(2)} s`);
  }
rmSync(root, { recursive: true, force: true });

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const perMessage = (n: number) => (median(times.get(n)!) * 1e6) / n;
const base = perMessage(SIZES[0]!);
const rows = SIZES.map(
  (n) =>
    `| ${n.toLocaleString('en')} | ${median(times.get(n)!).toFixed(2)} | ${perMessage(n).toFixed(1)} | ${(perMessage(n) / base).toFixed(2)} |`,
);
const md = `## Import: one long Gemini CLI session

\`npm run build && node --import tsx bench/import/long-session.ts ${ROUNDS}\` on ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), Node ${process.version}, load average ${loadavg()
  .map((x) => x.toFixed(2))
  .join(' ')} at the end. One chat document of n messages on one line,
imported into a fresh ledger by the built CLI (whole command: start-up, parse, price, store); median of ${ROUNDS} rounds,
sizes alternating. Baseline: the time per message of the smallest session in the same run. Linear means a ratio
near 1 (start-up, ~0.4 s here, weighs most on the smallest).

| messages | wall s | µs per message | against ${SIZES[0]!.toLocaleString('en')} messages |
|---:|---:|---:|---:|
${rows.join('\n')}
`;
writeSection('gemini-long-session', md);
console.log(md);

/**
 * Status line benchmark: `tokenledger statusline` against `ccusage statusline` on the import benchmark's 300 MB of
 * Claude Code logs plus one live session, the tools alternating in one run. Writes the "statusline" section of
 * bench/RESULTS.md (BENCH_WRITE=0 only prints it).
 *
 *   node --import tsx bench/statusline/run.ts [rounds=7] [megabytes=300]
 *
 * - Data, ccusage and the build: bench/import/setup.ts. The session is a log of its own beside the data's
 *   (removed at the end), a response appended as each round goes, the last one fresh, so the import holds it back.
 * - Both tools get Claude Code's JSON on standard input, with HOME and CLAUDE_CONFIG_DIR pointed at the data;
 *   tokenledger keeps its ledger in bench/.work/statusline.
 * - "The first": a new ledger. The data's logs were last written months ago, so ours imports the session's alone;
 *   a second first line has every log's time set to now. After the first, the history is imported (not timed), as
 *   any other command imports it, so the lines after read a ledger holding it.
 * - "After a response": a response is appended to the session's log before each line, as when Claude Code redraws
 *   after an answer. "Nothing new": the line is drawn again with no log changed.
 * - Each line's session figure must be the same for both tools (checked every round).
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { responseLine } from '../../src/sources/claude-code/testing/response-line.js';
import { jsonlFiles, sizeOf } from '../import/generate.js';
import { CCUSAGE, CLI, DATA, type Measure, measure, median, prepare } from '../import/setup.js';
import { writeSection } from '../results-file.js';

const rounds = Number(process.argv[2] ?? 7);
const megabytes = Number(process.argv[3] ?? 300);

const WORK = resolve(import.meta.dirname, '../.work/statusline');
const LEDGER = join(WORK, 'ledger.duckdb');
const SESSION = 'b3a1c0de-5e55-4f00-8000-00000000be0c';
const PROJECT = join(DATA, 'projects', '-bench-statusline');
const LOG = join(PROJECT, `${SESSION}.jsonl`);
const env = { ...process.env, HOME: DATA, CLAUDE_CONFIG_DIR: DATA, CODEX_HOME: '', TOKENLEDGER_DB: '' };
const INPUT = JSON.stringify({
  session_id: SESSION,
  transcript_path: LOG,
  cwd: '/bench',
  model: { id: 'claude-sonnet-4-5-20250929', display_name: 'Sonnet 4.5' },
  workspace: { current_dir: '/bench', project_dir: '/bench' },
  version: '2.1.39',
});

let responses = 0;
/** One Claude Code response (claude-sonnet-4-5: $0.048 each), written now. */
function respond(): void {
  appendFileSync(
    LOG,
    responseLine({
      session: SESSION,
      id: `bench_${++responses}`,
      at: Date.now(),
      model: 'claude-sonnet-4-5-20250929',
      tokens: { input: 1000, cacheRead: 100_000, output: 1000 },
      cwd: '/bench',
    }),
  );
}

const ours = () => measure(process.execPath, [CLI, 'statusline', '--db', LEDGER], env, INPUT);
const theirs = () => measure(CCUSAGE, ['statusline', '--offline'], env, INPUT);

/** The session's cost as each tool prints it: `$0.19 session` (ours), `$0.19 session /` (ccusage). */
const sessionCost = (line: string) => /(\$[\d.]+) session/.exec(line)?.[1] ?? `? (${line.trim()})`;

/** First lines, each on a new ledger of its own (`<name>-<round>.duckdb`), the tools alternating. */
function firstLines(name: string): { ours: Measure; theirs: Measure }[] {
  return Array.from({ length: FIRST_ROUNDS }, (_, round) => ({
    theirs: theirs(),
    ours: measure(
      process.execPath,
      [CLI, 'statusline', '--db', join(WORK, `${name}-${round}.duckdb`)],
      env,
      INPUT,
    ),
  }));
}
const FIRST_ROUNDS = 3;

/**
 * First lines had all 300 MB been written today (the line imports every log it could find a call of today in):
 * each log's time set to now for them, then put back.
 */
function firstLinesOfTodaysLogs(): { ours: Measure; theirs: Measure }[] {
  const logs = jsonlFiles(join(DATA, 'projects')).map((path) => ({ path, mtime: statSync(path).mtime }));
  const now = new Date();
  for (const l of logs) utimesSync(l.path, now, now);
  try {
    return firstLines('today');
  } finally {
    for (const l of logs) utimesSync(l.path, l.mtime, l.mtime);
  }
}

async function main(): Promise<void> {
  await prepare(megabytes);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  rmSync(PROJECT, { recursive: true, force: true });
  mkdirSync(PROJECT, { recursive: true });
  writeFileSync(LOG, '');
  try {
    respond();
    respond();
    // The first line of each: ours imports the logs written in the last day (the session's) into a new ledger,
    // ccusage reads them all.
    const first = firstLines('first');
    const everyLogToday = firstLinesOfTodaysLogs();
    // Then the history is in the ledger, as any other command (a report, `npm start`) imports it: not timed.
    execFileSync(process.execPath, [CLI, 'import', 'claude-code', '--db', LEDGER], { env, stdio: 'ignore' });
    const after: { ours: Measure; theirs: Measure }[] = [];
    const still: { ours: Measure; theirs: Measure }[] = [];
    const mismatches: string[] = [];
    for (let i = 0; i < rounds; i++) {
      respond();
      const t = theirs();
      respond();
      const o = ours();
      after.push({ ours: o, theirs: t });
      const s = { theirs: theirs(), ours: ours() };
      still.push(s);
      // The same log, both tools: the same session figure.
      if (sessionCost(s.ours.stdout) !== sessionCost(s.theirs.stdout))
        mismatches.push(`round ${i + 1}: ${s.ours.stdout.trim()} | ${s.theirs.stdout.trim()}`);
      process.stderr.write(
        `round ${i + 1}: after a response ours ${o.seconds.toFixed(2)} s, ccusage ${t.seconds.toFixed(2)} s · ` +
          `nothing new ours ${s.ours.seconds.toFixed(2)} s, ccusage ${s.theirs.seconds.toFixed(2)} s · ` +
          `${sessionCost(s.ours.stdout)} / ${sessionCost(s.theirs.stdout)}\n`,
      );
    }
    const m = (xs: { ours: Measure; theirs: Measure }[], who: 'ours' | 'theirs') =>
      median(xs.map((x) => x[who].seconds));
    const row = (what: string, xs: { ours: Measure; theirs: Measure }[]) => {
      const [o, t] = [m(xs, 'ours'), m(xs, 'theirs')];
      return `| ${what} | ${t.toFixed(2)} s | ${o.toFixed(2)} s | ${(o / t).toFixed(2)}x |`;
    };
    const peak = (who: 'ours' | 'theirs') => Math.max(...[...after, ...still].map((x) => x[who].peakMb));
    const section = [
      '## Status line: `tokenledger statusline` vs `ccusage statusline` (ccusage 20.0.24)',
      '',
      `Reproduce: \`node --import tsx bench/statusline/run.ts ${rounds} ${megabytes}\` (data: ${(sizeOf(DATA) / 1e6).toFixed(1)} MB of Claude Code logs from bench/import/generate.ts, each last written at its last line's time, months ago, and one session whose last response is still being written; after the first line the history is imported, not timed, as any other command imports it; medians of ${rounds} rounds (first lines: ${FIRST_ROUNDS}, each on a new ledger), the tools alternating; 2 cores, Node ${process.versions.node}). Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at the end.`,
      '',
      '| a line | ccusage | tokenledger | ratio (lower is faster) |',
      '|---|---:|---:|---:|',
      row(
        'the first (ours imports the logs written in the last day, here the session’s, into a new ledger)',
        first,
      ),
      row('the first, had every log been written today (ours imports them all)', everyLogToday),
      row('after a response (the session log grew)', after),
      row('nothing new (ccusage answers from its cache)', still),
      '',
      `Peak RSS: ccusage ${peak('theirs').toFixed(0)} MB, tokenledger ${peak('ours').toFixed(0)} MB. The session's cost: ` +
        (mismatches.length === 0
          ? `the same on both lines in every round (the last: ${sessionCost(still.at(-1)!.ours.stdout)}).`
          : `**different** in ${mismatches.length} of ${rounds} rounds: ${mismatches.join('; ')}.`),
    ].join('\n');
    process.stdout.write(`${section}\n`);
    if (process.env.BENCH_WRITE !== '0') writeSection('statusline', section);
  } finally {
    rmSync(PROJECT, { recursive: true, force: true });
  }
}

await main();

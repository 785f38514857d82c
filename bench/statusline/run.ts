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
 * - "After a response": a response is appended to the session's log before each line, as when Claude Code redraws
 *   after an answer. "Nothing new": the line is drawn again with no log changed.
 * - Each line's session figure must be the same for both tools (checked every round).
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { responseLine } from '../../src/sources/claude-code/testing/response-line.js';
import { sizeOf } from '../import/generate.js';
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
    // The first line of each: ours imports the 300 MB into a new ledger, ccusage reads them all.
    const first = { ours: ours(), theirs: theirs() };
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
      `Reproduce: \`node --import tsx bench/statusline/run.ts ${rounds} ${megabytes}\` (data: ${(sizeOf(DATA) / 1e6).toFixed(1)} MB of Claude Code logs from bench/import/generate.ts, and one session whose last response is still being written; medians of ${rounds} rounds, the tools alternating; 2 cores, Node ${process.versions.node}). Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at the end.`,
      '',
      '| a line | ccusage | tokenledger | ratio (lower is faster) |',
      '|---|---:|---:|---:|',
      `| the first (ours imports every log into a new ledger) | ${first.theirs.seconds.toFixed(2)} s | ${first.ours.seconds.toFixed(2)} s | ${(first.ours.seconds / first.theirs.seconds).toFixed(2)}x |`,
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

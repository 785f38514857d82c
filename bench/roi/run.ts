import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { LOG_ARGS, readGitHistory } from '../../src/roi/git-history.js';
import { writeSection } from '../results-file.js';

/**
 * What `tokenledger roi` costs to read a repository: replaying its first-parent history line by line (every line's
 * origin, for exact rework) against git itself writing the same patches to a pipe that only counts them, the floor
 * for any tool that reads line-level history through git. The repository is this one (a clean clone has its whole
 * history). Targets alternate within each round; each figure is the median of the rounds.
 * Run: `node --import tsx bench/roi/run.ts [rounds]` (default 5).
 */
const ROUNDS = Number(process.argv[2] ?? 5);
const REPO = join(import.meta.dirname, '../..');
function gitPatchBytes(): Promise<number> {
  return new Promise((resolve, reject) => {
    const git = spawn('git', ['-C', REPO, ...LOG_ARGS, 'HEAD', '--'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let bytes = 0;
    git.stdout.on('data', (b: Buffer) => {
      bytes += b.length;
    });
    git.on('error', reject);
    git.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`git exited ${code}`))));
  });
}

let changes = 0;
let lines = 0;
let bytes = 0;
const times = { git: [] as number[], roi: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  for (const target of round % 2 === 0 ? (['git', 'roi'] as const) : (['roi', 'git'] as const)) {
    const t0 = performance.now();
    if (target === 'git') bytes = await gitPatchBytes();
    else {
      const h = await readGitHistory(REPO, { ref: 'HEAD' });
      changes = h.changes.length;
      lines = h.changes.reduce((s, c) => s + c.linesAdded + c.linesDeleted, 0);
    }
    times[target].push(performance.now() - t0);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const git = median(times.git);
const roi = median(times.roi);
const rows = [
  '| target | median time | per change |',
  '|---|---:|---:|',
  `| git writing the patches (the floor) | ${git.toFixed(0)} ms | ${((1000 * git) / changes).toFixed(0)} µs |`,
  `| readGitHistory (every line's origin kept) | ${roi.toFixed(0)} ms | ${((1000 * roi) / changes).toFixed(0)} µs |`,
];
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}`;
const text = [
  '## ROI: reading a repository for line-level rework',
  '',
  `\`node --import tsx bench/roi/run.ts ${ROUNDS}\`, ${when} UTC, ${machine}, load average ` +
    `${loadavg()[0]!.toFixed(2)} at the end. This repository's first-parent history: ` +
    `${changes.toLocaleString('en-US')} changes, ${lines.toLocaleString('en-US')} lines added or deleted, ` +
    `${(bytes / 1e6).toFixed(1)} MB of patches. Baseline: git writing the same patches to a pipe that only counts ` +
    'them. Each figure is the median of the rounds, the targets alternating.',
  '',
  ...rows,
  '',
  `readGitHistory takes **${(roi / git).toFixed(2)}×** git's own time for the patches.`,
].join('\n');
process.stdout.write(`${text}\n`);
writeSection('roi', text);

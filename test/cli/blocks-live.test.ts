import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { responseLine } from '../../src/sources/claude-code/testing/response-line.js';

const dir = mkdtempSync(join(tmpdir(), 'tl-blocks-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One Claude Code response, written `agoS` seconds ago: 10 input, 1,000 cache read and 100 output tokens. */
const response = (n: number, agoS: number) =>
  responseLine({
    session: 's-live',
    id: String(n),
    at: Date.now() - agoS * 1000,
    model: 'claude-sonnet-4-5',
    tokens: { input: 10, cacheRead: 1000, output: 100 },
  });

it('imports the agent logs as they grow and redraws the open window each refresh, until interrupted', async () => {
  const log = join(dir, 'claude/projects/-home-ana-shop/s-live.jsonl');
  mkdirSync(join(dir, 'claude/projects/-home-ana-shop'), { recursive: true });
  mkdirSync(join(dir, 'home'));
  writeFileSync(log, response(1, 3600) + response(2, 1800) + response(3, 600));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'blocks',
      '--live',
      '--refresh',
      '1',
      '--db',
      join(dir, 'l.duckdb'),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HOME: join(dir, 'home'),
        CLAUDE_CONFIG_DIR: join(dir, 'claude'),
        CODEX_HOME: '',
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    // The response being written (the last line of a file just changed) waits for the next: two of three so far.
    await expect.poll(() => stdout, { timeout: 30_000 }).toMatch(/\n {2}2 calls · 2,220 tokens · \$/);
    expect(stdout).toMatch(/^tokenledger blocks --live · .* · every 1 s · Ctrl-C stops/);
    expect(stdout).toMatch(
      /\nclaude-code {2}window \d\d:00–\d\d:00 {2}\[#*\.*\] {2}1h \d+m gone, [34]h \d+m left\n/,
    );
    expect(stdout).toMatch(/\n {2}pace 74 tokens a minute, \$[\d.]+ an hour · by \d\d:00: [\d,]+ tokens, \$/);
    appendFileSync(log, response(4, 60) + response(5, 0));
    await expect.poll(() => stdout, { timeout: 30_000 }).toMatch(/\n {2}4 calls · 4,440 tokens · \$/);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(stderr).toBe('');
});

import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseLine } from '../sources/claude-code/testing/response-line.js';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import { makeEvent } from '../store/testing/event-factory.js';
import { statuslineCommand } from './statusline.js';

const MINUTE_MS = 60_000;
let home: string;
let log: string;

/**
 * One Claude Code response, `agoMin` minutes ago, on claude-sonnet-4-5 ($3 input, $0.30 cache read, $15 output per
 * 1M tokens): 1,000 × $3 + 100,000 × $0.30 + 1,000 × $15 per 1M = $0.048 a call.
 */
const response = (n: number, agoMin: number, session = 's-line') =>
  responseLine({
    session,
    id: String(n),
    at: Date.now() - agoMin * MINUTE_MS,
    model: 'claude-sonnet-4-5-20250929',
    tokens: { input: 1000, cacheRead: 100_000, output: 1000 },
  });

/** A zone whose clocks read about noon now, so calls of the last two hours are today's wherever the test runs. */
function noonZone(): string {
  const k = 12 - new Date().getUTCHours();
  return k === 0 ? 'UTC' : k > 0 ? `Etc/GMT-${k}` : `Etc/GMT+${-k}`;
}

async function line(input: object | string, o: { tz?: string; db?: string } = {}): Promise<string> {
  let text = '';
  const stdin = typeof input === 'string' ? input : JSON.stringify(input);
  await statuslineCommand({ tz: noonZone(), ...o }, stdin, (s) => (text += s), {}, home);
  return text;
}

const ledgerCalls = async () => {
  const store = await createDuckDbStore(join(home, '.tokenledger', 'ledger.duckdb'));
  try {
    return await store.count();
  } finally {
    await store.close();
  }
};

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'tl-statusline-'));
  const project = join(home, '.claude', 'projects', '-home-ana-shop');
  mkdirSync(project, { recursive: true });
  log = join(project, 's-line.jsonl');
  writeFileSync(log, response(1, 90) + response(2, 60) + response(3, 30));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('tokenledger statusline', () => {
  const input = {
    session_id: 's-line',
    model: { id: 'claude-sonnet-4-5-20250929', display_name: 'Sonnet 4.5' },
  };

  it("counts the response still being written from the session's log, stores only the others, and keeps the ledger in the home folder", async () => {
    // Three calls of $0.048: $0.144. The window opened at the hour of the first call, 90 minutes ago, and the pace
    // from the first call to the last is $0.144 over an hour. The minutes left are those of when the line was drawn:
    // a minute may turn while it is.
    const opened = Math.floor((Date.now() - 90 * MINUTE_MS) / 3_600_000) * 3_600_000;
    const expected = (at: number) => {
      const left = Math.floor((opened + 5 * 3_600_000 - at) / MINUTE_MS);
      return (
        `Sonnet 4.5 · $0.14 session · $0.14 today · $0.14 window, ${Math.floor(left / 60)}h ${left % 60}m left, ` +
        // 1,000 input + 100,000 cache read of a 200,000-token window.
        '$0.14/h · context 51%\n'
      );
    };
    const drawing = Date.now();
    const text = await line({ ...input, transcript_path: log });
    expect([expected(drawing), expected(Date.now())]).toContain(text);
    // The log is fresh: its last response may still grow, so the import held it back and the ledger has two.
    expect(await ledgerCalls()).toBe(2);
  });

  it("counts what its own session's log gained without writing the ledger, and each response once when an import stores it", async () => {
    appendFileSync(log, response(4, 1));
    const fourth = /^Sonnet 4\.5 · \$0\.19 session · \$0\.19 today · \$0\.19 window, /;
    expect(await line({ ...input, transcript_path: log })).toMatch(fourth);
    // Only the session's log grew, by a response: counted from the log, nothing imported.
    expect(await ledgerCalls()).toBe(2);

    // Another session's log (settled: written ten minutes ago) is new: this line imports, and the responses the
    // last one counted from the log are now the ledger's, counted once.
    const other = join(home, '.claude', 'projects', '-home-ana-shop', 's-other.jsonl');
    writeFileSync(other, response(10, 15, 's-other'));
    const tenMinutesAgo = new Date(Date.now() - 10 * MINUTE_MS);
    utimesSync(other, tenMinutesAgo, tenMinutesAgo);
    expect(await line({ ...input, transcript_path: log })).toMatch(
      /^Sonnet 4\.5 · \$0\.19 session · \$0\.24 today · \$0\.24 window, /,
    );
    // The first three of this session (the fourth is held back while its log is fresh) and the other's one.
    expect(await ledgerCalls()).toBe(4);

    // A gain past a megabyte is imported rather than parsed again at every draw: a prompt of 1.1 MB, then a response.
    const prompt = {
      type: 'user',
      sessionId: 's-line',
      message: { role: 'user', content: 'x'.repeat(1_100_000) },
    };
    appendFileSync(log, `${JSON.stringify(prompt)}\n${response(5, 0)}`);
    expect(await line({ ...input, transcript_path: log })).toMatch(
      /^Sonnet 4\.5 · \$0\.24 session · \$0\.29 today · \$0\.29 window, /,
    );
    expect(await ledgerCalls()).toBe(5);
  });

  it("takes the context's share from Claude Code when it gives it, and a [1m] model's window as 1M tokens", async () => {
    expect(await line({ ...input, context_window: { used_percentage: 7.6 } })).toMatch(/ · context 8%\n$/);
    const oneM = {
      ...input,
      model: { id: 'claude-sonnet-4-5-20250929[1m]', display_name: 'Sonnet 4.5 (1M)' },
    };
    expect(await line(oneM)).toMatch(/ · context 10%\n$/);
    expect(
      await line({
        ...input,
        context_window: {
          context_window_size: 400_000,
          current_usage: {
            input_tokens: 10,
            cache_read_input_tokens: 99_990,
            cache_creation_input_tokens: 100_000,
          },
        },
      }),
    ).toMatch(/ · context 50%\n$/);
  });

  it('without a session (nothing piped) shows the day and the open window from the ledger alone', async () => {
    // No log to read the response being written from: the five calls the ledger holds (the fifth is held back).
    expect(await line('')).toMatch(/^\$0\.24 today · \$0\.24 window, \d+h \d+m left, \$[\d.]+\/h\n$/);
  });

  it('says what is wrong with the input and where', async () => {
    await expect(line('{"session_id": ')).rejects.toMatchObject({
      code: 'STATUSLINE_BAD_INPUT',
      message: expect.stringMatching(/^standard input, Claude Code's status line JSON: not JSON/),
    });
    await expect(line({ session_id: 5 })).rejects.toMatchObject({
      code: 'STATUSLINE_BAD_INPUT',
      message: expect.stringMatching(/: session_id: expected a non-empty string$/),
    });
    await expect(line('[1]')).rejects.toThrow(/JSON: \(top level\): expected an object$/);
    await expect(line({ context_window: { current_usage: { input_tokens: -1 } } })).rejects.toThrow(
      /JSON: context_window\.current_usage\.input_tokens: expected a whole number of at least 0$/,
    );
  });

  it("counts what its subagents' logs gained too, and takes the context from the conversation's own calls", async () => {
    const ownHome = mkdtempSync(join(tmpdir(), 'tl-statusline-sub-'));
    try {
      const project = join(ownHome, '.claude', 'projects', '-home-ana-shop');
      const own = join(project, 's-sub.jsonl');
      const subagents = join(project, 's-sub', 'subagents');
      mkdirSync(subagents, { recursive: true });
      // A subagent's call: 1,000 input, 10,000 cache read and 1,000 output tokens, $0.021.
      const subagentCall = (n: number, agoMin: number) =>
        responseLine({
          session: 's-sub',
          id: `sub-${n}`,
          at: Date.now() - agoMin * MINUTE_MS,
          model: 'claude-sonnet-4-5-20250929',
          tokens: { input: 1000, cacheRead: 10_000, output: 1000 },
        });
      const settled = (path: string) => {
        const tenMinutesAgo = new Date(Date.now() - 10 * MINUTE_MS);
        utimesSync(path, tenMinutesAgo, tenMinutesAgo);
      };
      writeFileSync(own, response(1, 50, 's-sub') + response(2, 40, 's-sub'));
      writeFileSync(join(subagents, 'agent-a1.jsonl'), subagentCall(3, 30));
      settled(own);
      settled(join(subagents, 'agent-a1.jsonl'));
      const draw = async () => {
        let text = '';
        const stdin = JSON.stringify({ ...input, session_id: 's-sub', transcript_path: own });
        await statuslineCommand({ tz: noonZone() }, stdin, (s) => (text += s), {}, ownHome);
        return text;
      };
      /** The ledger's calls, and the logs an import has read. */
      const stored = async () => {
        const store = await createDuckDbStore(join(ownHome, '.tokenledger', 'ledger.duckdb'));
        try {
          return {
            calls: await store.count(),
            read: [...(await store.records!.fileStates('claude-code')).keys()],
          };
        } finally {
          await store.close();
        }
      };
      // Two calls of $0.048 and the subagent's $0.021, all imported.
      expect(await draw()).toMatch(/ · \$0\.12 session · /);
      expect((await stored()).calls).toBe(3);
      // The conversation answers, then its subagent: both logs grew, both are the session's, nothing is imported.
      appendFileSync(own, response(4, 1, 's-sub'));
      appendFileSync(join(subagents, 'agent-a1.jsonl'), subagentCall(5, 0));
      // $0.117 + $0.048 + $0.021; the context is the conversation's last call (101,000 tokens), not the subagent's.
      expect(await draw()).toMatch(/ · \$0\.19 session · .* · context 51%\n$/);
      expect((await stored()).calls).toBe(3);
      // A new subagent's log has never been imported: this line imports it (its only response, fresh, held back and
      // counted from the log, as are the two before).
      const second = join(subagents, 'agent-a2.jsonl');
      writeFileSync(second, subagentCall(6, 0));
      expect((await stored()).read).not.toContain(second);
      expect(await draw()).toMatch(/ · \$0\.21 session · /);
      expect((await stored()).read).toContain(second);
    } finally {
      rmSync(ownHome, { recursive: true, force: true });
    }
  });

  it("imports only the logs written since the day's or the window's first call could be, and the session's own", async () => {
    const ownHome = mkdtempSync(join(tmpdir(), 'tl-statusline-old-'));
    try {
      const project = join(ownHome, '.claude', 'projects', '-home-ana-shop');
      mkdirSync(project, { recursive: true });
      const writtenAgo = (path: string, text: string, minutes: number) => {
        writeFileSync(path, text);
        const then = new Date(Date.now() - minutes * MINUTE_MS);
        utimesSync(path, then, then);
      };
      const DAY_MIN = 24 * 60;
      // Last written two days ago, and 23 hours ago: the first holds no call of today's or the window's, the
      // second may (a zone's midnight is at most a day back on a day of 24 hours or fewer: the test's is noon).
      const old = join(project, 's-old.jsonl');
      writtenAgo(old, response(1, 2 * DAY_MIN + 5, 's-old'), 2 * DAY_MIN);
      const recent = join(project, 's-recent.jsonl');
      writtenAgo(recent, response(2, 23 * 60 + 5, 's-recent'), 23 * 60);
      const own = join(project, 's-own.jsonl');
      writtenAgo(own, response(3, 40, 's-own'), 10);
      const draw = async (session: string, transcript: string) => {
        let text = '';
        const stdin = JSON.stringify({ ...input, session_id: session, transcript_path: transcript });
        await statuslineCommand({ tz: noonZone() }, stdin, (s) => (text += s), {}, ownHome);
        return text;
      };
      const read = async () => {
        const store = await createDuckDbStore(join(ownHome, '.tokenledger', 'ledger.duckdb'));
        try {
          return [...(await store.records!.fileStates('claude-code')).keys()].sort();
        } finally {
          await store.close();
        }
      };
      expect(await draw('s-own', own)).toMatch(/^Sonnet 4\.5 · \$0\.05 session · \$0\.05 today · /);
      expect(await read()).toEqual([own, recent].sort());
      // A session resumed after two days: its own log is read however old, and its call is the session's.
      expect(await draw('s-old', old)).toMatch(/^Sonnet 4\.5 · \$0\.05 session · \$0\.05 today · /);
      expect(await read()).toEqual([old, own, recent].sort());
    } finally {
      rmSync(ownHome, { recursive: true, force: true });
    }
  });

  it("counts nothing from a session's log when the ledger takes Claude Code's calls from its telemetry", async () => {
    const ownHome = mkdtempSync(join(tmpdir(), 'tl-statusline-otlp-'));
    try {
      const project = join(ownHome, '.claude', 'projects', '-home-ana-shop');
      mkdirSync(project, { recursive: true });
      const own = join(project, 's-tel.jsonl');
      writeFileSync(own, response(1, 50, 's-tel') + response(2, 40, 's-tel'));
      const draw = async () => {
        let text = '';
        const stdin = JSON.stringify({ ...input, session_id: 's-tel', transcript_path: own });
        await statuslineCommand({ tz: noonZone() }, stdin, (s) => (text += s), {}, ownHome);
        return text;
      };
      // The first response stored, the second (held back while the log is fresh) counted from the log.
      expect(await draw()).toMatch(/ · \$0\.10 session · /);
      // From now on the ledger receives Claude Code's telemetry, which records the same calls under other ids.
      const store = await createDuckDbStore(join(ownHome, '.tokenledger', 'ledger.duckdb'));
      await store.append([makeEvent(1, { source: 'otlp', agent: 'claude-code', session_id: 's-other' })]);
      await store.close();
      appendFileSync(own, response(3, 1, 's-tel'));
      // Only what the logs gave before telemetry came: the log's later responses are telemetry's to record.
      expect(await draw()).toMatch(/ · \$0\.05 session · /);
    } finally {
      rmSync(ownHome, { recursive: true, force: true });
    }
  });

  it('reads the JSON Claude Code pipes to the command, and uses --db when given', () => {
    const db = join(home, 'other.duckdb');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'statusline', '--db', db], {
      input: JSON.stringify({ ...input, transcript_path: log }),
      encoding: 'utf8',
      env: { ...process.env, HOME: home, CLAUDE_CONFIG_DIR: '', CODEX_HOME: '', TOKENLEDGER_DB: '' },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Sonnet 4\.5 · \$0\.24 session · /);
    expect(existsSync(db)).toBe(true);
  });
});

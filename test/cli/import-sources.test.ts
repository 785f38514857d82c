/**
 * Issue 3: `tokenledger import <source>` end to end on each source's fixtures, through the real CLI and a real
 * DuckDB ledger. Expected counts are cross-checked against the source's own parser run directly on the same files
 * (collectFile), so the test proves the pipeline stores exactly what the parser reads — no more, no less.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IMPORT_KINDS } from '../../src/ingest/kinds.js';
import { createCollectingSink } from '../../src/sources/collect-sink.js';
import { readLines } from '../../src/sources/read-lines.js';
import { withoutAgentLogs } from '../helpers/no-agent-logs.js';
import { runCli } from '../helpers/run-cli.js';
import { settledFixtures } from '../helpers/settled-fixtures.js';

const FIX = settledFixtures();
let db: string;
beforeEach(() => {
  db = join(mkdtempSync(join(tmpdir(), 'tl-imp-')), 'ledger.duckdb');
});

async function ok(args: string[]) {
  const r = await runCli([...args, '--db', db]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function totals() {
  return JSON.parse(await ok(['report', '--by', 'source', '--format', 'json'])).totals;
}

/** What the parser alone makes of the files: distinct event ids, token sums, skips by code, costs, activity. */
async function direct(kind: string, files: string[]) {
  const ids = new Set<string>();
  let output = 0;
  let input = 0;
  const skips: Record<string, number> = {};
  const costs = new Set<string>();
  const activity = new Set<string>();
  const source = await IMPORT_KINDS[kind]!.load();
  for (const f of files) {
    const s = createCollectingSink();
    const parser = source.open({ path: f, ingestedAt: 0 }, s);
    for await (const l of readLines(f)) parser.line(l.text, l.lineNo);
    parser.end();
    for (const e of s.events) {
      if (ids.has(`${e.event_id} ${e.ts}`)) continue;
      ids.add(`${e.event_id} ${e.ts}`);
      output += e.output_tokens;
      input += e.input_tokens;
    }
    for (const k of s.skips) skips[k.code] = (skips[k.code] ?? 0) + 1;
    for (const c of s.costs) costs.add(c.record_id);
    for (const a of s.activities) activity.add(a.record_id);
  }
  return { events: ids.size, output, input, skips, costs: costs.size, activity: activity.size };
}

const files = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.jsonl?$/.test(f))
    .map((f) => join(dir, f));

const FILE_CASES = [
  ['openai-usage', files(join(FIX, 'openai-usage'))],
  ['anthropic-usage', files(join(FIX, 'anthropic-usage'))],
  ['cursor', files(join(FIX, 'cursor'))],
] as const;

const DIR_CASES = [
  ['claude-code', join(FIX, 'claude-code/config'), 3],
  ['codex', join(FIX, 'codex/home'), 3],
  ['gemini-cli', join(FIX, 'gemini-cli/tmp'), 5],
  ['copilot', join(FIX, 'copilot/home'), 3],
  ['pi', join(FIX, 'pi/agent'), 3],
  ['amp', join(FIX, 'amp/data'), 6],
  ['qwen-code', join(FIX, 'qwen-code/projects'), 2],
] as const;

describe('tokenledger import <agent log> DIR', () => {
  it.each(DIR_CASES)(
    '%s: stores what the parser reads, reports bad lines, and a re-import adds nothing',
    async (kind, dir, n) => {
      const out = await ok(['import', kind, dir]);
      expect(out).toContain(`${kind}: ${n} log files in ${dir}`);
      expect(out).toMatch(/^ {4}\/\S+:\d+ {2}SRC_[A-Z_0-9]+ {2}/m); // every fixture folder has broken lines on purpose
      const want = await direct(
        kind,
        (await IMPORT_KINDS[kind]!.discover!({ env: {}, home: '/none', dirs: [dir] })).files,
      );
      expect(out).toContain(`imported ${want.events} events`);
      for (const [code, count] of Object.entries(want.skips)) expect(out).toContain(`${code} ${count}`);
      const t = await totals();
      expect({ events: t.events, output: t.output_tokens, input: t.input_tokens }).toEqual({
        events: want.events,
        output: want.output,
        input: want.input,
      });
      const again = await ok(['import', kind, dir]);
      expect(again).toContain('imported 0 events');
      expect(again).toContain(`incremental: ${n} unchanged (not read)`);
      expect(again).toContain('(0 lines, 0 events read)');
      expect((await totals()).events).toBe(want.events);
    },
  );

  it('claude-code: reports each bad line with file:line and a stable code', async () => {
    const bad = join(
      FIX,
      'claude-code/config/projects/-home-ana-shop/9d2e7f10-3c4b-4a5d-8e6f-7a8b9c0d1e2f.jsonl',
    );
    const out = await ok(['import', 'claude-code', bad]);
    expect(out).toContain('imported 3 events from 1 file (11 lines, 3 events read)');
    for (const [line, code] of [
      [2, 'SRC_BAD_JSON'],
      [3, 'SRC_BAD_RECORD'],
      [4, 'SRC_NUMBER_TOO_LARGE'],
      [5, 'SRC_NOT_UTF8'],
      [7, 'SRC_BAD_RECORD'],
      [8, 'SRC_BAD_RECORD'],
      [11, 'SRC_TRUNCATED'],
    ] as const)
      expect(out).toContain(`${bad}:${line}  ${code}  `);
  });

  it('claude-code: a broken line followed only by lines without usage is SRC_BAD_JSON, not a truncated last line', async () => {
    // The reader does not decode lines without "usage" (skipUnless), but they are still lines after the broken one.
    const dir = mkdtempSync(join(tmpdir(), 'tl-cut-'));
    const log = join(dir, 'session.jsonl');
    writeFileSync(
      log,
      '{"message":{"usage":{"input_tokens":1,\n{"type":"user","message":{"content":"hi"}}\n',
    );
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(log, hourAgo, hourAgo);
    const out = await ok(['import', 'claude-code', log]);
    expect(out).toContain(`${log}:1  SRC_BAD_JSON  `);
    expect(out).not.toContain('SRC_TRUNCATED');
  });

  // A real Claude Code session log (../shared/data, beside the repository).
  const real = resolve(
    import.meta.dirname,
    '../../../shared/data/agent-logs/claude/projects/-home-marco-projects-spotter',
  );
  it.skipIf(!existsSync(real))(
    'claude-code: a complete last line (newline and all) that does not parse is SRC_BAD_JSON, not truncated',
    async () => {
      // The real log, then a usage line with a stray comma, written out in full: nothing is still being written, so
      // it is a bad line, not a cut one.
      const dir = mkdtempSync(join(tmpdir(), 'tl-bad-last-'));
      const log = join(dir, 'session.jsonl');
      const session = readFileSync(join(real, '4d5611e5-241a-462a-8d15-5122611a9569.jsonl'), 'utf8');
      const lines = session.split('\n').length; // the log ends with its newline: this is the appended line's number
      writeFileSync(
        log,
        `${session}{"type":"assistant","message":{"id":"msg_x","usage":{"input_tokens":1,}},"timestamp":"2026-02-10T10:00:00Z"}\n`,
      );
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(log, hourAgo, hourAgo);
      const out = await ok(['import', 'claude-code', log]);
      expect(out).toContain(`skipped: 1 (SRC_BAD_JSON 1)`);
      expect(out).toContain(`${log}:${lines}  SRC_BAD_JSON  not valid JSON: `);
      expect(out).not.toContain('SRC_TRUNCATED');
      expect(out).not.toContain('still be written');
      // Without its newline the same line is the cut tail of a log being written: truncated, and read again later.
      writeFileSync(log, `${session}{"type":"assistant","message":{"id":"msg_x","usage":{"input_tokens":1,`);
      utimesSync(log, hourAgo, hourAgo);
      const cut = await ok(['import', 'claude-code', log, '--full']);
      expect(cut).toContain(`${log}:${lines}  SRC_TRUNCATED  last line is incomplete`);
    },
  );

  it('amp: a thread Amp rewrote with a new call adds that call alone, and the ledger holds its counts exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-amp-'));
    const name = 'T-0a1b2c3d-1111-4aaa-8bbb-000000000003.json';
    const thread = join(dir, name);
    const doc = JSON.parse(readFileSync(join(FIX, 'amp/data/threads', name), 'utf8'));
    const hourAgo = new Date(Date.now() - 3_600_000);
    writeFileSync(thread, JSON.stringify(doc, null, 2));
    utimesSync(thread, hourAgo, hourAgo);
    expect(await ok(['import', 'amp', dir])).toContain('imported 3 events from 1 file');
    // Amp saves the whole thread again with one more exchange (usage of the current shape).
    doc.messages.push(
      { role: 'user', messageId: 6, content: [{ type: 'text', text: 'Thanks' }] },
      {
        role: 'assistant',
        messageId: 7,
        content: [{ type: 'text', text: 'You are welcome.' }],
        usage: {
          model: 'claude-sonnet-4-5-20250929',
          inputTokens: 3,
          outputTokens: 11,
          cacheCreationInputTokens: 40,
          cacheReadInputTokens: 1300,
          totalInputTokens: 1343,
          timestamp: '2026-01-22T10:00:00.000Z',
        },
      },
    );
    writeFileSync(thread, JSON.stringify(doc, null, 2));
    const later = new Date(Date.now() - 1_800_000);
    utimesSync(thread, later, later);
    await ok(['import', 'amp', dir]);
    const t = await totals();
    // Messages 1, 5 and 7 by their own usage, ledger event evt-b for message 3 (no usage of its own).
    expect([t.events, t.input_tokens, t.output_tokens]).toEqual([4, 100 + 7 + 60 + 3, 50 + 90 + 25 + 11]);
    expect([t.cache_read_tokens, t.cache_write_5m_tokens]).toEqual([200 + 1200 + 1300, 500 + 40]);
  });

  it('an empty folder imports nothing and says so', async () => {
    const empty = join(FIX, 'claude-code/empty');
    const out = await ok(['import', 'claude-code', empty]);
    expect(out).toContain(`claude-code: no logs found in ${empty}`);
    expect(out).toContain('imported 0 events from 0 files');
  });

  it("says so when an agent's importer finds files but none of their lines is that agent's usage", async () => {
    // A Claude Code log given to the Gemini CLI importer (both read *.jsonl): every line read, none kept, none bad.
    const dir = join(mkdtempSync(join(tmpdir(), 'tl-claude-')), 'projects', '-home-ana-shop');
    mkdirSync(dir, { recursive: true });
    const at = new Date(Date.now() - 3_600_000).toISOString();
    const line = (type: string, message: object) =>
      JSON.stringify({
        type,
        sessionId: 's1',
        timestamp: at,
        uuid: `${type}-1`,
        requestId: 'req_1',
        message,
      });
    writeFileSync(
      join(dir, 's1.jsonl'),
      `${line('user', { role: 'user', content: 'hi' })}\n${line('assistant', {
        id: 'msg_1',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        usage: { input_tokens: 10, output_tokens: 5 },
      })}\n`,
    );
    // Written an hour ago: the last response of a fresh log is held back as still being written.
    utimesSync(join(dir, 's1.jsonl'), new Date(at), new Date(at));
    const out = await ok(['import', 'gemini-cli', dir]);
    expect(out).toContain('imported 0 events from 1 file (2 lines, 0 events read)');
    expect(out).toContain(
      "\n  none of these 2 lines is gemini-cli usage: if they are another tool's logs, `tokenledger import auto` finds each agent's own\n",
    );
    // The right importer takes them, and says nothing of the kind.
    const right = await ok(['import', 'claude-code', dir]);
    expect(right).toContain('imported 1 event');
    expect(right).not.toContain('none of these');
  });

  it('a folder that does not exist is an error naming it', async () => {
    const r = await runCli(['import', 'codex', '/no/such/folder', '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CLI_NO_FILE');
    expect(r.stderr).toContain('/no/such/folder');
  });
});

describe('tokenledger import <provider export> FILE…', () => {
  it.each(FILE_CASES)('%s: events, provider costs and activity stored once', async (kind, paths) => {
    const want = await direct(kind, [...paths]);
    const out = await ok(['import', kind, ...paths]);
    expect(out).toContain(`imported ${want.events} events from ${paths.length} files`);
    for (const [code, count] of Object.entries(want.skips)) expect(out).toContain(`${code} ${count}`);
    if (want.costs) expect(out).toContain(`provider costs: ${want.costs} imported`);
    if (want.activity) expect(out).toContain(`activity records: ${want.activity} imported`);
    const t = await totals();
    expect([t.events, t.output_tokens, t.input_tokens]).toEqual([want.events, want.output, want.input]);
    const again = await ok(['import', kind, ...paths]);
    expect(again).toContain('imported 0 events');
    expect(again).toContain(`incremental: ${paths.length} unchanged (not read)`);
    expect((await totals()).events).toBe(want.events);
  });

  it('openai-usage: --full reads unchanged files again and the ledger and cost table drop every repeat', async () => {
    const [, paths] = FILE_CASES[0];
    await ok(['import', 'openai-usage', ...paths]);
    const before = await totals();
    const full = await ok(['import', 'openai-usage', ...paths, '--full']);
    expect(full).toContain('imported 0 events');
    expect(full).toMatch(/provider costs: 0 imported, \d+ duplicates/);
    expect(await totals()).toEqual(before);
  });

  it('unknown source and missing file are clear errors', async () => {
    const r = await runCli(['import', 'excel', 'a.xlsx', '--db', db]);
    expect(r.stderr).toContain('CLI_UNKNOWN_SOURCE');
    expect(r.stderr).toContain('claude-code');
    const m = await runCli(['import', 'cursor', '/no/file.json', '--db', db]);
    expect(m.stderr).toContain('CLI_NO_FILE');
  });
});

describe('tokenledger import pi', () => {
  const LEGACY =
    'sessions/--tmp-scratch--/2025-11-20T08-00-00-000Z_0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d.jsonl';
  const hourAgo = () => new Date(Date.now() - 3_600_000);

  it("keeps a fork's copy of its parent's turns once, as the parent's", async () => {
    const out = await ok(['import', 'pi', join(FIX, 'pi/agent')]);
    expect(out).toContain('duplicates (already in the ledger): 1');
    const r = JSON.parse(await ok(['report', '--by', 'session_id', '--format', 'json']));
    const events = Object.fromEntries(
      r.rows.map((x: { session_id: string; events: number }) => [x.session_id, x.events]),
    );
    expect(events).toEqual({
      '5b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e': 6,
      '8e7f6a5b-1c2d-4e3f-9a0b-c1d2e3f4a5b6': 1,
      '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d': 2,
    });
  });

  it('reads a grown session on from where the last import stopped, and stores only its new turns', async () => {
    const agent = join(mkdtempSync(join(tmpdir(), 'tl-pi-')), 'agent');
    const log = join(agent, LEGACY);
    mkdirSync(join(log, '..'), { recursive: true });
    writeFileSync(log, readFileSync(join(FIX, 'pi/agent', LEGACY)));
    utimesSync(log, hourAgo(), hourAgo());
    expect(await ok(['import', 'pi', agent])).toContain(
      'imported 2 events from 1 file (4 lines, 2 events read)',
    );
    const turn = {
      type: 'message',
      id: 'c3000001',
      parentId: null,
      timestamp: '2025-11-20T08:05:00.000Z',
      message: {
        role: 'assistant',
        content: [{ type: 'text', text: 'More.' }],
        api: 'anthropic-messages',
        provider: 'anthropic',
        model: 'claude-sonnet-4-20250514',
        usage: { input: 3, output: 30, cacheRead: 4200, cacheWrite: 0, totalTokens: 4233 },
        stopReason: 'stop',
        timestamp: Date.parse('2025-11-20T08:04:50.000Z'),
      },
    };
    writeFileSync(log, `${readFileSync(log, 'utf8')}${JSON.stringify(turn)}\n`);
    utimesSync(log, hourAgo(), hourAgo());
    const again = await ok(['import', 'pi', agent]);
    expect(again).toContain('imported 1 event from 1 file (1 line, 1 event read)');
    expect(again).toContain('incremental: 0 unchanged (not read), 1 read on from the last import');
    const r = JSON.parse(await ok(['report', '--by', 'session_id,project', '--format', 'json']));
    // Read on from the middle, the new turn still has the session and project its header gave.
    expect(r.rows).toMatchObject([
      {
        session_id: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
        project: 'scratch',
        events: 3,
        cache_read_tokens: 4200,
      },
    ]);
  });

  it('import auto finds pi sessions in ~/.pi/agent/sessions', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-home-'));
    const agent = join(home, '.pi/agent');
    mkdirSync(join(agent, 'sessions/--tmp-scratch--'), { recursive: true });
    writeFileSync(join(agent, LEGACY), readFileSync(join(FIX, 'pi/agent', LEGACY)));
    utimesSync(join(agent, LEGACY), hourAgo(), hourAgo());
    const out = await withoutAgentLogs(home, () => ok(['import', 'auto']));
    expect(out).toContain(`pi: 1 log file in ${join(agent, 'sessions')}`);
    expect((await totals()).events).toBe(2);
  });
});

describe('tokenledger import auto', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('finds every local agent log it knows, says what it did not find, and imports each once', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-home-'));
    vi.stubEnv('HOME', home);
    vi.stubEnv('CLAUDE_CONFIG_DIR', join(FIX, 'claude-code/config'));
    vi.stubEnv('CODEX_HOME', join(FIX, 'codex/home'));
    vi.stubEnv('GEMINI_DATA_DIR', join(home, 'no-gemini'));
    vi.stubEnv('COPILOT_HOME', '');
    vi.stubEnv('PI_CODING_AGENT_DIR', '');
    // Amp is found in its default folder under HOME (~/.local/share/amp), nothing naming another.
    const ampDir = join(home, '.local/share/amp');
    cpSync(join(FIX, 'amp/data'), ampDir, { recursive: true, preserveTimestamps: true });
    for (const v of ['AMP_DATA_DIR', 'AMP_DATA_HOME', 'XDG_DATA_HOME', 'QWEN_RUNTIME_DIR', 'QWEN_HOME'])
      vi.stubEnv(v, '');
    const out = await ok(['import', 'auto']);
    expect(out).toContain(`claude-code: 3 log files in ${join(FIX, 'claude-code/config')}`);
    expect(out).toContain(`codex: 3 log files in ${join(FIX, 'codex/home')}`);
    expect(out).toContain(`gemini-cli: no logs found (not found: ${join(home, 'no-gemini')})`);
    expect(out).toContain(`amp: 6 log files in ${ampDir}`);
    const claude = await direct(
      'claude-code',
      (
        await IMPORT_KINDS['claude-code']!.discover!({
          env: { CLAUDE_CONFIG_DIR: join(FIX, 'claude-code/config') },
          home,
        })
      ).files,
    );
    const codex = await direct(
      'codex',
      (await IMPORT_KINDS.codex!.discover!({ env: { CODEX_HOME: join(FIX, 'codex/home') }, home })).files,
    );
    const amp = await direct('amp', (await IMPORT_KINDS.amp!.discover!({ env: {}, home })).files);
    expect(amp.events).toBe(10);
    expect((await totals()).events).toBe(claude.events + codex.events + amp.events);
    // Local agent logs are attributed to the OS user when --user is not given.
    const byUser = JSON.parse(await ok(['report', '--by', 'user', '--format', 'json']));
    expect(byUser.rows.map((r: { user: string | null }) => r.user)).toEqual([userInfo().username]);
    const again = await ok(['import', 'auto']);
    expect(again.match(/imported 0 events/g)).toHaveLength(3);
  });
});

describe('tokenledger import copilot', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('import auto finds Copilot CLI sessions in ~/.copilot/session-state', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-home-'));
    cpSync(join(FIX, 'copilot/home'), join(home, '.copilot'), { recursive: true });
    vi.stubEnv('HOME', home);
    vi.stubEnv('COPILOT_HOME', '');
    vi.stubEnv('CLAUDE_CONFIG_DIR', join(home, 'no-claude'));
    vi.stubEnv('CODEX_HOME', join(home, 'no-codex'));
    vi.stubEnv('GEMINI_DATA_DIR', join(home, 'no-gemini'));
    for (const v of [
      'PI_CODING_AGENT_DIR',
      'AMP_DATA_DIR',
      'AMP_DATA_HOME',
      'XDG_DATA_HOME',
      'QWEN_RUNTIME_DIR',
      'QWEN_HOME',
    ])
      vi.stubEnv(v, '');
    const out = await ok(['import', 'auto']);
    expect(out).toContain(`copilot: 3 log files in ${join(home, '.copilot')}`);
    const want = await direct('copilot', (await IMPORT_KINDS.copilot!.discover!({ env: {}, home })).files);
    expect(want.events).toBe(5);
    expect((await totals()).events).toBe(want.events);
  });

  it('a grown session log adds only the shutdowns written since the last import', async () => {
    const src = join(FIX, 'copilot/home/session-state/3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/events.jsonl');
    const lines = readFileSync(src, 'utf8').split('\n');
    const dir = join(mkdtempSync(join(tmpdir(), 'tl-copilot-')), '3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d');
    mkdirSync(dir);
    const log = join(dir, 'events.jsonl');
    const hourAgo = new Date(Date.now() - 3_600_000);
    writeFileSync(log, `${lines.slice(0, 4).join('\n')}\n`);
    utimesSync(log, hourAgo, hourAgo);
    expect(await ok(['import', 'copilot', dir])).toContain('imported 2 events');
    // The session is resumed in api/ and left again: its shutdown is appended.
    writeFileSync(log, lines.join('\n'));
    utimesSync(log, hourAgo, hourAgo);
    const grown = await ok(['import', 'copilot', dir]);
    expect(grown).toContain('imported 2 events');
    expect(grown).toMatch(/\(5 lines, 2 events read\)/);
    const r = JSON.parse(await ok(['report', '--by', 'project,model_requested', '--format', 'json']));
    expect(
      r.rows.map((x: Record<string, string | number>) => [x.project, x.model_requested, x.input_tokens]),
    ).toEqual(
      expect.arrayContaining([
        ['shop', 'claude-sonnet-4.5', 47_300],
        ['shop', 'gpt-5-mini', 1_200],
        ['api', 'claude-opus-4.6-1m', 3_000],
        ['api', 'claude-sonnet-4.5', 900],
      ]),
    );
    expect((await totals()).events).toBe(4);
  });
});

describe('tokenledger import qwen-code', () => {
  const SESSION = '7d3c9a1e-2b4f-4c6d-8e0a-1f2b3c4d5e6f.jsonl';
  const chats = join(FIX, 'qwen-code/projects/-home-ana-shop/chats');
  const hourAgo = () => new Date(Date.now() - 3_600_000);

  it('import auto finds Qwen Code chats in ~/.qwen/projects, and a /branch copy of a call counts once', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-home-'));
    cpSync(join(FIX, 'qwen-code/projects'), join(home, '.qwen/projects'), {
      recursive: true,
      preserveTimestamps: true,
    });
    const out = await withoutAgentLogs(home, () => ok(['import', 'auto']));
    expect(out).toContain(`qwen-code: 2 log files in ${join(home, '.qwen/projects')}`);
    const want = await direct(
      'qwen-code',
      (await IMPORT_KINDS['qwen-code']!.discover!({ env: {}, home })).files,
    );
    // 5 calls in the session, the fork's own call; the fork's copy of the session's first call is the same event.
    expect(want.events).toBe(6);
    const t = await totals();
    expect([t.events, t.input_tokens, t.cache_read_tokens, t.output_tokens]).toEqual([
      6,
      4000 + 3050 + 500 + 900 + 100 + 2000,
      8000 + 12000 + 2500 + 12000,
      400 + 500 + 120 + 60 + 10 + 250,
    ]);
  });

  it('a grown chat log adds only the calls written since the last import', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tl-qwen-')), 'chats');
    mkdirSync(dir);
    const log = join(dir, SESSION);
    const lines = readFileSync(join(chats, SESSION), 'utf8').split('\n');
    writeFileSync(log, `${lines.slice(0, 4).join('\n')}\n`);
    utimesSync(log, hourAgo(), hourAgo());
    expect(await ok(['import', 'qwen-code', dir])).toContain(
      'imported 1 event from 1 file (4 lines, 1 event read)',
    );
    // The session goes on: Qwen Code appends lines 5–8.
    writeFileSync(log, `${lines.slice(0, 8).join('\n')}\n`);
    utimesSync(log, hourAgo(), hourAgo());
    const grown = await ok(['import', 'qwen-code', dir]);
    expect(grown).toContain('imported 3 events from 1 file (4 lines, 3 events read)');
    expect(grown).toContain('1 read on from the last import');
    const r = JSON.parse(await ok(['report', '--by', 'model_requested', '--format', 'json']));
    expect(
      r.rows.map((x: Record<string, string | number>) => [
        x.model_requested,
        x.input_tokens,
        x.output_tokens,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['coder-model', 4000, 400],
        ['gemini-2.5-pro', 3050, 500],
        ['claude-sonnet-4-5', 500, 120],
        ['qwen3-coder-plus', 900, 60],
      ]),
    );
    expect((await totals()).events).toBe(4);
  });
});

const AGENT_LOGS = resolve(import.meta.dirname, '../../../shared/data/agent-logs');
const parity = existsSync(join(AGENT_LOGS, 'claude.expected-ccusage.json'));

describe.skipIf(!parity)('tokenledger import claude-code on ../shared/data/agent-logs/claude', () => {
  it('stores per-session, per-model token counts equal to ccusage 20.0.24 (through the whole pipeline)', async () => {
    // A settled copy: CI's copy of shared/ is minutes old, and the importer holds back the tail of fresh logs.
    const out = await ok(['import', 'claude-code', settledFixtures(join(AGENT_LOGS, 'claude'))]);
    expect(out).toContain('skipped: 0');
    const r = JSON.parse(await ok(['report', '--by', 'session_id,model_requested', '--format', 'json']));
    const got = Object.fromEntries(
      r.rows.map((x: Record<string, string | number>) => [
        `${x.session_id} ${x.model_requested}`,
        [
          x.input_tokens,
          x.output_tokens,
          Number(x.cache_write_5m_tokens) + Number(x.cache_write_1h_tokens),
          x.cache_read_tokens,
        ],
      ]),
    );
    const expected = JSON.parse(readFileSync(join(AGENT_LOGS, 'claude.expected-ccusage.json'), 'utf8'));
    const want: Record<string, number[]> = {};
    for (const s of expected.sessions)
      for (const b of s.modelBreakdowns)
        want[`${s.sessionIdInLog} ${b.model}`] = [
          b.inputTokens,
          b.outputTokens,
          b.cacheCreationTokens,
          b.cacheReadTokens,
        ];
    expect(got).toEqual(want);
  });
});

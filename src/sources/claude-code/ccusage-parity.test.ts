import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../../ledger/event.js';
import type { Skip } from '../source.js';
import { claudeCodeSource } from './parse.js';
import { findClaudeCodeFiles } from './paths.js';

/**
 * Acceptance (issue 3, point 1): on real Claude Code logs every per-session, per-model token count equals what
 * ccusage 20.0.24 reports. The logs are read where they are (read-only, outside the repository).
 */
const REPO = join(import.meta.dirname, '../../..');
const DATA = join(REPO, '../shared/data/agent-logs/claude');
const EXPECTED = join(REPO, '../shared/data/agent-logs/claude.expected-ccusage.json');
const present = existsSync(DATA) && existsSync(EXPECTED);

interface Breakdown {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}
interface Expected {
  sessions: { sessionId: string; sessionIdInLog: string; modelBreakdowns: Breakdown[] }[];
}

describe.skipIf(!present)('claude-code parity with ccusage on ../shared/data/agent-logs/claude', () => {
  it('matches every per-session, per-model token count exactly', async () => {
    const { files, missing } = await findClaudeCodeFiles({
      env: { CLAUDE_CONFIG_DIR: DATA },
      home: '/nonexistent',
    });
    expect(missing).toEqual([]);
    expect(files.length).toBe(12);

    const events: UnpricedEvent[] = [];
    const skips: Skip[] = [];
    for (const path of files) {
      const p = claudeCodeSource.open(
        { path, ingestedAt: 0 },
        { event: (e) => events.push(e), skip: (s) => skips.push(s) },
      );
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((t, i) => {
          p.line(t, i + 1);
        });
      p.end();
    }
    expect(skips).toEqual([]);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);

    const got = new Map<string, Breakdown>();
    for (const e of events) {
      const key = `${e.session_id} ${e.model}`;
      const b = got.get(key) ?? {
        model: e.model,
        inputTokens: 0,
        outputTokens: 0,
        cacheCreationTokens: 0,
        cacheReadTokens: 0,
      };
      // ccusage's inputTokens is uncached input (our input_tokens); its cacheCreationTokens is 5m + 1h writes.
      b.inputTokens += e.input_tokens;
      b.outputTokens += e.output_tokens;
      b.cacheCreationTokens += e.cache_write_5m_tokens + e.cache_write_1h_tokens;
      b.cacheReadTokens += e.cache_read_tokens;
      got.set(key, b);
    }
    const expected = JSON.parse(readFileSync(EXPECTED, 'utf8')) as Expected;
    const want = new Map<string, Breakdown>();
    for (const s of expected.sessions) {
      for (const {
        model,
        inputTokens,
        outputTokens,
        cacheCreationTokens,
        cacheReadTokens,
      } of s.modelBreakdowns) {
        want.set(`${s.sessionIdInLog} ${model}`, {
          model,
          inputTokens,
          outputTokens,
          cacheCreationTokens,
          cacheReadTokens,
        });
      }
    }
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
  });
});

if (!present) console.warn(`claude-code parity test skipped: ${DATA} or ${EXPECTED} is absent`);

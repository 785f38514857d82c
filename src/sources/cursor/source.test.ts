import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectFile } from '../collect-sink.js';
import { cursorSource } from './source.js';

const dir = join(import.meta.dirname, '../../../test/fixtures/cursor');
const run = (name: string) => collectFile(cursorSource, join(dir, name), { path: name, ingestedAt: 1 });

describe('cursor: filtered-usage-events', () => {
  it('maps each usage event to one request with exact tokens and cents', async () => {
    const { events, skips } = await run('usage-events.json');
    expect(skips).toEqual([]);
    expect(events).toHaveLength(4);
    const [opus, requestBased, gpt, sparse] = events;
    expect(opus).toMatchObject({
      source: 'cursor',
      source_ref: 'usage-events.json:1#usageEvents[0]',
      agent: 'cursor',
      provider: 'anthropic',
      user: 'developer@company.com',
      model: 'claude-4-opus',
      ts: 1750979225854_000,
      requests: 1,
      input_tokens: 126,
      output_tokens: 450,
      cache_write_5m_tokens: 6112,
      cache_write_1h_tokens: 0,
      cache_read_tokens: 11964,
      provider_cost_usd: 201_823_200_000n, // 20.18232 cents = $0.2018232
    });
    expect(opus!.tags).toEqual({
      kind: 'Usage-based',
      max_mode: 'true',
      is_token_based_call: 'true',
      requests_costs: '5',
    });
    expect(requestBased).toMatchObject({
      input_tokens: 0,
      output_tokens: 0,
      provider_cost_usd: null,
      requests: 1,
    });
    expect(requestBased!.tags.is_token_based_call).toBe('false');
    expect(gpt).toMatchObject({
      provider: 'openai',
      user: 'bob@company.com',
      provider_cost_usd: 1_000_000_000n,
    });
    expect(sparse).toMatchObject({
      model: 'cursor-small-unknown',
      provider: null,
      user: null,
      cache_read_tokens: 0,
      provider_cost_usd: null,
    });
    expect(events.reduce((n, e) => n + (e.provider_cost_usd ?? 0n), 0n)).toBe(202_823_200_000n);
  });

  it('gives stable, distinct ids and applies command-line attribution', async () => {
    const a = await collectFile(cursorSource, join(dir, 'usage-events.json'), {
      path: 'x',
      defaults: { user: 'me' },
    });
    const b = await run('usage-events.json');
    expect(a.events.map((e) => e.event_id)).toEqual(b.events.map((e) => e.event_id));
    expect(new Set(a.events.map((e) => e.event_id)).size).toBe(4);
    expect(a.events[3]!.user).toBe('me');
    expect(a.events[0]!.user).toBe('developer@company.com');
  });
});

describe('cursor: damaged input', () => {
  it('reads JSONL responses and reports the truncated last line', async () => {
    const { events, skips } = await run('pages.jsonl');
    expect(events.map((e) => e.model)).toEqual(['claude-4-opus', 'gpt-5']);
    expect(skips).toEqual([{ ref: 'pages.jsonl:3', code: 'SRC_TRUNCATED', reason: expect.any(String) }]);
  });

  it('locates malformed JSON, reports truncation, and imports nothing from an empty response', async () => {
    expect((await run('malformed.json')).skips).toEqual([
      { ref: 'malformed.json:14', code: 'SRC_BAD_JSON', reason: expect.any(String) },
    ]);
    expect((await run('truncated.json')).skips).toEqual([
      { ref: 'truncated.json:1', code: 'SRC_TRUNCATED', reason: expect.any(String) },
    ]);
    const empty = await run('empty.json');
    expect([empty.events, empty.skips]).toEqual([[], []]);
  });

  it('skips each bad usage event with the line it is on, its JSON path and reason, and keeps the good one', async () => {
    const { events, skips } = await run('edge-cases.json');
    expect(events.map((e) => [e.user, e.provider_cost_usd])).toEqual([['ok@company.com', 700_000_000n]]);
    expect(skips.map((s) => [s.ref, s.code, s.reason.split(':')[0]])).toEqual([
      ['edge-cases.json:4', 'SRC_BAD_RECORD', 'usageEvents[1].timestamp'],
      ['edge-cases.json:5', 'SRC_BAD_RECORD', 'usageEvents[2].timestamp'],
      ['edge-cases.json:6', 'SRC_NUMBER_TOO_LARGE', 'usageEvents[3].tokenUsage.inputTokens'],
      ['edge-cases.json:7', 'SRC_BAD_RECORD', 'usageEvents[4].tokenUsage.totalCents'],
      ['edge-cases.json:8', 'SRC_NUMBER_TOO_LARGE', 'usageEvents[5].tokenUsage.totalCents'],
      ['edge-cases.json:9', 'SRC_NOT_UTF8', 'usageEvents[6].userEmail'],
      ['edge-cases.json:10', 'SRC_BAD_RECORD', 'usageEvents[7].maxMode'],
      ['edge-cases.json:11', 'SRC_BAD_RECORD', 'usageEvents[8]'],
    ]);
  });
});

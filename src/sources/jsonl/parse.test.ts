import { describe, expect, it } from 'vitest';
import { parseLines } from '../../../test/helpers/parse-lines.js';
import { jsonlSource } from './parse.js';

const base = { ts: '2026-11-03T09:12:44.120551Z', model: 'claude-sonnet-4-5' };
const line = (o: object) => JSON.stringify({ ...base, ...o });

describe('jsonl source', () => {
  it('reads a canonical record with defaults for what it leaves out', () => {
    const { events, skips } = parseLines(jsonlSource, [
      line({ user: 'ana', input_tokens: 1200, output_tokens: 640, tags: { ticket: 'PAY-1' } }),
    ]);
    expect(skips).toEqual([]);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e).toMatchObject({
      source: 'jsonl',
      source_ref: 'test.in:1',
      ts: Date.UTC(2026, 10, 3, 9, 12, 44) * 1000 + 120_551,
      user: 'ana',
      model: 'claude-sonnet-4-5',
      requests: 1,
      input_tokens: 1200,
      cache_read_tokens: 0,
      output_tokens: 640,
      status: 'ok',
      tags: { ticket: 'PAY-1' },
      given_cost: null,
    });
    expect(e.event_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('gives the same record the same id wherever it is read, and different records different ids', () => {
    const a = parseLines(jsonlSource, [line({ input_tokens: 5 })], { path: 'one.jsonl' }).events[0]!;
    const b = parseLines(jsonlSource, ['', line({ input_tokens: 5 })], { path: 'two.jsonl' }).events[0]!;
    const c = parseLines(jsonlSource, [line({ input_tokens: 6 })]).events[0]!;
    expect(a.event_id).toBe(b.event_id);
    expect(a.event_id).not.toBe(c.event_id);
  });

  it('tells apart records without ids that differ only in a tag, and keeps the id of a record without tags', () => {
    const [alpha, beta] = parseLines(jsonlSource, [
      line({ input_tokens: 5, tags: { project: 'alpha' } }),
      line({ input_tokens: 5, tags: { project: 'beta' } }),
    ]).events;
    expect(alpha!.event_id).not.toBe(beta!.event_id);
    // Tag order is no difference.
    const ab = parseLines(jsonlSource, [line({ input_tokens: 5, tags: { a: '1', b: '2' } })]).events[0]!;
    const ba = parseLines(jsonlSource, [line({ input_tokens: 5, tags: { b: '2', a: '1' } })]).events[0]!;
    expect(ab.event_id).toBe(ba.event_id);
    // The id earlier versions gave this record, so importing its file again stores nothing twice.
    const plain = parseLines(jsonlSource, [line({ input_tokens: 5, team: 'web' })]).events[0]!;
    expect(plain.event_id).toBe('1791e301f35bc5ea');
  });

  it('keeps ledger ids as they are and hashes foreign ids with the source', () => {
    const own = parseLines(jsonlSource, [line({ event_id: '0123456789abcdef' })]).events[0]!;
    expect(own.event_id).toBe('0123456789abcdef');
    const foreign = parseLines(jsonlSource, [line({ event_id: 'req_123' })]).events[0]!;
    expect(foreign.event_id).toMatch(/^[0-9a-f]{16}$/);
    expect(foreign.event_id).not.toBe('req_123');
  });

  it('keeps a cost the record carries as a provider cost, exactly', () => {
    const e = parseLines(jsonlSource, [line({ cost_usd: '0.001234567891', cost_input: 0.001 })]).events[0]!;
    expect(e.given_cost).toEqual({
      cost_usd: 1_234_567_891n,
      cost_input: 1_000_000_000n,
      cost_cache_read: null,
      cost_cache_write: null,
      cost_output: null,
      cost_source: 'provider',
      price_version: null,
    });
    const exported = parseLines(jsonlSource, [
      line({ cost_usd: '1.5', cost_source: 'computed', price_version: 'v1' }),
    ]).events[0]!;
    expect(exported.given_cost?.cost_source).toBe('computed');
    expect(exported.given_cost?.price_version).toBe('v1');
  });

  it('skips bad lines with file:line and the field at fault, and keeps the good ones', () => {
    const { events, skips } = parseLines(
      jsonlSource,
      [
        line({ input_tokens: 1 }),
        '{"ts": "2026-11-03", "model": ',
        line({ output_tokens: -3 }),
        line({ inputTokens: 5 }),
        JSON.stringify({ model: 'x' }),
        line({ output_tokens: 10, reasoning_tokens: 11 }),
        line({ input_tokens: 2 ** 60 }),
        '[1,2]',
        line({ ts: 'yesterday' }),
        line({ cost_usd: 'ten dollars' }),
        line({ input_tokens: 2 }),
      ],
      { path: 'usage.jsonl' },
    );
    expect(events.map((e) => e.input_tokens)).toEqual([1, 2]);
    expect(skips.map((s) => [s.ref, s.code])).toEqual([
      ['usage.jsonl:2', 'SRC_BAD_JSON'],
      ['usage.jsonl:3', 'SRC_BAD_RECORD'],
      ['usage.jsonl:4', 'SRC_BAD_RECORD'],
      ['usage.jsonl:5', 'SRC_BAD_RECORD'],
      ['usage.jsonl:6', 'SRC_BAD_RECORD'],
      ['usage.jsonl:7', 'SRC_BAD_RECORD'],
      ['usage.jsonl:8', 'SRC_BAD_RECORD'],
      ['usage.jsonl:9', 'SRC_BAD_RECORD'],
      ['usage.jsonl:10', 'SRC_BAD_RECORD'],
    ]);
    expect(skips[1]!.reason).toMatch(/^output_tokens: /);
    expect(skips[2]!.reason).toMatch(/inputTokens/);
    expect(skips[3]!.reason).toMatch(/^ts: /);
    expect(skips[4]!.reason).toMatch(/^reasoning_tokens: .*part of output_tokens/);
    expect(skips[5]!.reason).toMatch(/too large/);
    expect(skips[7]!.reason).toMatch(/yesterday/);
    expect(skips[8]!.reason).toMatch(/ten dollars/);
  });

  it('fills attribution the user gave only where the record has none', () => {
    const { events } = parseLines(jsonlSource, [line({ user: 'ana' }), line({})], {
      defaults: { user: 'bob', team: 'web' },
    });
    expect(events.map((e) => [e.user, e.team])).toEqual([
      ['ana', 'web'],
      ['bob', 'web'],
    ]);
  });

  it("reads an empty attribution field as none, as a CSV file's empty cell: the default fills it", () => {
    const { events } = parseLines(
      jsonlSource,
      [line({ user: '', team: '', project: '', session_id: '', agent: '', provider: '' })],
      { defaults: { user: 'bob', team: 'web' } },
    );
    expect(events.map((e) => [e.user, e.team, e.project, e.session_id, e.agent, e.provider])).toEqual([
      ['bob', 'web', null, null, null, null],
    ]);
  });
});

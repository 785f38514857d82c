import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventId } from '../../ledger/event-id.js';
import { collectFile } from '../collect-sink.js';
import { openaiUsageSource } from './source.js';

const dir = join(import.meta.dirname, '../../../test/fixtures/openai-usage');
const run = (name: string) => collectFile(openaiUsageSource, join(dir, name), { path: name, ingestedAt: 42 });

describe('openai-usage: completions pages', () => {
  it('splits cached tokens out of input and keeps request counts and group keys', async () => {
    const { events, skips } = await run('completions-page.json');
    expect(skips).toEqual([]);
    expect(events).toHaveLength(4);
    const [mini, batch, audio, unknown] = events;
    expect(mini).toMatchObject({
      source: 'openai-usage',
      source_ref: 'completions-page.json:1#data[0].results[0]',
      ingested_at: 42,
      ts: 1730419200_000_000,
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      project: 'proj_abc',
      user: 'user-alice',
      api_key_id: 'key_abc',
      service_tier: 'default',
      requests: 5,
      input_tokens: 200,
      cache_read_tokens: 800,
      output_tokens: 500,
      cache_write_5m_tokens: 0,
      cache_write_1h_tokens: 0,
    });
    expect(mini!.tags).toEqual({ bucket_seconds: '86400' });
    expect(batch).toMatchObject({
      service_tier: 'batch',
      requests: 40,
      input_tokens: 20000,
      cache_read_tokens: 0,
    });
    // Audio tokens are parts of the input and output counts, kept as such (priced at audio rates).
    expect(audio).toMatchObject({
      input_tokens: 3176,
      input_audio_tokens: 1200,
      cache_read_tokens: 1024,
      output_tokens: 910,
      output_audio_tokens: 300,
      user: 'user-bob',
    });
    expect(audio!.tags).not.toHaveProperty('input_audio_tokens');
    // null cached tokens count as 0; null batch leaves the reported tier; null user falls back to --user.
    expect(unknown).toMatchObject({
      model: 'gpt-9-ultra-preview',
      service_tier: 'flex',
      input_tokens: 7,
      user: null,
    });
    expect(events.reduce((n, e) => n + e.requests, 0)).toBe(49);
    expect(events.reduce((n, e) => n + e.input_tokens + e.cache_read_tokens, 0)).toBe(
      1000 + 20000 + 4200 + 7,
    );
  });

  it('derives ids from bucket and group keys, stable across runs and distinct across results', async () => {
    const a = await run('completions-page.json');
    const b = await run('completions-page.json');
    expect(a.events.map((e) => e.event_id)).toEqual(b.events.map((e) => e.event_id));
    expect(new Set(a.events.map((e) => e.event_id)).size).toBe(4);
    expect(a.events[0]!.event_id).toBe(
      eventId(
        'openai-usage',
        'completions',
        1730419200_000_000,
        1730505600_000_000,
        'proj_abc',
        'user-alice',
        'key_abc',
        'gpt-4o-mini-2024-07-18',
        'false',
        'default',
      ),
    );
  });

  it('keeps ungrouped results under an unreported model and applies command-line attribution', async () => {
    const { events } = await collectFile(openaiUsageSource, join(dir, 'completions-ungrouped.json'), {
      path: 'u.json',
      defaults: { user: 'cli-user', project: 'cli-project' },
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      model: 'unknown',
      model_requested: null,
      user: 'cli-user',
      project: 'cli-project',
    });
    expect(events[0]!.tags.model_unreported).toBe('true');
  });
});

describe('openai-usage: web search and file search pages', () => {
  // openai/openai-ruby lib/openai/models/admin/organization/usage_web_search_calls_response.rb (generated from
  // OpenAI's spec): `organization.usage.web_searches.result` has num_requests ("The count of web search calls"),
  // num_model_requests, and the group keys project_id, user_id, api_key_id, model, context_level;
  // `organization.usage.file_searches.result` has num_requests ("The count of file search calls") and vector_store_id.
  it('imports web search calls as the searches of an event, its model calls left to the completions page', async () => {
    const { events, skips } = await run('web-searches-page.json');
    expect(events).toHaveLength(2);
    const [medium, high] = events;
    expect(medium).toMatchObject({
      source_ref: 'web-searches-page.json:1#data[0].results[0]',
      provider: 'openai',
      operation: 'web_searches',
      model: 'gpt-5',
      project: 'proj_abc',
      user: 'user-alice',
      api_key_id: 'key_abc',
      web_search_requests: 1500,
      // The 600 calls that searched are counted, with their tokens, in the completions page of the same bucket.
      requests: 0,
      input_tokens: 0,
      output_tokens: 0,
    });
    expect(medium!.tags).toEqual({ bucket_seconds: '86400', context_level: 'medium' });
    expect(high).toMatchObject({ web_search_requests: 40, requests: 0 });
    expect(medium!.event_id).not.toBe(high!.event_id);
    expect(skips).toEqual([
      {
        ref: 'web-searches-page.json:30',
        code: 'SRC_UNSUPPORTED_RECORD',
        reason: expect.stringContaining(
          '(a page of /v1/organization/usage/file_searches, which counts file search calls',
        ),
      },
    ]);
  });
});

describe('openai-usage: audio transcriptions pages', () => {
  // The reference's "Audio transcriptions usage object": `seconds` ("The number of seconds processed", a number),
  // num_model_requests and the group keys project_id, user_id, api_key_id, model.
  it('imports the seconds of audio as the audio_ms of a transcription event, fractions exact, bad counts skipped', async () => {
    const { events, skips } = await run('audio-transcriptions-page.json');
    expect(events).toHaveLength(2);
    const [alice, bob] = events;
    expect(alice).toMatchObject({
      source_ref: 'audio-transcriptions-page.json:1#data[0].results[0]',
      provider: 'openai',
      operation: 'transcription',
      model: 'whisper-1',
      project: 'proj_abc',
      user: 'user-alice',
      api_key_id: 'key_abc',
      requests: 3,
      audio_ms: 20_000,
      input_tokens: 0,
      output_tokens: 0,
    });
    expect(alice!.tags).toEqual({ bucket_seconds: '86400' });
    expect(bob).toMatchObject({ user: 'user-bob', requests: 1, audio_ms: 100 });
    expect(alice!.event_id).not.toBe(bob!.event_id);
    expect(skips).toEqual([
      {
        ref: 'audio-transcriptions-page.json:11',
        code: 'SRC_BAD_RECORD',
        reason: 'data[0].results[2].seconds: expected a non-negative number of seconds, got -4',
      },
      {
        ref: 'audio-transcriptions-page.json:12',
        code: 'SRC_UNSUPPORTED_RECORD',
        reason: expect.stringContaining(
          '(a page of /v1/organization/usage/audio_speeches, which counts characters',
        ),
      },
    ]);
  });
});

describe('openai-usage: costs pages', () => {
  it('reads amounts exactly through their shortest decimal string', async () => {
    const { costs, events, skips } = await run('costs-page.json');
    expect(skips).toEqual([]);
    expect(events).toEqual([]);
    expect(costs.map((c) => c.amount)).toEqual([
      60_000_000_000n,
      1_005_000_000_000n,
      300_000_000_000n,
      12_345_678_901_000_000n,
      100_000n,
    ]);
    expect(costs[1]).toMatchObject({
      source: 'openai-usage',
      provider: 'openai',
      currency: 'USD',
      line_item: 'gpt-4o-2024-08-06, input',
      project: 'proj_abc',
      bucket_start: 1730419200_000_000,
      bucket_end: 1730505600_000_000,
    });
    expect(new Set(costs.map((c) => c.record_id)).size).toBe(5);
  });

  it('gives a cost line with no project_id the --project its usage gets, keeping its id', async () => {
    const plain = await run('costs-page.json');
    const { costs } = await collectFile(openaiUsageSource, join(dir, 'costs-page.json'), {
      path: 'costs-page.json',
      defaults: { project: 'cli-project' },
    });
    expect(costs.map((c) => c.project)).toEqual([
      'cli-project',
      'proj_abc',
      'proj_abc',
      'proj_xyz',
      'proj_xyz',
    ]);
    expect(costs.map((c) => c.record_id)).toEqual(plain.costs.map((c) => c.record_id));
  });
});

describe('openai-usage: damaged input', () => {
  it('reads JSONL pages and reports the truncated last line', async () => {
    const { events, costs, skips } = await run('pages.jsonl');
    expect(events).toHaveLength(1);
    expect(costs).toHaveLength(1);
    expect(costs[0]!.amount).toBe(2_500_000_000_000n);
    expect(skips).toEqual([
      { ref: 'pages.jsonl:3', code: 'SRC_TRUNCATED', reason: expect.stringContaining('truncated') },
    ]);
  });

  it('locates malformed JSON at the line of the error', async () => {
    const { events, skips } = await run('malformed.json');
    expect(events).toEqual([]);
    expect(skips).toHaveLength(1);
    expect(skips[0]).toMatchObject({ ref: 'malformed.json:11', code: 'SRC_BAD_JSON' });
  });

  it('reports a truncated document once, at its first line', async () => {
    const { events, skips } = await run('truncated.json');
    expect(events).toEqual([]);
    expect(skips).toEqual([{ ref: 'truncated.json:1', code: 'SRC_TRUNCATED', reason: expect.any(String) }]);
  });

  it('imports nothing from an empty page and refuses an error body', async () => {
    const empty = await run('empty.json');
    expect([empty.events, empty.skips, empty.costs]).toEqual([[], [], []]);
    const error = await run('error-response.json');
    expect(error.events).toEqual([]);
    expect(error.skips).toEqual([
      { ref: 'error-response.json:1', code: 'SRC_UNKNOWN_DOCUMENT', reason: expect.any(String) },
    ]);
  });

  it('skips each bad record with the line it is on, its JSON path and reason, and keeps the good one', async () => {
    const { events, costs, skips } = await run('edge-cases.json');
    expect(events.map((e) => e.project)).toEqual(['proj_ok']);
    expect(costs).toEqual([]);
    const got = skips.map((s) => [s.ref, s.code, s.reason.split(':')[0]]);
    expect(got).toEqual([
      ['edge-cases.json:10', 'SRC_BAD_RECORD', 'data[0].results[1].input_tokens'],
      ['edge-cases.json:11', 'SRC_BAD_RECORD', 'data[0].results[2].num_model_requests'],
      ['edge-cases.json:12', 'SRC_NUMBER_TOO_LARGE', 'data[0].results[3].input_tokens'],
      ['edge-cases.json:13', 'SRC_BAD_RECORD', 'data[0].results[4].input_cached_tokens'],
      ['edge-cases.json:14', 'SRC_UNSUPPORTED_RECORD', 'data[0].results[5].object'],
      ['edge-cases.json:15', 'SRC_BAD_RECORD', 'data[0].results[6].output_tokens'],
      ['edge-cases.json:16', 'SRC_NOT_UTF8', 'data[0].results[7].model'],
      ['edge-cases.json:17', 'SRC_NUMBER_TOO_LARGE', 'data[0].results[8].amount.value'],
      ['edge-cases.json:18', 'SRC_BAD_RECORD', 'data[0].results[9].amount.value'],
      ['edge-cases.json:21', 'SRC_BAD_RECORD', 'data[1].start_time'],
    ]);
    expect(skips[1]!.reason).toContain('got null');
  });
});

/**
 * Issue 3, points 4–6: provider exports imported through the real CLI into a real DuckDB ledger, checked against what
 * the export says and what the published prices give. Each page is shaped as the provider's API reference documents
 * it (cited above each builder); ids and counts are invented. Prices, USD per 1M tokens:
 * - Claude Sonnet 4.5: $3 input, $15 output; requests over 200k input tokens $6 / $22.50
 *   (https://platform.claude.com/docs/en/about-claude/pricing, "Long context pricing").
 * - GPT-5.4: $2.50 input, $15 output; requests over 272k input tokens $5 / $22.50 (the bundled genai-prices catalog).
 */
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatUsd } from '../../src/money/money.js';
import { loadBundledCatalog } from '../../src/pricing/bundled-catalog.js';
import { createPricer } from '../../src/pricing/pricer.js';
import { unpricedEvent } from '../../src/pricing/unpriced-event.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tl-exp-'));
  db = join(dir, 'ledger.duckdb');
});

async function ok(args: string[]) {
  const r = await runCli([...args, '--db', db]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

/** `tokenledger report --by DIMS --format json` rows, keyed by the joined dimension values. */
async function report(by: string): Promise<Record<string, Record<string, unknown>>> {
  const rows = JSON.parse(await ok(['report', '--by', by, '--format', 'json'])).rows as Record<
    string,
    unknown
  >[];
  const dims = by.split(',');
  return Object.fromEntries(rows.map((r) => [dims.map((d) => String(r[d])).join('|'), r]));
}

// Anthropic "Get Messages Usage Report" (platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages):
// {data: [{starting_at, ending_at, results: [{uncached_input_tokens, cache_creation{…}, cache_read_input_tokens,
// output_tokens, server_tool_use{web_search_requests}, api_key_id, workspace_id, model, service_tier,
// context_window, inference_geo}]}], has_more, next_page}.
const anthropicResult = (over: Record<string, unknown>) => ({
  uncached_input_tokens: 0,
  cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
  cache_read_input_tokens: 0,
  output_tokens: 0,
  server_tool_use: { web_search_requests: 0 },
  api_key_id: null,
  workspace_id: 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
  model: 'claude-sonnet-4-5-20250929',
  service_tier: 'standard',
  context_window: null,
  inference_geo: null,
  ...over,
});
const anthropicPage = (results: object[], day = '2025-10-01') => ({
  data: [{ starting_at: `${day}T00:00:00Z`, ending_at: `${day}T23:59:59Z`, results }],
  has_more: false,
  next_page: null,
});

// OpenAI "Completions usage" (platform.openai.com/docs/api-reference/usage/completions; the reference's example,
// mirrored at share.apidog.com/apidoc/docs-site/370474/api-12401171).
const openaiResult = (over: Record<string, unknown>) => ({
  object: 'organization.usage.completions.result',
  input_tokens: 0,
  output_tokens: 0,
  input_cached_tokens: 0,
  input_audio_tokens: 0,
  output_audio_tokens: 0,
  num_model_requests: 1,
  project_id: 'proj_abc',
  user_id: null,
  api_key_id: null,
  model: 'gpt-5.4',
  batch: false,
  service_tier: 'default',
  ...over,
});
const openaiPage = (results: object[], start = 1772323200 /* 2026-03-01 */, width = 86400) => ({
  object: 'page',
  data: [{ object: 'bucket', start_time: start, end_time: start + width, results }],
  has_more: false,
  next_page: null,
});

describe('long-context pricing of aggregate usage', () => {
  it('anthropic-usage: a 0-200k bucket is billed at base rates however large, a 200k-1M bucket at long-context rates', async () => {
    const path = file(
      'messages.json',
      anthropicPage([
        // 3M input + 100k output over many short calls: 3 × $3 + 0.1 × $15 = $10.50 (not 3 × $6 + 0.1 × $22.50).
        anthropicResult({
          uncached_input_tokens: 3_000_000,
          output_tokens: 100_000,
          context_window: '0-200k',
        }),
        // Calls over 200k each: 0.3 × $6 + 0.001 × $22.50 = $1.8225.
        anthropicResult({ uncached_input_tokens: 300_000, output_tokens: 1_000, context_window: '200k-1M' }),
      ]),
    );
    await ok(['import', 'anthropic-usage', path]);
    const rows = await report('tag.context_window');
    expect(rows['0-200k']).toMatchObject({ cost_usd: '10.500000000000', input_tokens: 3_000_000 });
    expect(rows['200k-1M']).toMatchObject({ cost_usd: '1.822500000000', input_tokens: 300_000 });
  });

  // Grouped by speed, the report says which calls ran in fast mode (platform.claude.com, Fast mode): Opus 4.6 6x.
  it('anthropic-usage: a fast-mode result is billed at the fast-mode rates', async () => {
    const path = file(
      'speed.json',
      anthropicPage(
        [
          // 1M input + 100k output of Opus 4.6: standard $5 + $2.50 = $7.50; fast 6 × that = $45
          ...['fast', 'standard'].map((speed) =>
            anthropicResult({
              model: 'claude-opus-4-6',
              uncached_input_tokens: 1_000_000,
              output_tokens: 100_000,
              context_window: '0-200k',
              speed,
            }),
          ),
        ],
        '2026-04-01',
      ),
    );
    await ok(['import', 'anthropic-usage', path]);
    const rows = await report('tag.speed,service_tier');
    expect(rows['fast|fast']).toMatchObject({ cost_usd: '45.000000000000' });
    expect(rows['standard|standard']).toMatchObject({ cost_usd: '7.500000000000' });
  });

  // Grouped by inference_geo, `us` results ran in US-only inference: 1.1× (Claude Platform on AWS, Data residency).
  it('anthropic-usage: a result that ran in the US is billed at 1.1x', async () => {
    const path = file(
      'geo.json',
      anthropicPage(
        ['us', 'global'].map((inference_geo) =>
          anthropicResult({
            model: 'claude-opus-4-6',
            uncached_input_tokens: 1_000_000,
            output_tokens: 100_000,
            inference_geo,
          }),
        ),
        '2026-04-01',
      ),
    );
    await ok(['import', 'anthropic-usage', path]);
    const rows = await report('tag.inference_geo');
    // standard $5 + $2.50 = $7.50; us × 1.1 = $8.25
    expect(rows.us).toMatchObject({ cost_usd: '8.250000000000' });
    expect(rows.global).toMatchObject({ cost_usd: '7.500000000000' });
  });

  it('anthropic-usage (claude_code): a day of one person’s calls is billed at base rates, not as one 300k request', async () => {
    // Claude Code Analytics API (platform.claude.com/docs/en/build-with-claude/claude-code-analytics-api), the
    // documented record with one model: 300k input + 10k output in a day = 0.3 × $3 + 0.01 × $15 = $1.05.
    const path = file('claude-code.json', {
      data: [
        {
          date: '2025-10-01T00:00:00Z',
          actor: { type: 'user_actor', email_address: 'developer@company.com' },
          organization_id: 'dc9f6c26-b22c-4831-8d01-0446bada88f1',
          customer_type: 'api',
          terminal_type: 'vscode',
          core_metrics: {
            num_sessions: 5,
            lines_of_code: { added: 10, removed: 2 },
            commits_by_claude_code: 1,
            pull_requests_by_claude_code: 0,
          },
          tool_actions: { edit_tool: { accepted: 4, rejected: 1 } },
          model_breakdown: [
            {
              model: 'claude-sonnet-4-5-20250929',
              tokens: { input: 300_000, output: 10_000, cache_read: 0, cache_creation: 0 },
              estimated_cost: { currency: 'USD', amount: 105 },
            },
          ],
        },
      ],
      has_more: false,
      next_page: null,
    });
    await ok(['import', 'anthropic-usage', path]);
    expect((await report('user'))['developer@company.com']).toMatchObject({ cost_usd: '1.050000000000' });
  });

  it('openai-usage: a bucket of 10 requests is billed by the size of one request, not of their sum', async () => {
    // 10 requests, 1M input and 50k output: 100k per request, under 272k: 1 × $2.50 + 0.05 × $15 = $3.25.
    const path = file(
      'completions.json',
      openaiPage([openaiResult({ input_tokens: 1_000_000, output_tokens: 50_000, num_model_requests: 10 })]),
    );
    await ok(['import', 'openai-usage', path]);
    expect((await report('model'))['gpt-5.4']).toMatchObject({ cost_usd: '3.250000000000', requests: 10 });
  });
});

describe('openai-usage: newer group keys', () => {
  // The current API reference (CostsResult and UsageCompletionsResult, e.g. as generated in async-openai 0.43's
  // admin usage types): costs can be grouped by `api_key_id`, `user_id` and `api_source`, completions by
  // `api_source` (`agents_api` | `unlabeled`). Results differing only in those keys are different usage.
  it('keeps results that differ only in api_source or api_key_id apart instead of dropping one as a duplicate', async () => {
    const usage = file(
      'by-source.json',
      openaiPage([
        openaiResult({ model: 'gpt-4o-2024-08-06', input_tokens: 1_000, api_source: 'agents_api' }),
        openaiResult({ model: 'gpt-4o-2024-08-06', input_tokens: 2_000, api_source: 'unlabeled' }),
      ]),
    );
    const costs = file('costs-by-key.json', {
      object: 'page',
      data: [
        {
          object: 'bucket',
          start_time: 1772323200,
          end_time: 1772409600,
          results: [
            {
              object: 'organization.costs.result',
              amount: { value: 0.06, currency: 'usd' },
              line_item: 'gpt-4o-2024-08-06, input',
              project_id: 'proj_abc',
              api_key_id: 'key_a',
            },
            {
              object: 'organization.costs.result',
              amount: { value: 0.25, currency: 'usd' },
              line_item: 'gpt-4o-2024-08-06, input',
              project_id: 'proj_abc',
              api_key_id: 'key_b',
            },
          ],
        },
      ],
      has_more: false,
      next_page: null,
    });
    const out = await ok(['import', 'openai-usage', usage, costs]);
    expect(out).toContain('imported 2 events');
    expect(out).toContain('provider costs: 2 imported, 0 duplicates');
    const rows = await report('tag.api_source');
    expect(rows.agents_api).toMatchObject({ input_tokens: 1_000 });
    expect(rows.unlabeled).toMatchObject({ input_tokens: 2_000 });
    // The day's reported cost is both keys' lines: $0.06 + $0.25.
    const rec = JSON.parse(await ok(['reconcile', '--format', 'json']));
    expect(rec.totals.reported_usd).toBe('0.310000000000');
    // Importing both again adds nothing.
    const again = await ok(['import', 'openai-usage', usage, costs, '--full']);
    expect(again).toContain('imported 0 events');
    expect(again).toContain('provider costs: 0 imported, 2 duplicates');
  });
});

describe('openai-usage: audio tokens', () => {
  // "input_audio_tokens: The aggregated number of uncached audio input tokens used" (openai/openai-ruby
  // lib/openai/models/admin/organization/usage_web_search_calls_response.rb at b7cff43, OrganizationUsageCompletionsResult;
  // older specs said "including cached tokens");
  // the audio counts are parts of input_tokens and output_tokens. gpt-audio: $2.50 / $10 per 1M text tokens, $32 / $64
  // per 1M audio tokens (genai-prices 0.1.8).
  it('bills the audio part of input and output at the audio rates', async () => {
    const path = file(
      'audio.json',
      openaiPage([
        openaiResult({
          model: 'gpt-audio',
          input_tokens: 12_000,
          input_audio_tokens: 8_000,
          output_tokens: 3_000,
          output_audio_tokens: 2_000,
          num_model_requests: 4,
        }),
      ]),
    );
    await ok(['import', 'openai-usage', path]);
    const row = (await report('model'))['gpt-audio']!;
    // input 4,000 × 2.5 + 8,000 × 32 = $0.266; output 1,000 × 10 + 2,000 × 64 = $0.138 (at text rates: $0.06)
    expect(row).toMatchObject({
      input_tokens: 12_000,
      input_audio_tokens: 8_000,
      output_tokens: 3_000,
      output_audio_tokens: 2_000,
      cost_input: '0.266000000000',
      cost_output: '0.138000000000',
      cost_usd: '0.404000000000',
    });
  });
});

describe('openai-usage: image tokens', () => {
  // "input_image_tokens: The aggregated number of uncached image input tokens used", "output_image_tokens: The
  // aggregated number of image output tokens used" (OpenAI's usage API reference, the completions result's modality
  // split); parts of input_tokens and output_tokens. gpt-image-1.5: $5 / $10 per 1M text tokens, $8 image input, $32
  // image output (genai-prices 0.1.8).
  it('bills the image part of input and output at the image rates', async () => {
    const path = file(
      'images.json',
      openaiPage([
        openaiResult({
          model: 'gpt-image-1.5',
          input_tokens: 3_000,
          input_text_tokens: 1_000,
          input_image_tokens: 2_000,
          output_tokens: 42_000,
          output_text_tokens: 400,
          output_image_tokens: 41_600,
          num_model_requests: 10,
        }),
      ]),
    );
    await ok(['import', 'openai-usage', path]);
    const row = (await report('model'))['gpt-image-1.5']!;
    // input 1,000 × 5 + 2,000 × 8 = $0.021; output 400 × 10 + 41,600 × 32 = $1.3352 (at text rates: $0.435)
    expect(row).toMatchObject({
      input_tokens: 3_000,
      input_image_tokens: 2_000,
      output_tokens: 42_000,
      output_image_tokens: 41_600,
      cost_input: '0.021000000000',
      cost_output: '1.335200000000',
      cost_usd: '1.356200000000',
    });
  });
});

describe('openai-usage: prompt-cache writes', () => {
  // UsageCompletionsResult in OpenAI's current spec (openai-client-base 0.16.0, generated from it): "input_tokens:
  // The aggregated number of input tokens used, including cached and cache-write tokens", with the writes in
  // `input_cache_write_tokens`.
  it('takes cache writes out of input and bills them at the cache-write price', async () => {
    const path = file(
      'writes.json',
      openaiPage([
        openaiResult({
          model: 'gpt-5.6-terra',
          input_tokens: 1_000_000,
          input_cached_tokens: 200_000,
          input_cache_write_tokens: 300_000,
          output_tokens: 10_000,
          num_model_requests: 100,
        }),
        // Writes and reads together past the total that includes both: skipped, the field named.
        openaiResult({ input_tokens: 10, input_cached_tokens: 6, input_cache_write_tokens: 5 }),
      ]),
    );
    const out = await ok(['import', 'openai-usage', path]);
    expect(out).toMatch(
      /writes\.json:\d+ {2}SRC_BAD_RECORD {2}data\[0\]\.results\[1\]\.input_cache_write_tokens: 5 plus 6 cached/,
    );
    const row = (await report('model'))['gpt-5.6-terra']!;
    expect(row).toMatchObject({
      input_tokens: 500_000,
      cache_read_tokens: 200_000,
      cache_write_5m_tokens: 300_000,
      output_tokens: 10_000,
    });
    // What the pricing engine charges for exactly those tokens (the catalog gives gpt-5.6-terra a cache-write price
    // above its input price).
    const pricer = createPricer(await loadBundledCatalog(), null);
    const want = pricer.price(
      unpricedEvent({
        ts: 1772323200_000_000,
        provider: 'openai',
        model: 'gpt-5.6-terra',
        requests: 100,
        input_tokens: 500_000,
        cache_read_tokens: 200_000,
        cache_write_5m_tokens: 300_000,
        output_tokens: 10_000,
        service_tier: 'default',
      }),
    );
    expect(want.cost_cache_write).toBeGreaterThan(0n);
    expect(row.cost_usd).toBe(formatUsd(want.cost_usd!));
  });
});

describe('a page given to the wrong import source', () => {
  it('is refused once, naming the command that reads it, not reported bucket by bucket as broken', async () => {
    const openai = file('openai.json', openaiPage([openaiResult({ input_tokens: 5 })], 1772323200, 3600));
    const anthropic = file('anthropic.json', anthropicPage([anthropicResult({ uncached_input_tokens: 5 })]));
    // Cursor "Get Usage Events Data" (docs.cursor.com/account/teams/admin-api): {usageEvents, pagination, period}.
    const cursor = file('cursor.json', {
      totalUsageEventsCount: 0,
      pagination: { numPages: 1, currentPage: 1, pageSize: 10, hasNextPage: false, hasPreviousPage: false },
      usageEvents: [],
      period: { startDate: 1748411762359, endDate: 1751003762359 },
    });
    const a = await ok(['import', 'anthropic-usage', openai, cursor]);
    expect(a).toContain('imported 0 events');
    expect(a).toContain(
      `${openai}:1  SRC_UNKNOWN_DOCUMENT  an OpenAI Admin API usage/costs page, not an Anthropic Admin API usage, cost or Claude Code report page; import it with \`tokenledger import openai-usage FILE\``,
    );
    expect(a).toContain(
      `${cursor}:1  SRC_UNKNOWN_DOCUMENT  a Cursor Admin API filtered-usage-events response`,
    );
    expect(a).toContain('skipped: 2 (SRC_UNKNOWN_DOCUMENT 2)');
    const o = await ok(['import', 'openai-usage', anthropic]);
    expect(o).toContain(`${anthropic}:1  SRC_UNKNOWN_DOCUMENT  an Anthropic Admin API`);
    expect(o).toContain('`tokenledger import anthropic-usage FILE`');
    const c = await ok(['import', 'cursor', openai, anthropic]);
    expect(c).toContain('skipped: 2 (SRC_UNKNOWN_DOCUMENT 2)');
    expect(c).toContain('`tokenledger import openai-usage FILE`');
  });
});

describe('openai-usage: the other usage endpoints', () => {
  // API reference, "Usage": each endpoint has its own result object. Embeddings results (input_tokens,
  // num_model_requests, project_id, user_id, api_key_id, model) are token spend; images, audio, moderations, vector
  // stores and code interpreter results count other units.
  const bucket = (start: number, results: object[]) => ({
    object: 'bucket',
    start_time: start,
    end_time: start + 86400,
    results,
  });
  const page = (...data: object[]) => ({ object: 'page', data, has_more: false, next_page: null });

  it('imports embeddings as priced events and refuses the rest once per result, naming the endpoint', async () => {
    const emb = (model: string, tokens: number) => ({
      object: 'organization.usage.embeddings.result',
      input_tokens: tokens,
      num_model_requests: 4,
      project_id: 'proj_abc',
      user_id: null,
      api_key_id: null,
      model,
    });
    const embeddings = file(
      'embeddings.json',
      page(
        bucket(1772323200, [
          emb('text-embedding-3-small', 1_000_000),
          emb('text-embedding-3-large', 2_000_000),
        ]),
        bucket(1772409600, []), // an empty bucket
      ),
    );
    // The same bucket and group keys on the completions endpoint: a different event.
    const completions = file(
      'completions.json',
      openaiPage([openaiResult({ model: 'text-embedding-3-small', input_tokens: 7, num_model_requests: 4 })]),
    );
    const others = file(
      'others.json',
      page(
        bucket(1772323200, [
          { object: 'organization.usage.images.result', images: 2, num_model_requests: 2, model: 'dall-e-3' },
          { object: 'organization.usage.vector_stores.result', usage_bytes: 1024, project_id: null },
        ]),
      ),
    );
    const out = await ok(['import', 'openai-usage', embeddings, completions, others]);
    expect(out).toContain('imported 3 events');
    expect(out).toContain('skipped: 2 (SRC_UNSUPPORTED_RECORD 2)');
    expect(out).toContain(
      `${others}:10  SRC_UNSUPPORTED_RECORD  data[0].results[0].object: "organization.usage.images.result" is not imported (a page of /v1/organization/usage/images`,
    );
    expect(out).toContain('/v1/organization/usage/vector_stores, which counts bytes stored');
    const rows = await report('model,operation');
    // $0.02 and $0.13 per 1M input tokens (https://openai.com/api/pricing, embeddings).
    expect(rows['text-embedding-3-small|embeddings']).toMatchObject({
      requests: 4,
      input_tokens: 1_000_000,
      cost_usd: '0.020000000000',
    });
    expect(rows['text-embedding-3-large|embeddings']).toMatchObject({ cost_usd: '0.260000000000' });
    expect(rows['text-embedding-3-small|completions']).toMatchObject({ input_tokens: 7 });
    const again = await ok(['import', 'openai-usage', embeddings, completions, others, '--full']);
    expect(again).toContain('imported 0 events');
  });
});

describe('openai-usage: web search calls', () => {
  // openai/openai-ruby lib/openai/models/admin/organization/usage_web_search_calls_response.rb: a
  // `/v1/organization/usage/web_searches` result counts web search calls (`num_requests`) per model; OpenAI bills
  // "Web search (all models) $10.00 / 1k calls" (platform.openai.com/docs/pricing, "Built-in tools").
  it('bills the calls at the web search fee, beside the tokens of the completions page', async () => {
    const searches = file('searches.json', {
      object: 'page',
      data: [
        {
          object: 'bucket',
          start_time: 1772323200,
          end_time: 1772409600,
          results: [
            {
              object: 'organization.usage.web_searches.result',
              num_requests: 1_500,
              num_model_requests: 600,
              project_id: 'proj_abc',
              user_id: null,
              api_key_id: null,
              model: 'gpt-5',
              context_level: null,
            },
          ],
        },
      ],
      has_more: false,
      next_page: null,
    });
    const completions = file(
      'completions.json',
      openaiPage([openaiResult({ model: 'gpt-5', input_tokens: 1_000, num_model_requests: 600 })]),
    );
    const out = await ok(['import', 'openai-usage', searches, completions]);
    expect(out).toContain('imported 2 events');
    const rows = await report('model,operation');
    expect(rows['gpt-5|web_searches']).toMatchObject({
      requests: 0,
      web_search_requests: 1_500,
      cost_usd: '15.000000000000',
    });
    // The calls that searched are counted once, by the completions page.
    expect(rows['gpt-5|completions']).toMatchObject({ requests: 600, web_search_requests: 0 });
  });
});

describe('openai-usage: audio transcriptions', () => {
  // The reference's "Audio transcriptions usage object" counts `seconds` of audio per model; whisper-1 is billed by
  // them, $0.006 a minute (genai-prices 0.1.8: `input_audio_hours` 0.36).
  it('bills whisper-1 by the seconds of audio, fractions included', async () => {
    const result = (seconds: number, user: string) => ({
      object: 'organization.usage.audio_transcriptions.result',
      seconds,
      num_model_requests: 2,
      project_id: 'proj_abc',
      user_id: user,
      api_key_id: null,
      model: 'whisper-1',
    });
    const transcriptions = file('transcriptions.json', openaiPage([result(600, 'u1'), result(0.1, 'u2')]));
    const out = await ok(['import', 'openai-usage', transcriptions]);
    expect(out).toContain('imported 2 events');
    const rows = await report('user');
    // 600 s = 10 min × $0.006 = $0.06; 0.1 s = 100 ms × $0.36 / 3,600,000 ms = $0.00001.
    expect(rows.u1).toMatchObject({ requests: 2, cost_usd: '0.060000000000' });
    expect(rows.u2).toMatchObject({ requests: 2, cost_usd: '0.000010000000' });
    const again = await ok(['import', 'openai-usage', transcriptions, '--full']);
    expect(again).toContain('imported 0 events');
  });
});

describe('cursor: model names as Cursor writes them', () => {
  // Cursor "Get Usage Events Data" (docs.cursor.com/account/teams/admin-api) names models its own way:
  // `claude-4.5-sonnet-thinking`, `gpt-5-high` (reasoning effort appended).
  const event = (model: string, tokenUsage: object) => ({
    timestamp: '1760921734850',
    model,
    kind: 'Usage-based',
    maxMode: false,
    requestsCosts: 1,
    isTokenBasedCall: true,
    tokenUsage,
    isFreeBugbot: false,
    userEmail: 'developer@company.com',
  });

  it('prices them at the vendor model they are, keeping Cursor’s name as model_requested', async () => {
    const path = file('cursor.json', {
      totalUsageEventsCount: 2,
      pagination: { numPages: 1, currentPage: 1, pageSize: 10, hasNextPage: false, hasPreviousPage: false },
      usageEvents: [
        // Sonnet 4.5: 1,000 × $3 + 500 × $15 + 10,000 × $0.30 + 2,000 × $3.75 per MTok = $0.021.
        event('claude-4.5-sonnet-thinking', {
          inputTokens: 1_000,
          outputTokens: 500,
          cacheWriteTokens: 2_000,
          cacheReadTokens: 10_000,
          totalCents: 2.1,
        }),
        // GPT-5: 10,000 × $1.25 + 1,000 × $10 per MTok = $0.0225.
        event('gpt-5-high', {
          inputTokens: 10_000,
          outputTokens: 1_000,
          cacheWriteTokens: 0,
          cacheReadTokens: 0,
        }),
      ],
      period: { startDate: 1760000000000, endDate: 1761000000000 },
    });
    const out = await ok(['import', 'cursor', path]);
    expect(out).toContain('unpriced: 0 events');
    const rows = await report('model');
    expect(rows['claude-sonnet-4-5']).toMatchObject({ cost_usd: '0.021000000000', requests: 1 });
    expect(rows['gpt-5']).toMatchObject({ cost_usd: '0.022500000000', requests: 1 });
    const events = (await ok(['events', '--format', 'jsonl']))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.model_requested).sort()).toEqual(['claude-4.5-sonnet-thinking', 'gpt-5-high']);
  });
});

/** Sets the file's mtime: when an export was saved. */
function saved(path: string, iso: string): string {
  const t = new Date(iso);
  utimesSync(path, t, t);
  return path;
}

describe('a bucket that had not ended when its file was saved', () => {
  // The same bucket exported twice has the same record ids, so a partial first export would keep the bucket short
  // for good: it is left out, and the export saved after the bucket ended is imported whole.
  it('is left out with SRC_OPEN_BUCKET, and imported whole from the export saved after it ended', async () => {
    const day = 1772323200; // 2026-03-01T00:00:00Z
    const early = saved(
      file('early.json', openaiPage([openaiResult({ input_tokens: 1_000, num_model_requests: 1 })], day)),
      '2026-03-01T18:00:00Z',
    );
    const r = await runCli(['import', 'openai-usage', early, '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('skipped: 1 (SRC_OPEN_BUCKET 1)');
    expect(r.stdout).toContain(
      'the bucket 2026-03-01T00:00:00Z to 2026-03-02T00:00:00Z had not ended when this file was saved (2026-03-01T18:00:00Z)',
    );
    const late = saved(
      file('late.json', openaiPage([openaiResult({ input_tokens: 5_000, num_model_requests: 4 })], day)),
      '2026-03-02T00:30:00Z',
    );
    await ok(['import', 'openai-usage', late]);
    expect(await report('model')).toMatchObject({ 'gpt-5.4': { input_tokens: 5_000, requests: 4 } });
  });

  it('holds for Anthropic usage buckets and for a day of Claude Code analytics', async () => {
    const usage = saved(
      file('messages.json', anthropicPage([anthropicResult({ uncached_input_tokens: 10 })], '2026-03-01')),
      '2026-03-01T12:00:00Z',
    );
    const analytics = saved(
      file('claude-code.json', {
        data: [
          {
            date: '2026-03-01T00:00:00Z',
            actor: { type: 'user_actor', email_address: 'ana@example.com' },
            organization_id: 'org-1',
            customer_type: 'api',
            terminal_type: 'vscode',
            core_metrics: {
              num_sessions: 1,
              lines_of_code: { added: 1, removed: 0 },
              commits_by_claude_code: 0,
              pull_requests_by_claude_code: 0,
            },
            tool_actions: {},
            model_breakdown: [],
          },
        ],
        has_more: false,
        next_page: null,
      }),
      '2026-03-01T12:00:00Z',
    );
    for (const path of [usage, analytics]) {
      const r = await runCli(['import', 'anthropic-usage', path, '--db', db]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('skipped: 1 (SRC_OPEN_BUCKET 1)');
    }
    expect(await report('model')).toEqual({});
  });
});

describe("a report over a provider export and the same provider's calls", () => {
  // The Claude Code fixtures are calls of 2026-02-10; the Anthropic usage report of that day covers them too.
  it('says the totals may count the same calls twice, and how to see one view', async () => {
    const logs = join(import.meta.dirname, '../fixtures/claude-code/config/projects/-home-ana-shop');
    await ok(['import', 'claude-code', logs]);
    await ok([
      'import',
      'anthropic-usage',
      file('day.json', anthropicPage([anthropicResult({ uncached_input_tokens: 10 })], '2026-02-10')),
    ]);
    const both = await ok(['report', '--by', 'source']);
    expect(both).toContain(
      'note: anthropic usage on 2026-02-10 is in the ledger as the provider reports it (anthropic-usage) and call by call from claude-code: where they describe the same calls these totals count them twice; report one view with --where source=anthropic-usage',
    );
    expect(await ok(['report', '--by', 'source', '--where', 'source=anthropic-usage'])).not.toContain(
      'note:',
    );
    expect(await ok(['report', '--by', 'source', '--format', 'json'])).not.toContain('note:');
  });
});

describe('a report over one export imported at two bucket widths', () => {
  // The same day fetched with bucket_width=1d and again with 1h: each page is right, and together they count the
  // day's usage twice; nothing in the results says which to keep.
  it('says the totals count it twice, and how to report one width', async () => {
    const day = 1772323200; // 2026-03-01
    await ok([
      'import',
      'openai-usage',
      file('daily.json', openaiPage([openaiResult({ input_tokens: 1_000 })], day)),
    ]);
    await ok([
      'import',
      'openai-usage',
      file('hourly.json', openaiPage([openaiResult({ input_tokens: 400 })], day + 3_600, 3_600)),
    ]);
    const both = await ok(['report', '--by', 'source', '--since', '2026-03-01', '--until', '2026-03-02']);
    expect(both).toContain(
      'note: openai usage on 2026-03-01 is in the ledger from openai-usage at two bucket widths (1 hour and 1 day): these totals count it twice; report one width with --where tag.bucket_seconds=3600',
    );
    const daily = await ok([
      'report',
      '--by',
      'source',
      '--since',
      '2026-03-01',
      '--until',
      '2026-03-02',
      '--where',
      'tag.bucket_seconds=86400',
      '--format',
      'json',
    ]);
    expect(JSON.parse(daily).totals.input_tokens).toBe(1_000);
    expect(
      await ok([
        'report',
        '--by',
        'source',
        '--since',
        '2026-03-01',
        '--until',
        '2026-03-02',
        '--where',
        'tag.bucket_seconds=86400',
      ]),
    ).not.toContain('note:');
  });
});

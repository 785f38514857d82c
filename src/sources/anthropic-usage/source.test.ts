import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/run-cli.js';
import { loadPricer } from '../../pricing/load.js';
import { collectFile } from '../collect-sink.js';
import { anthropicUsageSource } from './source.js';

const dir = join(import.meta.dirname, '../../../test/fixtures/anthropic-usage');
const run = (name: string) =>
  collectFile(anthropicUsageSource, join(dir, name), { path: name, ingestedAt: 7 });
const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) * 1000;

describe('anthropic-usage: usage_report/messages', () => {
  it('maps token kinds one to one and keeps group keys', async () => {
    const { events, skips } = await run('messages-page.json');
    expect(skips).toEqual([]);
    expect(events).toHaveLength(3);
    const [standard, batch, sparse] = events;
    expect(standard).toMatchObject({
      source: 'anthropic-usage',
      source_ref: 'messages-page.json:1#data[0].results[0]',
      ts: day(2025, 8, 1),
      provider: 'anthropic',
      operation: 'messages',
      model: 'claude-sonnet-4-20250514',
      project: 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
      api_key_id: 'apikey_01Rj2N8SVvo6BePZj99NhmiT',
      service_tier: 'standard',
      requests: 0,
      input_tokens: 1500,
      cache_read_tokens: 200,
      cache_write_5m_tokens: 500,
      cache_write_1h_tokens: 1000,
      output_tokens: 500,
      web_search_requests: 10,
    });
    expect(standard!.tags).toEqual({
      requests_unreported: 'true',
      bucket_seconds: '86400',
      context_window: '0-200k',
      long_context: 'false',
    });
    expect(batch).toMatchObject({
      service_tier: 'batch',
      input_tokens: 250000,
      output_tokens: 42000,
      web_search_requests: 0,
    });
    expect(sparse).toMatchObject({
      ts: day(2025, 8, 2),
      model: 'claude-opus-9-20300101',
      project: null,
      input_tokens: 12,
      cache_read_tokens: 0,
      cache_write_5m_tokens: 0,
      cache_write_1h_tokens: 0,
      output_tokens: 3,
    });
    expect(new Set(events.map((e) => e.event_id)).size).toBe(3);
    const again = await run('messages-page.json');
    expect(again.events.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));
  });
});

describe('anthropic-usage: priced', () => {
  it("charges a bucket's web searches at $10 per 1,000 on top of its tokens, and no fee in a bucket without any", async () => {
    const pricer = await loadPricer({ cwd: dir, env: {} });
    const [standard, batch] = (await run('messages-page.json')).events.map((e) => pricer.price(e));
    // Sonnet 4: 1,500 × $3 + 200 × $0.30 + 500 × $3.75 + 1,000 × $6 + 500 × $15 per 1M = $0.019935 of tokens,
    // + 10 searches × $0.01 = $0.10.
    expect(standard).toMatchObject({
      cost_input: 4_500_000_000n,
      cost_cache_read: 60_000_000n,
      cost_cache_write: 7_875_000_000n,
      cost_output: 7_500_000_000n,
      cost_usd: 119_935_000_000n,
    });
    // Batch halves the tokens (250,000 × $1.50 + 42,000 × $7.50 per 1M = $0.69); it searched nothing.
    expect(batch!.cost_usd).toBe(690_000_000_000n);
  });
});

describe('anthropic-usage: cost_report', () => {
  it('divides decimal-string cents by 100 exactly', async () => {
    const { costs, events, skips } = await run('cost-report.json');
    expect(skips).toEqual([]);
    expect(events).toEqual([]);
    expect(costs.map((c) => c.amount)).toEqual([
      1_237_891_200_000n, // "123.78912" cents = $1.2378912
      1n, // "0.000000000123" cents = 1.23 pico-dollars, rounded half-to-even
      10_000_000_000_000n, // "1000" cents = $10
      987_654_321_098_765_432_105_000_000_000n, // far past 2^53, still exact
    ]);
    expect(costs[0]).toMatchObject({
      provider: 'anthropic',
      currency: 'USD',
      project: 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
      model: 'claude-sonnet-4-20250514',
      line_item: 'Claude Sonnet 4 Usage - Input Tokens',
      bucket_start: day(2025, 8, 1),
      bucket_end: day(2025, 8, 2),
      details: {
        cost_type: 'tokens',
        token_type: 'uncached_input_tokens',
        service_tier: 'standard',
        context_window: '0-200k',
      },
    });
    expect(costs[2]).toMatchObject({ line_item: 'web_search', project: null, model: null });
    expect(costs[3]!.line_item).toBeNull();
    expect(new Set(costs.map((c) => c.record_id)).size).toBe(4);
  });

  it('gives a cost line with no workspace_id the --project its usage gets, keeping its id', async () => {
    const plain = await run('cost-report.json');
    const { costs } = await collectFile(anthropicUsageSource, join(dir, 'cost-report.json'), {
      path: 'cost-report.json',
      ingestedAt: 7,
      defaults: { project: 'cli-project' },
    });
    expect(costs.map((c) => c.project)).toEqual([
      'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
      'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
      'cli-project',
      'cli-project',
    ]);
    expect(costs.map((c) => c.record_id)).toEqual(plain.costs.map((c) => c.record_id));
  });
});

describe('anthropic-usage: Usage and Cost Analytics API pages', () => {
  // GET /v1/organizations/analytics/usage_report and …/analytics/cost_report (@anthropic-ai/sdk 1.14.0,
  // resources/beta/organization/analytics/analytics.d.ts: BetaAnalyticsUsageBucketedResult and
  // BetaAnalyticsCostBucketedResult; pages are ReportPageCursor {data, next_page, has_more, data_refreshed_at}).
  // Their rows are those of usage_report/messages and cost_report plus the group keys product, claude_tag_category,
  // claude_tag_user_id, slack_channel_id and rbac_group_id, and `requests` ("Number of API requests in this row's
  // scope"); cost rows add speed and list_amount.
  it('keeps rows that differ only in product apart, with their request counts', async () => {
    const { events, costs, skips } = await run('analytics-pages.json');
    expect(events.map((e) => [e.tags.product, e.requests, e.input_tokens])).toEqual([
      ['claude_code', 12, 1000],
      ['chat', 3, 500],
    ]);
    expect(events[0]!.tags).not.toHaveProperty('requests_unreported');
    expect(new Set(events.map((e) => e.event_id)).size).toBe(2);
    expect(costs.map((c) => [c.details.product, c.amount, c.details.list_amount])).toEqual([
      ['claude_code', 12_345_000_000_000n, '1500'], // 1234.5 cents = $12.345,
      ['chat', 990_000_000_000n, '99'],
    ]);
    expect(new Set(costs.map((c) => c.record_id)).size).toBe(2);
    // "a user in several groups contributes their full usage to each of those groups' rows, so the named-group rows
    // overlap and their sum can exceed the org total": importing them would count usage more than once.
    expect(skips).toEqual([
      {
        ref: 'analytics-pages.json:53',
        code: 'SRC_UNSUPPORTED_RECORD',
        reason: expect.stringContaining('group_by[]=rbac_group_id'),
      },
    ]);
  });

  it('refuses a row of /v1/organizations/analytics/usage by name instead of importing nothing in silence', async () => {
    // BetaAnalyticsUsageItem (@anthropic-ai/sdk 1.14.0, resources/beta/organization/analytics/usage.d.ts):
    // {starting_at, ending_at, group: {…dimension values}, usage: {uncached_input_tokens, …, requests, total_tokens}}.
    const { events, skips } = await run('analytics-usage-rows.json');
    expect(events).toEqual([]);
    expect(skips).toEqual([
      {
        ref: 'analytics-usage-rows.json:3',
        code: 'SRC_UNSUPPORTED_RECORD',
        reason: expect.stringContaining('/v1/organizations/analytics/usage_report'),
      },
    ]);
  });

  it('refuses a row of /v1/organizations/analytics/cost by name instead of importing nothing in silence', async () => {
    // BetaAnalyticsCostItem (@anthropic-ai/sdk 1.14.0, resources/beta/organization/analytics/cost.d.ts):
    // {starting_at, ending_at, group: {…dimension values}, cost: {amount, currency, list_amount, requests}}.
    const { costs, events, skips } = await run('analytics-cost-rows.json');
    expect(costs).toEqual([]);
    expect(events).toEqual([]);
    expect(skips).toEqual([
      {
        ref: 'analytics-cost-rows.json:3',
        code: 'SRC_UNSUPPORTED_RECORD',
        reason: expect.stringContaining('/v1/organizations/analytics/cost_report'),
      },
    ]);
  });

  it('gives a usage_report/messages row the id it always had', async () => {
    const { events } = await run('messages-page.json');
    const { eventId } = await import('../../ledger/event-id.js');
    expect(events[0]!.event_id).toBe(
      eventId(
        'anthropic-usage',
        'messages',
        day(2025, 8, 1),
        day(2025, 8, 2),
        'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
        'apikey_01Rj2N8SVvo6BePZj99NhmiT',
        'claude-sonnet-4-20250514',
        'standard',
        null,
        '0-200k',
        null,
        null,
        null,
      ),
    );
  });
});

describe('anthropic-usage: usage_report/claude_code', () => {
  it('emits one event per actor, day and model with the estimated cost in dollars', async () => {
    const { events, skips } = await run('claude-code.json');
    expect(skips).toEqual([]);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      source: 'anthropic-claude-code',
      agent: 'claude-code',
      user: 'developer@company.com',
      ts: day(2025, 9, 1),
      model: 'claude-sonnet-4-5-20250929',
      input_tokens: 100000,
      output_tokens: 35000,
      cache_read_tokens: 10000,
      cache_write_5m_tokens: 5000,
      cache_write_1h_tokens: 0,
      provider_cost_usd: 10_250_000_000_000n, // 1025 cents
    });
    expect(events[0]!.tags).toEqual({
      actor_type: 'user_actor',
      requests_unreported: 'true',
      terminal_type: 'vscode',
      customer_type: 'api',
    });
    expect(events[1]).toMatchObject({
      model: 'claude-3-5-haiku-20241022',
      provider_cost_usd: 3_000_000_000n,
    });
    expect(events[0]!.event_id).not.toBe(events[1]!.event_id);
  });

  it('keeps one activity record per actor-day with tool actions flattened', async () => {
    const { activities } = await run('claude-code.json');
    expect(activities).toHaveLength(2);
    expect(activities[0]).toMatchObject({
      source: 'anthropic-claude-code',
      actor_type: 'user_actor',
      actor: 'developer@company.com',
      date: '2025-09-01',
      ts: day(2025, 9, 1),
      num_sessions: 5,
      lines_added: 1543,
      lines_removed: 892,
      commits: 12,
      pull_requests: 2,
      details: {
        terminal_type: 'vscode',
        customer_type: 'api',
        organization_id: 'dc9f6c26-b22c-4831-8d01-0446bada88f1',
      },
    });
    expect(activities[0]!.tool_actions).toEqual({
      'edit_tool.accepted': 45,
      'edit_tool.rejected': 5,
      'multi_edit_tool.accepted': 12,
      'multi_edit_tool.rejected': 2,
      'write_tool.accepted': 8,
      'write_tool.rejected': 1,
      'notebook_edit_tool.accepted': 3,
      'notebook_edit_tool.rejected': 0,
    });
    expect(activities[1]).toMatchObject({
      actor_type: 'api_actor',
      actor: 'ci-bot-key',
      date: '2025-09-01',
      commits: 1,
    });
    const again = await run('claude-code.json');
    expect(again.activities.map((a) => a.record_id)).toEqual(activities.map((a) => a.record_id));
  });
});

describe('anthropic-usage: usage_report/claude_code of two organizations, or two customer types', () => {
  it('stores the same person, day, terminal and model once for each, where the second was dropped as a repeat', async () => {
    const work = await mkdtemp(join(tmpdir(), 'tl-claude-code-orgs-'));
    try {
      const row = (organization_id: string, customer_type: string, input: number) => ({
        date: '2025-09-01T00:00:00Z',
        actor: { type: 'user_actor', email_address: 'dev@company.com' },
        organization_id,
        customer_type,
        terminal_type: 'vscode',
        core_metrics: { num_sessions: 1 },
        model_breakdown: [
          {
            model: 'claude-sonnet-4-5-20250929',
            tokens: { input, output: 0, cache_read: 0, cache_creation: 0 },
            estimated_cost: { currency: 'USD', amount: 1 },
          },
        ],
      });
      const files = [
        [join(work, 'org-a.json'), [row('org-a', 'api', 1000), row('org-a', 'subscription', 200)]],
        [join(work, 'org-b.json'), [row('org-b', 'api', 30)]],
      ] as const;
      for (const [file, data] of files) await writeFile(file, JSON.stringify({ data, has_more: false }));
      const db = join(work, 'ledger.duckdb');
      const imported = await runCli(['import', 'anthropic-usage', ...files.map(([f]) => f), '--db', db]);
      expect(imported.code, imported.stderr).toBe(0);
      const report = await runCli([
        'report',
        '--db',
        db,
        '--since',
        '2025-09-01',
        '--until',
        '2025-09-02',
        '--format',
        'json',
      ]);
      expect(JSON.parse(report.stdout).totals).toMatchObject({ input_tokens: 1230, events: 3 });
      // The same files again add nothing: each row's id is its own, from one import to the next.
      await runCli(['import', 'anthropic-usage', ...files.map(([f]) => f), '--db', db]);
      const again = await runCli([
        'report',
        '--db',
        db,
        '--since',
        '2025-09-01',
        '--until',
        '2025-09-02',
        '--format',
        'json',
      ]);
      expect(JSON.parse(again.stdout).totals).toMatchObject({ input_tokens: 1230, events: 3 });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('anthropic-usage: damaged input', () => {
  it('reads JSONL pages of mixed kinds and reports the truncated last line', async () => {
    const { events, activities, skips } = await run('pages.jsonl');
    expect(events.map((e) => e.source)).toEqual(['anthropic-usage']);
    expect(activities.map((a) => a.actor)).toEqual(['ci-bot-key']);
    expect(skips).toEqual([{ ref: 'pages.jsonl:3', code: 'SRC_TRUNCATED', reason: expect.any(String) }]);
  });

  it('locates malformed JSON and imports nothing from an empty page', async () => {
    const bad = await run('malformed.json');
    expect(bad.skips).toEqual([
      { ref: 'malformed.json:7', code: 'SRC_BAD_JSON', reason: expect.any(String) },
    ]);
    const empty = await run('empty.json');
    expect([empty.events, empty.costs, empty.activities, empty.skips]).toEqual([[], [], [], []]);
  });

  it('skips each bad record with the line it is on, its JSON path and reason, and keeps the good ones', async () => {
    const { events, costs, activities, skips } = await run('edge-cases.json');
    expect(events.map((e) => [e.source, e.project ?? e.user])).toEqual([
      ['anthropic-usage', 'wrkspc_ok'],
      ['anthropic-claude-code', 'ok@company.com'],
    ]);
    expect(events[1]).toMatchObject({
      input_tokens: 1,
      output_tokens: 2,
      cache_read_tokens: 0,
      provider_cost_usd: null,
    });
    expect(costs).toEqual([]);
    expect(activities.map((a) => [a.actor, a.num_sessions])).toEqual([['ok@company.com', 0]]);
    expect(skips.map((s) => [s.ref, s.code, s.reason.split(':')[0]])).toEqual([
      ['edge-cases.json:5', 'SRC_BAD_RECORD', 'data[0].results[1].uncached_input_tokens'],
      ['edge-cases.json:6', 'SRC_BAD_RECORD', 'data[0].results[2].output_tokens'],
      ['edge-cases.json:7', 'SRC_NUMBER_TOO_LARGE', 'data[0].results[3].uncached_input_tokens'],
      ['edge-cases.json:8', 'SRC_BAD_RECORD', 'data[0].results[4].cache_creation.ephemeral_5m_input_tokens'],
      ['edge-cases.json:9', 'SRC_NOT_UTF8', 'data[0].results[5].model'],
      ['edge-cases.json:10', 'SRC_BAD_RECORD', 'data[0].results[6].amount'],
      ['edge-cases.json:11', 'SRC_BAD_RECORD', 'data[0].results[7].amount'],
      ['edge-cases.json:12', 'SRC_UNSUPPORTED_RECORD', 'data[0].results[8]'],
      ['edge-cases.json:14', 'SRC_BAD_RECORD', 'data[1].starting_at'],
      ['edge-cases.json:15', 'SRC_BAD_RECORD', 'data[2].model_breakdown[1].tokens'],
      ['edge-cases.json:16', 'SRC_BAD_RECORD', 'data[3].actor.email_address'],
      ['edge-cases.json:17', 'SRC_BAD_RECORD', 'data[4].date'],
      ['edge-cases.json:18', 'SRC_NOT_UTF8', 'data[5].actor.email_address'],
    ]);
  });
});

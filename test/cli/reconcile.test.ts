/**
 * Issue 3, point 7: `tokenledger reconcile` compares our cost with what the provider reported, exactly. Expected
 * numbers are worked out by hand from published prices: gpt-4o input $2.50/MTok, output $10/MTok
 * (https://openai.com/api/pricing); claude-sonnet-4-5 input $3/MTok, output $15/MTok (https://www.anthropic.com/pricing).
 */
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChdbServer } from '../../src/store/clickhouse/testing/chdb-server.js';
import { runCli } from '../helpers/run-cli.js';

const DAY = 1767571200; // 2026-01-05T00:00:00Z
let dir: string;
let db: string;

const result = (project: string, input: number, output: number) => ({
  object: 'organization.usage.completions.result',
  input_tokens: input,
  output_tokens: output,
  input_cached_tokens: 0,
  input_audio_tokens: 0,
  output_audio_tokens: 0,
  num_model_requests: 10,
  project_id: project,
  user_id: null,
  api_key_id: null,
  model: 'gpt-4o-2024-08-06',
  batch: false,
  service_tier: 'default',
});
const cost = (project: string, value: string) => ({
  object: 'organization.costs.result',
  amount: { value, currency: 'usd' },
  line_item: 'gpt-4o-2024-08-06, input',
  project_id: project,
});
const page = (results: object[]) =>
  JSON.stringify({
    object: 'page',
    data: [{ object: 'bucket', start_time: DAY, end_time: DAY + 86400, results }],
    has_more: false,
    next_page: null,
  });

async function ok(args: string[]) {
  const r = await runCli([...args, '--db', db]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-rec-'));
  db = join(dir, 'ledger.duckdb');
  // proj_a: 1M input × $2.50 + 100k output × $10 = $3.50, billed $3.50. proj_b: 2M input × $2.50 = $5.00, billed $4.75.
  writeFileSync(
    join(dir, 'usage.json'),
    page([result('proj_a', 1_000_000, 100_000), result('proj_b', 2_000_000, 0)]),
  );
  writeFileSync(join(dir, 'costs.json'), page([cost('proj_a', '3.50'), cost('proj_b', '4.75')]));
  // Claude Code with costUSD: 1000 × $3 + 500 × $15 per MTok = $0.0105 computed, $0.0100 reported.
  const log = join(dir, 'session.jsonl');
  writeFileSync(
    log,
    `${JSON.stringify({
      type: 'assistant',
      sessionId: 's1',
      requestId: 'req_1',
      uuid: 'u1',
      cwd: '/home/ana/shop',
      timestamp: '2026-01-05T12:00:00Z',
      costUSD: 0.01,
      message: {
        id: 'msg_1',
        model: 'claude-sonnet-4-5-20250929',
        usage: { input_tokens: 1000, output_tokens: 500 },
      },
    })}\n`,
  );
  utimesSync(log, new Date(2026, 0, 5), new Date(2026, 0, 5));
  await ok(['import', 'openai-usage', join(dir, 'usage.json'), join(dir, 'costs.json')]);
  await ok(['import', 'claude-code', log, '--user', 'ana']);
});

describe('tokenledger reconcile', () => {
  it('compares computed and reported cost by day, project and model, exactly, flagging rows over the threshold', async () => {
    const r = JSON.parse(await ok(['reconcile', '--format', 'json']));
    const base = { day: '2026-01-05', unpriced_events: 0, events: 1 };
    expect(r.rows).toEqual([
      {
        ...base,
        basis: 'cost-report',
        source: 'openai-usage',
        provider: 'openai',
        project: 'proj_a',
        model: null,
        model_less_lines: false,
        computed_usd: '3.500000000000',
        reported_usd: '3.500000000000',
        diff_usd: '0.000000000000',
        diff_pct: '0.00',
        flagged: false,
      },
      {
        ...base,
        basis: 'cost-report',
        source: 'openai-usage',
        provider: 'openai',
        project: 'proj_b',
        model: null,
        model_less_lines: false,
        computed_usd: '5.000000000000',
        reported_usd: '4.750000000000',
        diff_usd: '0.250000000000',
        diff_pct: '5.26', // 0.25 / 4.75 = 5.263…%
        flagged: true,
      },
      {
        ...base,
        basis: 'event',
        source: 'claude-code',
        provider: 'anthropic',
        project: 'shop',
        model: 'claude-sonnet-4-5',
        model_less_lines: false,
        computed_usd: '0.010500000000',
        reported_usd: '0.010000000000',
        diff_usd: '0.000500000000',
        diff_pct: '5.00', // exactly at the threshold: not over it
        flagged: false,
      },
    ]);
    expect(r.totals).toEqual({
      computed_usd: '8.510500000000',
      reported_usd: '8.260000000000',
      diff_usd: '0.250500000000',
      flagged_rows: 1,
    });
    expect(r.threshold_pct).toBe('5.00');
  });

  it('filters by provider and month, takes another threshold, and writes csv and a table', async () => {
    const openai = JSON.parse(
      await ok(['reconcile', '--provider', 'openai', '--threshold', '6', '--format', 'json']),
    );
    expect(openai.rows.map((x: { project: string }) => x.project)).toEqual(['proj_a', 'proj_b']);
    expect(openai.totals.flagged_rows).toBe(0);
    const feb = JSON.parse(await ok(['reconcile', '--month', '2026-02', '--format', 'json']));
    expect(feb.rows).toEqual([]);
    const jan = JSON.parse(await ok(['reconcile', '--month', '2026-01', '--format', 'json']));
    expect(jan.rows).toHaveLength(3);
    const csv = (await ok(['reconcile', '--format', 'csv'])).trim().split('\n');
    expect(csv[0]).toBe(
      'day,basis,source,provider,project,model,model_less_lines,events,unpriced_events,computed_usd,reported_usd,diff_usd,diff_pct,flagged',
    );
    expect(csv[2]).toBe(
      '2026-01-05,cost-report,openai-usage,openai,proj_b,,false,1,0,5.000000000000,4.750000000000,0.250000000000,5.26,true',
    );
    const table = await ok(['reconcile']);
    expect(table).toMatch(/proj_b\s+\(all\)\s+1\s+\$5\.0000\s+\$4\.7500\s+\$0\.2500\s+5\.26\s+!/);
    expect(table).toContain('1 row(s) flagged');
  });

  it('with filters that match nothing, names them rather than asking for exports the ledger has', async () => {
    const none = await ok(['reconcile', '--provider', 'OpenAI', '--month', '2026-01']);
    expect(none).toBe(
      'Nothing to reconcile for --provider OpenAI --month 2026-01; `tokenledger reconcile --format csv` lists the ' +
        'providers and days there are.\n',
    );
  });

  it('rejects a bad month or threshold with the expected form', async () => {
    const m = await runCli(['reconcile', '--month', '2026-13', '--db', db]);
    expect(m.stderr).toContain('CLI_BAD_OPTION');
    expect(m.stderr).toContain('YYYY-MM');
    const t = await runCli(['reconcile', '--threshold', 'five', '--db', db]);
    expect(t.stderr).toContain('--threshold "five"');
  });
});

describe('tokenledger reconcile, Anthropic cost report grouped by description', () => {
  // Anthropic bills web search as a cost line of its own, with no model (cost_type web_search: "model: null … for
  // non-token costs", Admin API reference, Get Cost Report); the usage report counts the searches on the model's row.
  // 1M input × $3/MTok = $3.00 of claude-sonnet-4-5 tokens, and 100 searches × $10 per 1,000 = $1.00 of web search.
  it('compares web search fees with the web search line, not with the model the searches were made with', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tl-rec-ws-'));
    const ledger = join(d, 'ledger.duckdb');
    const bucket = (results: object[]) =>
      JSON.stringify({
        data: [{ starting_at: '2026-01-05T00:00:00Z', ending_at: '2026-01-06T00:00:00Z', results }],
        has_more: false,
        next_page: null,
      });
    const usage = join(d, 'usage.json');
    writeFileSync(
      usage,
      bucket([
        {
          uncached_input_tokens: 1_000_000,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
          cache_read_input_tokens: 0,
          output_tokens: 0,
          server_tool_use: { web_search_requests: 100 },
          workspace_id: 'wrkspc_a',
          api_key_id: null,
          model: 'claude-sonnet-4-5-20250929',
          service_tier: 'standard',
          context_window: '0-200k',
        },
      ]),
    );
    const costs = join(d, 'costs.json');
    const line = { currency: 'USD', workspace_id: 'wrkspc_a', context_window: null, service_tier: null };
    writeFileSync(
      costs,
      bucket([
        {
          ...line,
          amount: '300',
          description: 'Claude Sonnet 4.5 Usage - Input Tokens',
          cost_type: 'tokens',
          context_window: '0-200k',
          model: 'claude-sonnet-4-5-20250929',
          service_tier: 'standard',
          token_type: 'uncached_input_tokens',
        },
        {
          ...line,
          amount: '100',
          description: 'Web Search',
          cost_type: 'web_search',
          model: null,
          token_type: null,
        },
      ]),
    );
    const imported = await runCli(['import', 'anthropic-usage', usage, costs, '--db', ledger]);
    expect(imported.code).toBe(0);
    const r = await runCli(['reconcile', '--format', 'json', '--db', ledger]);
    expect(r.stderr).toBe('');
    const base = {
      day: '2026-01-05',
      basis: 'cost-report',
      source: 'anthropic-usage',
      provider: 'anthropic',
    };
    expect(JSON.parse(r.stdout).rows).toEqual([
      {
        ...base,
        project: 'wrkspc_a',
        model: null,
        model_less_lines: true,
        events: 1,
        unpriced_events: 0,
        computed_usd: '1.000000000000',
        reported_usd: '1.000000000000',
        diff_usd: '0.000000000000',
        diff_pct: '0.00',
        flagged: false,
      },
      {
        ...base,
        project: 'wrkspc_a',
        model: 'claude-sonnet-4-5',
        model_less_lines: false,
        events: 1,
        unpriced_events: 0,
        computed_usd: '3.000000000000',
        reported_usd: '3.000000000000',
        diff_usd: '0.000000000000',
        diff_pct: '0.00',
        flagged: false,
      },
    ]);
    // The table names the web search row for what it holds, the report's lines with no model; `(all)` would read as
    // every model's usage of the day, which the row below it contradicts.
    const table = (await runCli(['reconcile', '--db', ledger])).stdout.split('\n');
    expect(table[1]).toMatch(/ wrkspc_a +\(no model\) +1 +\$1\.0000 +\$1\.0000 /);
    expect(table[2]).toMatch(/ wrkspc_a +claude-sonnet-4-5 +1 +\$3\.0000 +\$3\.0000 /);
    expect(table.join('\n')).not.toContain('(all)');
  });
});

describe('tokenledger reconcile, an export imported with --project', () => {
  it('compares the cost lines with no project with the usage --project gave that project', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tl-rec-proj-'));
    const ledger = join(d, 'ledger.duckdb');
    // Neither page grouped by project: 1M gpt-4o input tokens × $2.50/MTok = $2.50, billed $2.50.
    const ungrouped = { ...result('proj_a', 1_000_000, 0), project_id: null };
    const billed = { ...cost('proj_a', '2.5'), project_id: null };
    writeFileSync(join(d, 'openai.json'), page([ungrouped, billed]));
    const imported = await runCli([
      'import',
      'openai-usage',
      join(d, 'openai.json'),
      '--project',
      'shop',
      '--db',
      ledger,
    ]);
    expect(imported.code).toBe(0);
    const r = await runCli(['reconcile', '--format', 'json', '--db', ledger]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).rows).toEqual([
      {
        day: '2026-01-05',
        basis: 'cost-report',
        source: 'openai-usage',
        provider: 'openai',
        project: 'shop',
        model: null,
        model_less_lines: false,
        events: 1,
        unpriced_events: 0,
        computed_usd: '2.500000000000',
        reported_usd: '2.500000000000',
        diff_usd: '0.000000000000',
        diff_pct: '0.00',
        flagged: false,
      },
    ]);
  });
});

describe('tokenledger reconcile, one day of costs imported at two groupings', () => {
  it('compares the line items once, leaving out the same costs exported without them, and says so', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tl-rec-grp-'));
    const ledger = join(d, 'ledger.duckdb');
    // 1M gpt-4o input tokens × $2.50/MTok + 100k output × $10/MTok = $3.50. The day's costs were exported grouped by
    // project (one total, $3.50) and again by project and line item ($2.50 input + $1.00 output).
    writeFileSync(join(d, 'usage.json'), page([result('proj_a', 1_000_000, 100_000)]));
    writeFileSync(join(d, 'total.json'), page([{ ...cost('proj_a', '3.5'), line_item: null }]));
    writeFileSync(
      join(d, 'lines.json'),
      page([cost('proj_a', '2.5'), { ...cost('proj_a', '1'), line_item: 'gpt-4o-2024-08-06, output' }]),
    );
    const files = ['usage.json', 'total.json', 'lines.json'].map((f) => join(d, f));
    const imported = await runCli(['import', 'openai-usage', ...files, '--db', ledger]);
    expect(imported.code).toBe(0);
    const r = await runCli(['reconcile', '--format', 'json', '--db', ledger]);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout);
    expect(json.rows).toEqual([
      {
        day: '2026-01-05',
        basis: 'cost-report',
        source: 'openai-usage',
        provider: 'openai',
        project: 'proj_a',
        model: null,
        model_less_lines: false,
        events: 1,
        unpriced_events: 0,
        computed_usd: '3.500000000000',
        reported_usd: '3.500000000000',
        diff_usd: '0.000000000000',
        diff_pct: '0.00',
        flagged: false,
      },
    ]);
    expect(json.overlapping_records).toBe(1);
    const table = await runCli(['reconcile', '--db', ledger]);
    expect(table.stdout).toContain(
      '1 cost record(s) without line items were left out: the same day and project has line items, which hold the same costs',
    );
  });
});

describe('tokenledger reconcile on a ClickHouse ledger', () => {
  // The same exports and log imported into a ClickHouse database (docs/store.md, ClickHouse): its provider cost lines
  // and computed sums come from ClickHouse's tables, and reconcile prints what it prints on the file above.
  let clickhouse: Awaited<ReturnType<typeof startChdbServer>>;
  let url: string;
  beforeAll(async () => {
    clickhouse = await startChdbServer();
    url = `${clickhouse.url}/reconcile`;
    for (const args of [
      ['import', 'openai-usage', join(dir, 'usage.json'), join(dir, 'costs.json')],
      ['import', 'claude-code', join(dir, 'session.jsonl'), '--user', 'ana'],
    ])
      expect((await runCli([...args, '--db', url])).code).toBe(0);
  });
  afterAll(() => clickhouse.close());

  it('compares the same rows as on a DuckDB file', async () => {
    for (const args of [
      ['reconcile', '--format', 'json'],
      ['reconcile', '--provider', 'openai', '--month', '2026-01', '--format', 'csv'],
    ]) {
      const onFile = await ok(args);
      const r = await runCli([...args, '--db', url]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(onFile);
    }
    expect(JSON.parse(await ok(['reconcile', '--format', 'json'])).rows).toHaveLength(3);
  });
});

/**
 * The baseline for the import benchmark: DuckDB's own `read_json` loading the same canonical JSONL file into a table
 * with the ledger's event columns and types (EVENT_COLUMNS, as the events table was before contexts were split out),
 * in a file created by our store, in one INSERT … SELECT, then a CHECKPOINT so the data is on disk as it is when our
 * import returns. One wide table is the cheapest load DuckDB can do of this file: no contexts to find, no rollup. Costs go in as given amounts (the table's given_* columns) since
 * DuckDB cannot price; everything else is converted as our importer converts it.
 *
 *   node --import tsx bench/ledger/read-json-baseline.ts FILE.jsonl LEDGER.duckdb   → prints {"rows": N, "seconds": S}
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { EVENT_COLUMNS, q } from '../../src/store/duckdb/schema.js';

const [file, db] = process.argv.slice(2) as [string, string];
await (await createDuckDbStore(db)).close();

const pico = (f: string) => `(${f}::DECIMAL(38,12) * 1000000000000)::HUGEINT`;
const columns = {
  event_id: 'VARCHAR',
  source: 'VARCHAR',
  source_ref: 'VARCHAR',
  ingested_at: 'VARCHAR',
  ts: 'VARCHAR',
  duration_ms: 'DOUBLE',
  ttft_ms: 'DOUBLE',
  org: 'VARCHAR',
  team: 'VARCHAR',
  user: 'VARCHAR',
  project: 'VARCHAR',
  agent: 'VARCHAR',
  session_id: 'VARCHAR',
  task_id: 'VARCHAR',
  environment: 'VARCHAR',
  api_key_id: 'VARCHAR',
  tags: 'JSON',
  provider: 'VARCHAR',
  model: 'VARCHAR',
  model_requested: 'VARCHAR',
  operation: 'VARCHAR',
  service_tier: 'VARCHAR',
  route_id: 'VARCHAR',
  requests: 'BIGINT',
  input_tokens: 'BIGINT',
  cache_read_tokens: 'BIGINT',
  cache_write_5m_tokens: 'BIGINT',
  cache_write_1h_tokens: 'BIGINT',
  output_tokens: 'BIGINT',
  reasoning_tokens: 'BIGINT',
  cost_usd: 'VARCHAR',
  cost_input: 'VARCHAR',
  cost_cache_read: 'VARCHAR',
  cost_cache_write: 'VARCHAR',
  cost_output: 'VARCHAR',
  cost_source: 'VARCHAR',
  price_version: 'VARCHAR',
  provider_cost_usd: 'VARCHAR',
  energy_j: 'DOUBLE',
  energy_source: 'VARCHAR',
  status: 'VARCHAR',
  error_type: 'VARCHAR',
};
const columnsSql = `{${Object.entries(columns)
  .map(([k, v]) => `"${k}": '${v}'`)
  .join(', ')}}`;

const instance = await DuckDBInstance.create(db);
const c = await instance.connect();
await c.run(`CREATE TABLE events_wide (${EVENT_COLUMNS.map(([n, t]) => `${q(n)} ${t}`).join(', ')})`);
const t0 = performance.now();
await c.run(`INSERT INTO events_wide BY NAME SELECT
  ('0x' || event_id)::UBIGINT AS event_id, ts::TIMESTAMP AS ts, ingested_at::TIMESTAMP AS ingested_at,
  source, source_ref, duration_ms, ttft_ms, org, team, "user", project, agent, session_id, task_id, environment,
  api_key_id, tags::MAP(VARCHAR, VARCHAR) AS tags, provider, model, model_requested, operation, service_tier, route_id,
  requests, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
  reasoning_tokens, ${pico('cost_usd')} AS given_cost_usd, ${pico('cost_input')} AS given_cost_input,
  ${pico('cost_cache_read')} AS given_cost_cache_read, ${pico('cost_cache_write')} AS given_cost_cache_write,
  ${pico('cost_output')} AS given_cost_output, cost_source, price_version,
  ${pico('provider_cost_usd')} AS provider_cost_usd, energy_j, energy_source, status, error_type
FROM read_json('${file.replaceAll("'", "''")}', format = 'newline_delimited', columns = ${columnsSql})`);
await c.run('CHECKPOINT');
const seconds = (performance.now() - t0) / 1000;
const rows = Number((await c.runAndReadAll('SELECT count(*) FROM events_wide')).getRows()[0]![0]);
c.closeSync();
console.log(JSON.stringify({ rows, seconds }));

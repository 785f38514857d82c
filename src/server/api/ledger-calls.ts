/**
 * The store's own calls over HTTP, for the CLI (ARCHITECTURE.md, Processes): while `tokenledger serve` holds the
 * DuckDB file, CLI commands get a store (cli/remote-store.ts) whose calls land here, run on the server's store and
 * answer exactly (exact-json.ts): `report` and `events` print what they print on the file itself, and `import`
 * stores what it would have stored. Admin only; calls that write to the ledger take only the server's own token (in
 * `<ledger>.server.json`, readable by the server's user alone): other admin tokens may read the ledger over the API
 * but not put spend into it, nor have it write files.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { repriceWith } from '../../ingest/reprice.js';
import { purgeContent, readContent } from '../../ledger/content-audit.js';
import {
  ATTRIBUTION_FIELDS,
  COST_FIELDS,
  COST_SOURCES,
  ENERGY_SOURCES,
  STATUSES,
  USAGE_FIELDS,
  type UsageEvent,
} from '../../ledger/event.js';
import { BUCKETS, isDimension } from '../../store/query.js';
import { EXPORT_FORMATS, type ExportOptions, type Store } from '../../store/store.js';
import { ApiError } from './api-error.js';
import { type ApiContext, type Endpoint, endpoint } from './endpoint.js';
import { fromExactJson, toExactJson } from './exact-json.js';
import type { Principal } from './scope.js';

const dimension = z
  .string()
  .refine(isDimension, { message: 'not a dimension; see /api/dimensions (or tag.KEY)' });
const micros = z.number().int().describe('epoch microseconds');
const count = z.number().int().min(0);
const text = z.string();
const strings = z.record(z.string(), z.string());
const filter = z.object({
  dimension,
  values: z.array(z.string().nullable()),
  exclude: z.boolean().optional(),
});

/** The store's Query (store/query.ts). */
const query = z.strictObject({
  dimensions: z.array(dimension),
  filters: z.array(filter).optional(),
  since: micros.optional(),
  until: micros.optional(),
  bucket: z.enum(BUCKETS).optional(),
  timeZone: z.string().optional(),
  top: z.number().int().min(1).optional(),
  rankByFirst: z.boolean().optional(),
  topRequests: z.number().int().min(1).optional(),
  other: z.boolean().optional(),
  billed: z.boolean().optional(),
});

/** The store's EventFilter (store/store.ts). */
const eventFilter = z.strictObject({
  filters: z.array(filter).optional(),
  since: micros.optional(),
  until: micros.optional(),
  limit: z.number().int().min(1).optional(),
});

const rateCard = z.strictObject({
  input: z.bigint(),
  cache_read: z.bigint(),
  cache_write_5m: z.bigint(),
  cache_write_1h: z.bigint(),
  output: z.bigint(),
  web_search: z.bigint(),
  input_audio: z.bigint(),
  output_audio: z.bigint(),
  input_image: z.bigint(),
  output_image: z.bigint(),
  audio_hour: z.bigint(),
});

/** A UsageEvent (ledger/event.ts), every field present: an import hands the store complete, priced events. */
const usageEvent = z.strictObject({
  event_id: z.string().min(1),
  source: text,
  source_ref: text.nullable(),
  ingested_at: micros,
  ts: micros,
  duration_ms: z.number().nullable(),
  ttft_ms: z.number().nullable(),
  ...Object.fromEntries(ATTRIBUTION_FIELDS.map((f) => [f, text.nullable()])),
  tags: strings,
  provider: text.nullable(),
  model: text,
  model_requested: text.nullable(),
  operation: text.nullable(),
  service_tier: text.nullable(),
  route_id: text.nullable(),
  ...Object.fromEntries(USAGE_FIELDS.map((f) => [f, count])),
  ...Object.fromEntries(COST_FIELDS.map((f) => [f, z.bigint().nullable()])),
  cost_source: z.enum(COST_SOURCES),
  price_version: text.nullable(),
  rates: rateCard.nullable(),
  provider_cost_usd: z.bigint().nullable(),
  energy_j: z.number().nullable(),
  energy_source: z.enum(ENERGY_SOURCES).nullable(),
  status: z.enum(STATUSES),
  error_type: text.nullable(),
});

const fileState = z.strictObject({
  source: text,
  path: text,
  size: count,
  mtimeMs: z.number(),
  offset: count,
  lineNo: count,
  check: text.nullable(),
  heldBack: z.boolean(),
  parserState: text.nullable(),
  importedAt: micros,
});

const recordIds = { record_id: text, source: text, source_ref: text, details: strings };
const providerCost = z.strictObject({
  ...recordIds,
  bucket_start: micros,
  bucket_end: micros,
  provider: text,
  project: text.nullable(),
  model: text.nullable(),
  line_item: text.nullable(),
  amount: z.bigint(),
  currency: text,
});
const activity = z.strictObject({
  ...recordIds,
  actor_type: text,
  actor: text,
  date: text,
  ts: micros,
  num_sessions: count,
  lines_added: count,
  lines_removed: count,
  commits: count,
  pull_requests: count,
  tool_actions: z.record(z.string(), z.number()),
});
const recordFilter = z.strictObject({
  since: micros.optional(),
  until: micros.optional(),
  provider: text.optional(),
});

/** What each call takes and how the server's store answers it. */
const CALLS = {
  query: { body: query, run: (s: Store, q: z.infer<typeof query>) => s.query(q) },
  energy: { body: query, run: (s: Store, q: z.infer<typeof query>) => s.energy(q) },
  'cache-savings': { body: query, run: (s: Store, q: z.infer<typeof query>) => s.cacheSavings(q) },
  events: { body: eventFilter, run: (s: Store, f: z.infer<typeof eventFilter>) => s.events(f) },
  count: { body: z.strictObject({}), run: (s: Store) => s.count() },
  content: {
    body: z.strictObject({ event_id: text, ts: micros }),
    // Recorded as any read of call text is, here as the server's own token's (the one the CLI uses).
    run: (s: Store, b: { event_id: string; ts: number }, c: ApiContext, who: Principal) =>
      readContent(s, c.records.contentAudit, `api:${who.id}`, b.event_id, b.ts),
  },
  'purge-content': {
    write: true,
    body: eventFilter,
    run: (s: Store, f: z.infer<typeof eventFilter>, c: ApiContext, who: Principal) =>
      purgeContent(s, c.records.contentAudit, `api:${who.id}`, f),
  },
  append: {
    write: true,
    body: z.strictObject({ events: z.array(usageEvent) }),
    // The schema checks every field; its inferred type only spells the enums and tags less narrowly.
    run: (s: Store, b: { events: unknown[] }) => s.append(b.events as UsageEvent[]),
  },
  'file-states': {
    body: z.strictObject({ source: text }),
    run: async (s: Store, b: { source: string }) => [...(await records(s).fileStates(b.source)).values()],
  },
  'save-file-states': {
    write: true,
    body: z.strictObject({ states: z.array(fileState) }),
    run: (s: Store, b: { states: z.infer<typeof fileState>[] }) => records(s).saveFileStates(b.states),
  },
  'append-costs': {
    write: true,
    body: z.strictObject({ records: z.array(providerCost), ingested_at: micros }),
    run: (s: Store, b: { records: z.infer<typeof providerCost>[]; ingested_at: number }) =>
      records(s).appendCosts(b.records, b.ingested_at),
  },
  'append-activity': {
    write: true,
    body: z.strictObject({ records: z.array(activity), ingested_at: micros }),
    run: (s: Store, b: { records: z.infer<typeof activity>[]; ingested_at: number }) =>
      records(s).appendActivity(b.records, b.ingested_at),
  },
  // The server writes the file as its own user; only the server's token (readable by that user alone) may ask.
  export: {
    write: true,
    body: z.strictObject({
      format: z.enum(EXPORT_FORMATS),
      path: text.refine(isAbsolute, { message: 'an absolute path' }),
      since: micros.optional(),
      until: micros.optional(),
    }),
    run: (s: Store, o: ExportOptions) => s.export(o),
  },
  // Repriced by the server's pricer (the one its gateway prices with), once it has read its overrides file again, and
  // only when that is the command's own price version: the CLI must not see other prices than it asked for.
  reprice: {
    write: true,
    body: z.strictObject({
      since: micros.optional(),
      model: text.optional(),
      now: micros,
      price_version: text,
    }),
    run: async (
      s: Store,
      b: { since?: number; model?: string; now: number; price_version: string },
      c: ApiContext,
    ) => {
      if (c.pricer === null) throw new ApiError('API_NOT_FOUND', 'this server loads no prices');
      await c.refreshPrices?.();
      if (c.pricer.version !== b.price_version)
        throw new ApiError(
          'API_CONFLICT',
          `the server prices with ${c.pricer.version} and this command with ${b.price_version}: give reprice the ` +
            'overrides file the server reads (its --prices, TOKENLEDGER_PRICES or tokenledger.prices.yaml where it ' +
            'runs), or stop the server and reprice the file',
        );
      const sel = {
        ...(b.since === undefined ? {} : { since: b.since }),
        ...(b.model === undefined ? {} : { model: b.model }),
      };
      return s.reprice(sel, repriceWith(c.pricer), b.now);
    },
  },
  'provider-costs': {
    body: recordFilter,
    run: (s: Store, f: z.infer<typeof recordFilter>) => records(s).providerCosts(f),
  },
  'computed-costs': {
    body: recordFilter,
    run: (s: Store, f: z.infer<typeof recordFilter>) => records(s).computedCosts(f),
  },
} as const;

export type LedgerCall = keyof typeof CALLS;

export function ledgerCallPath(call: LedgerCall): string {
  return `/api/ledger/${call}`;
}

function records(s: Store) {
  if (s.records === undefined)
    throw new ApiError('API_NOT_FOUND', "this server's store keeps no import records");
  return s.records;
}

/** Import batches are up to 20,000 events (ingest/batcher.ts), ~1.2 kB each as exact JSON (24 MB). */
const WRITE_BODY_LIMIT = 128 << 20;

const exact = z
  .unknown()
  .describe('the store result as JSON, each bigint (money in pico-dollars) as {"$bigint": "digits"}');

export const LEDGER_CALL_ENDPOINTS: Endpoint[] = Object.entries(CALLS).map(([call, c]) =>
  endpoint({
    method: 'POST',
    path: ledgerCallPath(call as LedgerCall),
    summary: `The store's \`${call}\` call, as the CLI makes it while the server holds the ledger (${'write' in c ? "the server's own token only" : 'admin'})`,
    admin: true,
    serverOnly:
      'write' in c
        ? `${ledgerCallPath(call as LedgerCall)} writes to the ledger: only the server's own token (in <ledger>.server.json) may`
        : undefined,
    bodyLimit: 'write' in c ? WRITE_BODY_LIMIT : undefined,
    params: {},
    body: z.preprocess(fromExactJson, c.body as z.ZodType),
    response: exact,
    async handle(ctx, _p, who, _path, body) {
      const out = await (c.run as (s: Store, b: unknown, c: ApiContext, who: Principal) => Promise<unknown>)(
        ctx.store,
        body,
        ctx,
        who,
      );
      return toExactJson(out === undefined ? {} : out);
    },
  }),
);

/**
 * The store's own read calls over HTTP, for the CLI (ARCHITECTURE.md, Processes): while `tokenledger serve` holds the
 * DuckDB file, `report` and `events` send the server the very query they would have run on the file, and format
 * its exact answer (exact-json.ts) the same way. Admin only: it is the CLI's door, not the dashboard's.
 */
import { z } from 'zod';
import { BUCKETS, isDimension } from '../../store/query.js';
import { endpoint } from './endpoint.js';
import { toExactJson } from './exact-json.js';

const dimension = z
  .string()
  .refine(isDimension, { message: 'not a dimension; see /api/dimensions (or tag.KEY)' });
const micros = z.number().int().describe('epoch microseconds');
const filter = z.object({
  dimension,
  values: z.array(z.string().nullable()),
  exclude: z.boolean().optional(),
});

/** The store's Query (store/query.ts) as JSON. */
const querySchema = z.strictObject({
  dimensions: z.array(dimension),
  filters: z.array(filter).optional(),
  since: micros.optional(),
  until: micros.optional(),
  bucket: z.enum(BUCKETS).optional(),
  top: z.number().int().min(1).optional(),
  rankByFirst: z.boolean().optional(),
  topRequests: z.number().int().min(1).optional(),
  other: z.boolean().optional(),
  billed: z.boolean().optional(),
});

/** The store's EventFilter (store/store.ts) as JSON. */
const eventFilterSchema = z.strictObject({
  filters: z.array(filter).optional(),
  since: micros.optional(),
  until: micros.optional(),
  limit: z.number().int().min(1).optional(),
});

const exact = z
  .unknown()
  .describe('the store result as JSON, each bigint (money in pico-dollars) as {"$bigint": "digits"}');

export const ledgerQueryEndpoint = endpoint({
  method: 'POST',
  path: '/api/ledger/query',
  summary:
    "The store's query (grouped spend and tokens) as `tokenledger report` runs it, with exact amounts (admin)",
  admin: true,
  params: {},
  body: querySchema,
  response: exact,
  handle: async (c, _p, _who, _path, body) =>
    toExactJson(await c.store.query(body as z.infer<typeof querySchema>)),
});

export const ledgerEventsEndpoint = endpoint({
  method: 'POST',
  path: '/api/ledger/events',
  summary: 'Full events, newest first, as `tokenledger events` reads them, with exact amounts (admin)',
  admin: true,
  params: {},
  body: eventFilterSchema,
  response: exact,
  handle: async (c, _p, _who, _path, body) =>
    toExactJson(await c.store.events(body as z.infer<typeof eventFilterSchema>)),
});

/** The small endpoints: who am I, keys, import status, dimension names, where data comes in. */
import { z } from 'zod';
import { KEY_BUDGET_PERIOD } from '../../budgets/key-budget.js';
import { budgetWindow } from '../../budgets/period.js';
import { IMPORT_KINDS } from '../../ingest/kinds.js';
import { formatUsd } from '../../money/money.js';
import { BUCKETS, DIMENSIONS } from '../../store/query.js';
import { endpoint } from './endpoint.js';
import { scopeFilters } from './scope.js';

export const meEndpoint = endpoint({
  method: 'GET',
  path: '/api/me',
  summary: 'The caller: role (admin or viewer) and team scope',
  params: {},
  response: z.object({
    role: z.enum(['admin', 'viewer']),
    team: z.string().nullable(),
    token_id: z.string(),
  }),
  handle: async (_c, _p, who) => ({ role: who.role, team: who.team, token_id: who.id }),
});

export const dimensionsEndpoint = endpoint({
  method: 'GET',
  path: '/api/dimensions',
  summary: 'Dimensions a breakdown can group or filter by, and time buckets',
  params: {},
  response: z.object({ dimensions: z.array(z.string()), buckets: z.array(z.string()) }),
  handle: async () => ({ dimensions: [...DIMENSIONS, 'tag.KEY'], buckets: [...BUCKETS] }),
});

export const receiversEndpoint = endpoint({
  method: 'GET',
  path: '/api/receivers',
  summary:
    "The ports this server's OTLP receivers listen on (null when off), on the same host as the API; the gateway is on the API's own port",
  params: {},
  response: z.object({
    otlp_http_port: z.number().int().nullable(),
    otlp_grpc_port: z.number().int().nullable(),
  }),
  handle: async (c) => c.receivers?.() ?? { otlp_http_port: null, otlp_grpc_port: null },
});

export const keysEndpoint = endpoint({
  method: 'GET',
  path: '/api/keys',
  summary:
    "Virtual keys of the gateway (never the keys themselves), each with what it spent this UTC month (the period of a key's budget); a team viewer sees its team's keys",
  params: {},
  response: z.array(z.record(z.string(), z.unknown())),
  async handle(c, _p, who) {
    const keys = (await c.records.keys.list()).filter((k) => who.team === null || k.team === who.team);
    // The window of the keys' budgets (budgets/key-budget.ts), so the spend shown is what the gateway counts.
    const window = budgetWindow({ id: 'keys', scope: {}, ...KEY_BUDGET_PERIOD }, c.now() / 1000);
    const spent =
      keys.length === 0
        ? null
        : await c.store.query({
            dimensions: ['api_key_id'],
            filters: [{ dimension: 'api_key_id', values: keys.map((k) => k.id) }],
            since: window.start * 1000,
            until: c.now(),
          });
    const byKey = new Map(spent?.rows.map((r) => [r.dims.api_key_id, r.cost_usd]));
    return keys.map(({ hash: _hash, ...k }) => ({
      ...k,
      month_spend_usd: formatUsd(byKey.get(k.id) ?? 0n),
    }));
  },
});

/** Sources whose imports keep per-file state (store.records): every kind `tokenledger import` takes. */
const FILE_SOURCES = Object.keys(IMPORT_KINDS);

export const importsEndpoint = endpoint({
  method: 'GET',
  path: '/api/imports',
  summary: 'Import status: events and spend per source, and (admins) where each imported file was read up to',
  params: {},
  response: z.object({
    sources: z.array(
      z.object({ source: z.string().nullable(), events: z.number().int(), cost_usd: z.string() }),
    ),
    files: z.array(z.record(z.string(), z.unknown())),
  }),
  async handle(c, _p, who) {
    const bySource = await c.store.query({ dimensions: ['source'], filters: scopeFilters([], who) });
    const files = [];
    // File paths are the importing machine's, not team data: only admins see them.
    if (who.role === 'admin' && c.store.records !== undefined)
      for (const s of FILE_SOURCES)
        for (const f of (await c.store.records.fileStates(s)).values())
          files.push({ ...f, importedAt: new Date(f.importedAt / 1000).toISOString() });
    return {
      sources: bySource.rows.map((r) => ({
        source: r.dims.source ?? null,
        events: r.events,
        cost_usd: formatUsd(r.cost_usd),
      })),
      files,
    };
  },
});

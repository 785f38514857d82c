import { dirname } from 'node:path';
import { TokenledgerError } from '../errors.js';
import { readGatewayConfig } from '../gateway/config.js';
import { readRouter } from '../gateway/routers.js';
import { formatUsd, formatUsdShort } from '../money/money.js';
import type { Pricer } from '../pricing/pricer.js';
import { type RouterSavings, SavingsTally } from '../router/savings.js';
import { eventPages } from '../store/event-range.js';
import type { Store } from '../store/store.js';
import { type LedgerOptions, nowMicros, withStore } from './context.js';
import { type FilterOptions, parseRange, whereFilters } from './filters.js';
import { counted, groupDigits } from './group-digits.js';
import { loadCliPricer } from './pricer.js';
import { renderTable } from './report-format.js';
import { configPathOf } from './serve.js';

export interface RouteSavingsOptions extends LedgerOptions, FilterOptions {
  /** The config whose `routers:` name the files that say each router's strongest model. */
  config?: string;
  /** Compare every router's calls with this model instead. */
  versus?: string;
  format?: string;
}

/** Routed calls a page: what memory holds, whatever the range. */
const PAGE = 5000;

/**
 * `tokenledger route savings`: what each router's calls cost, and what the same calls would have cost on the model
 * they are compared with (router/savings.ts): the router file's strongest model, or `--versus MODEL`.
 */
export async function routeSavingsCommand(o: RouteSavingsOptions, out: (s: string) => void): Promise<void> {
  const format = o.format ?? 'table';
  if (format !== 'table' && format !== 'json')
    throw new TokenledgerError('CLI_BAD_OPTION', `--format ${JSON.stringify(format)}: use table or json`);
  const versusOf = await comparisons(o);
  const pricer = await loadCliPricer(o);
  if (o.versus !== undefined && pricer.resolve(o.versus) === null)
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--versus ${JSON.stringify(o.versus)}: no price is known for this model (tokenledger prices shows the known ones)`,
    );
  const filters = await whereFilters(o);
  const range = parseRange(o);
  const savings = await withStore(o, (store) => tally(store, pricer, versusOf, filters, range), {
    existing: true,
  });
  if (format === 'json') {
    out(`${JSON.stringify({ routers: savings.map(savingsJson) }, null, 2)}\n`);
    return;
  }
  out(savingsTable(savings));
}

/** The model each router's calls are compared with, as the pricer will name it. */
async function comparisons(o: RouteSavingsOptions): Promise<(router: string) => string | null> {
  if (o.versus !== undefined) {
    const versus = o.versus;
    return () => versus;
  }
  const cwd = process.cwd();
  const path = configPathOf(o.config, cwd);
  const config = await readGatewayConfig(path, {});
  const strongest = new Map<string, string>();
  for (const [name, file] of Object.entries(config.routers)) {
    const { measured } = await readRouter(name, file, path === null ? cwd : dirname(path));
    // The router's models are the dataset's names; the config's aliases say what upstreams serve them as.
    strongest.set(name, config.aliases[measured.strongest] ?? measured.strongest);
  }
  return (router) => strongest.get(router) ?? null;
}

async function tally(
  store: Store,
  pricer: Pricer,
  versusOf: (router: string) => string | null,
  filters: Awaited<ReturnType<typeof whereFilters>>,
  range: { since?: number; until?: number },
): Promise<RouterSavings[]> {
  // The routers that sent calls in the range: a routed call is one whose route_id names its router.
  const { rows } = await store.query({ dimensions: ['route_id'], filters, ...range });
  const routers = rows.map((r) => r.dims.route_id).filter((id): id is string => id !== null && id !== '');
  const t = new SavingsTally(versusOf, (e) => pricer.price(e));
  if (routers.length === 0) return t.result();
  const r = {
    filters: [...filters, { dimension: 'route_id' as const, values: routers }],
    since: range.since ?? 0,
    until: range.until ?? nowMicros() + 1,
  };
  for await (const page of eventPages(store, r, PAGE)) for (const e of page) t.add(e);
  return t.result();
}

function savingsJson(s: RouterSavings) {
  return {
    router: s.router,
    versus: s.versus,
    calls: s.calls,
    cost_usd: formatUsd(s.cost_usd),
    versus_cost_usd: formatUsd(s.versus_cost_usd),
    saved_usd: formatUsd(s.saved_usd),
    unpriced: s.unpriced,
    models: s.models.map((m) => ({
      model: m.model,
      calls: m.calls,
      cost_usd: formatUsd(m.cost_usd),
      versus_cost_usd: formatUsd(m.versus_cost_usd),
    })),
  };
}

function savingsTable(savings: RouterSavings[]): string {
  if (savings.length === 0)
    return (
      'No routed calls in this range. A call is routed when it names a router as its model (`routers:` in ' +
      'tokenledger.config.yaml, docs/router.md).\n'
    );
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const s of savings) {
    const share = (part: bigint) => (s.versus_cost_usd === 0n ? '—' : percent(part, s.versus_cost_usd));
    rows.push([
      s.router,
      '',
      groupDigits(s.calls),
      usd(s.cost_usd),
      s.versus ?? '—',
      usd(s.versus_cost_usd),
      usd(s.saved_usd),
      share(s.saved_usd),
    ]);
    for (const m of s.models)
      rows.push([
        '',
        m.model,
        groupDigits(m.calls),
        usd(m.cost_usd),
        '',
        usd(m.versus_cost_usd),
        usd(m.versus_cost_usd - m.cost_usd),
        '',
      ]);
    if (s.versus === null)
      notes.push(
        `${s.router}: not a router of the config, so its calls are compared with no model; ` +
          'give --config, or --versus MODEL',
      );
    if (s.unpriced > 0)
      notes.push(
        `${s.router}: ${counted(s.unpriced, 'call')} left out, with no price as they ran or as ${s.versus ?? 'any model'}`,
      );
  }
  const header = [
    'router',
    'answered by',
    'calls',
    'cost',
    'compared with',
    'would have cost',
    'saved',
    'saved %',
  ];
  return (
    `${renderTable(header, rows, 2)}\n\n` +
    'would have cost: the same calls, with the same tokens, priced as the model compared with:\n' +
    "  the router file's strongest model unless --versus names one (docs/router.md, What routing saved)\n" +
    notes.map((n) => `${n}\n`).join('')
  );
}

/** To 1/100 of a cent, as `route eval` shows costs: one routed call's saving is often less than a cent. */
function usd(pico: bigint): string {
  return formatUsdShort(pico, 4);
}

function percent(part: bigint, whole: bigint): string {
  return `${(Number((part * 10_000n) / whole) / 100).toFixed(1)}%`;
}

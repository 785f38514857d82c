import { dirname } from 'node:path';
import { TokenledgerError } from '../errors.js';
import { readGatewayConfig } from '../gateway/config.js';
import { loadRouters, strongestModels } from '../gateway/routers.js';
import { formatUsdShort } from '../money/money.js';
import { type RouterSavings, routingSavings, savingsJson } from '../router/savings.js';
import { type LedgerOptions, nowMicros, withStore } from './context.js';
import { type FilterOptions, parseRange, parseTableOrJson, whereFilters } from './filters.js';
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

/**
 * `tokenledger route savings`: what each router's calls cost, and what the same calls would have cost on the model
 * they are compared with (router/savings.ts): the router file's strongest model, or `--versus MODEL`.
 */
export async function routeSavingsCommand(o: RouteSavingsOptions, out: (s: string) => void): Promise<void> {
  const format = parseTableOrJson(o.format);
  const versusOf = await comparisons(o);
  const pricer = await loadCliPricer(o);
  if (o.versus !== undefined && pricer.resolve(o.versus) === null)
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--versus ${JSON.stringify(o.versus)}: no price is known for this model ` +
        '(tokenledger prices show NAME says what a name resolves to)',
    );
  const filters = await whereFilters(o);
  const { since, until } = parseRange(o);
  const range = { filters, since: since ?? 0, until: until ?? nowMicros() + 1 };
  const savings = await withStore(o, (store) => routingSavings(store, pricer, versusOf, range), {
    existing: true,
  });
  out(
    format === 'json'
      ? `${JSON.stringify({ routers: savings.map(savingsJson) }, null, 2)}\n`
      : savingsTable(savings),
  );
}

/** The model each router's calls are compared with, as the pricer will name it. */
async function comparisons(o: RouteSavingsOptions): Promise<(router: string) => string | null> {
  const versus = o.versus;
  if (versus !== undefined) return () => versus;
  const cwd = process.cwd();
  const path = configPathOf(o.config, cwd);
  const config = await readGatewayConfig(path, {});
  const strongest = strongestModels(
    await loadRouters(config.routers, path === null ? cwd : dirname(path)),
    config.aliases,
  );
  return (router) => strongest.get(router) ?? null;
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
      s.versus === null ? '—' : s.versus_inferred ? `${s.versus} *` : s.versus,
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
      notes.push(`${s.router}: none of the models it chose has a price to compare with; give --versus MODEL`);
    if (s.unpriced > 0)
      notes.push(
        `${s.router}: ${counted(s.unpriced, 'call')} left out, ` +
          `with no price as they ran or as ${s.versus ?? 'any model'}`,
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
  if (savings.some((s) => s.versus_inferred))
    notes.unshift(
      '* no router file names the model compared with: the priciest model the router chose (by list input plus ' +
        'output rate);\n  give --config FILE with the routers, or --versus MODEL',
    );
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

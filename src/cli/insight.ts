import { TokenledgerError } from '../errors.js';
import { formatUsdDisplay, PLAIN_DECIMAL } from '../money/money.js';
import { anomaliesEndpoint, runawaysEndpoint } from '../server/api/insight.js';
import { askLedger } from './ask-ledger.js';
import type { LedgerOptions } from './context.js';
import { dimensionAlias, parseRange, parseTimeZone, type RangeOptions } from './filters.js';

type Row = Record<string, string | number | null>;

/** A dimension as the CLI names it (`key`, as in report's --where and budgets' --scope) for the API. */
const dimension = (name: string | undefined) =>
  name === undefined ? undefined : (dimensionAlias(name.trim()) ?? name);
const whereItems = (items: string[] | undefined) =>
  items?.map((item) => {
    const eq = item.indexOf('=');
    return eq <= 0 ? item : `${dimension(item.slice(0, eq))}${item.slice(eq)}`;
  });

/**
 * The range as the API takes it, with `--tz` as its `tz`: the API reads dates on that zone's clocks as the CLI does,
 * and anomalies take their hours and weekdays from it. The zone is checked here, so a bad one is named as the flag.
 */
function range(o: RangeOptions): { since?: string; until?: string; tz?: string } {
  const tz = parseTimeZone(o.tz);
  // Bad dates are named as --since/--until here, before any server is asked. A --since before 1970 starts at the
  // ledger's first time, as in `report`; the API would refuse it, so that instant (epoch ms 0) is what is sent.
  const since = o.since ?? '7d';
  const read = parseRange({ since, until: o.until, tz });
  const given = { since: read.since === 0 ? '0' : since, until: o.until };
  return tz === undefined ? given : { ...given, tz };
}

function query(pairs: Record<string, string | string[] | undefined>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(pairs))
    for (const x of v === undefined ? [] : Array.isArray(v) ? v : [v]) q.append(k, x);
  return q;
}

export interface RunawaysOptions extends LedgerOptions, RangeOptions {
  where?: string[];
  by?: string;
  maxUsd?: string;
  window?: string;
  format?: string;
}

/** `tokenledger runaways`: sessions that spent more than $X within Y minutes. */
export async function runawaysCommand(o: RunawaysOptions, out: (s: string) => void): Promise<void> {
  const { runaways } = await askLedger<{ runaways: Row[] }>(
    o,
    runawaysEndpoint,
    query({
      ...range(o),
      where: whereItems(o.where),
      by: o.by,
      max_usd: o.maxUsd,
      window_minutes: o.window,
    }),
  );
  if (o.format === 'json') return out(`${JSON.stringify({ runaways }, null, 2)}\n`);
  if (runaways.length === 0) return out('No runaway sessions in the range.\n');
  for (const r of runaways)
    out(
      `${r.value}  ${r.agent ?? '-'}  ${r.user ?? '-'}  ${r.team ?? '-'}  ${formatUsdDisplay(String(r.spend_usd))} in ${r.calls} calls from ${r.first} to ${r.last} (session total ${formatUsdDisplay(String(r.total_usd))})\n`,
    );
}

export interface AnomaliesOptions extends LedgerOptions, RangeOptions {
  where?: string[];
  by?: string;
  threshold?: string;
  minUsd?: string;
  format?: string;
}

/**
 * A robust z as typed: plain decimal digits only. The API coerces with Number(), which would take 1e1, 0x10,
 * Infinity or '' (as 0) as some other threshold than the one meant; so the CLI names the flag here instead.
 */
function zThreshold(text: string | undefined): string | undefined {
  if (text === undefined || PLAIN_DECIMAL.test(text)) return text;
  throw new TokenledgerError(
    'CLI_BAD_OPTION',
    `--threshold ${JSON.stringify(text)}: expected a plain decimal robust z such as 8 or 6.5`,
  );
}

/** `tokenledger anomalies`: hours a team (or any dimension) spent far above its baseline. */
export async function anomaliesCommand(o: AnomaliesOptions, out: (s: string) => void): Promise<void> {
  const { anomalies } = await askLedger<{ anomalies: Row[] }>(
    o,
    anomaliesEndpoint,
    query({
      ...range(o),
      where: whereItems(o.where),
      by: dimension(o.by),
      threshold: zThreshold(o.threshold),
      min_usd: o.minUsd,
    }),
  );
  if (o.format === 'json') return out(`${JSON.stringify({ anomalies }, null, 2)}\n`);
  if (anomalies.length === 0) return out('No spend anomalies in the range.\n');
  for (const a of anomalies)
    out(
      `${a.hour}  ${a.dimension}=${a.value ?? '(none)'}  ${formatUsdDisplay(String(a.spend_usd))} against a usual ${formatUsdDisplay(String(a.median_usd))}  z ${a.z === null ? '∞' : Number(a.z).toFixed(1)}\n`,
    );
}

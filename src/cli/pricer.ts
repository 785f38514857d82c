import { loadPricer, readOverrides } from '../pricing/load.js';
import type { Pricer } from '../pricing/pricer.js';
import type { LedgerOptions } from './context.js';

/** The pricer for a command: bundled catalog plus the overrides file from --prices, TOKENLEDGER_PRICES or ./ */
export function loadCliPricer(o: LedgerOptions): Promise<Pricer> {
  return loadPricer({ overridesPath: o.prices, cwd: process.cwd(), env: process.env });
}

/**
 * A `--prices FILE` the user gave, or the TOKENLEDGER_PRICES that is its default, read and checked
 * (PRICE_OVERRIDES_*, with the file, where it came from and the line or field) before the command runs. Many commands price nothing on most runs (a report without `--where model=…`, `keys list`, an
 * import with nothing new): they printed their output over a broken file, found only by the next import, which
 * then failed, or priced with a file other than the one meant.
 */
export async function checkPricesOption(o: Pick<LedgerOptions, 'prices'>): Promise<void> {
  const env = { TOKENLEDGER_PRICES: process.env.TOKENLEDGER_PRICES };
  // Neither given: nothing to check (a tokenledger.prices.yaml found in the working directory is read when used).
  if (o.prices === undefined && !env.TOKENLEDGER_PRICES?.trim()) return;
  await readOverrides({ overridesPath: o.prices, cwd: process.cwd(), env });
}

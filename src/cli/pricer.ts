import { loadPricer } from '../pricing/load.js';
import type { Pricer } from '../pricing/pricer.js';
import type { LedgerOptions } from './context.js';

/** The pricer for a command: bundled catalog plus the overrides file from --prices, TOKENLEDGER_PRICES or ./ */
export function loadCliPricer(o: LedgerOptions): Promise<Pricer> {
  return loadPricer({ overridesPath: o.prices, cwd: process.cwd(), env: process.env });
}

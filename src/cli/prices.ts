import { TokenledgerError } from '../errors.js';
import { describeModel, formatModelDescription } from '../pricing/describe.js';
import { type LedgerOptions, nowMicros } from './context.js';
import { loadCliPricer } from './pricer.js';

export async function pricesShow(name: string, o: LedgerOptions, out: (s: string) => void): Promise<void> {
  const pricer = await loadCliPricer(o);
  const d = describeModel(pricer, name, nowMicros());
  if (!d) {
    throw new TokenledgerError(
      'CLI_UNKNOWN_MODEL',
      `"${name}" matches no catalog or override model; events for it are kept as unpriced. Add it to tokenledger.prices.yaml (docs/pricing.md)`,
    );
  }
  out(`${formatModelDescription(d)}\n`);
}

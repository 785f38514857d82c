import { TokenledgerError } from '../errors.js';
import { repriceWith } from '../ingest/reprice.js';
import { formatUsdShort } from '../money/money.js';
import { type LedgerOptions, nowMicros, withStore } from './context.js';
import { parseRange } from './filters.js';
import { counted, groupDigits } from './group-digits.js';
import { loadCliPricer } from './pricer.js';

export interface RepriceOptions extends LedgerOptions {
  since?: string;
  /** The IANA zone a --since date is read in (UTC by default). */
  tz?: string;
  model?: string;
}

/** Recomputes costs with the catalog and overrides now in force; old values go to the audit table. */
export async function repriceCommand(o: RepriceOptions, out: (s: string) => void): Promise<void> {
  const pricer = await loadCliPricer(o);
  const now = nowMicros();
  const { since } = parseRange({ since: o.since, tz: o.tz }, now);
  let model: string | undefined;
  if (o.model) {
    const resolved = pricer.resolve(o.model);
    if (!resolved)
      throw new TokenledgerError(
        'CLI_UNKNOWN_MODEL',
        `--model ${JSON.stringify(o.model)}: no catalog or override model by that name (see \`tokenledger prices show NAME\`)`,
      );
    model = resolved.model;
  }
  const s = await withStore(o, (store) => store.reprice({ since, model }, repriceWith(pricer), now), {
    existing: true,
  });
  out(
    `repriced with ${pricer.version}: ${counted(s.examined, 'event')} examined, ${groupDigits(s.changed)} changed, ` +
      `${total(s.old_cost_usd, s.old_unpriced)} → ${total(s.new_cost_usd, s.new_unpriced)}\n` +
      'previous costs are kept in the audit table; `tokenledger report --billed` shows as-billed against repriced\n',
  );
}

/** A sum and the events it leaves out for want of a price: "$0.00 + 1 unpriced", never a bare $0.00 for unknown. */
function total(usd: bigint, unpriced: number): string {
  return unpriced === 0 ? formatUsdShort(usd) : `${formatUsdShort(usd)} + ${groupDigits(unpriced)} unpriced`;
}

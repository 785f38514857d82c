/**
 * A call of team payments to gpt-4o ("hello world", max_tokens 1000) as the gateway admits it, and the event it records
 * when it ends: for the enforcer tests that follow calls in flight from admission to the ledger.
 */
import type { AdmitCall } from '../../src/budgets/enforcer.js';
import { picoToNanoUp } from '../../src/budgets/nano.js';
import { emptyAttribution, type UsageEvent } from '../../src/ledger/event.js';
import type { Pricer } from '../../src/pricing/pricer.js';
import { unpricedEvent } from '../../src/pricing/unpriced-event.js';
import type { Store } from '../../src/store/store.js';

/** The call with event id `eventId` at `ts` (epoch µs), recording 9 input and `outputTokens` output tokens. */
export function paymentsCall(
  pricer: Pricer,
  eventId: string,
  ts: number,
  outputTokens: number,
): { admit: AdmitCall; event: UsageEvent } {
  return {
    admit: {
      attribution: { ...emptyAttribution(), team: 'payments' },
      provider: 'openai',
      model: 'gpt-4o',
      json: { model: 'gpt-4o', max_tokens: 1000, messages: [{ role: 'user', content: 'hello world' }] },
      inputText: () => 'hello world',
      mayWriteCache: false,
      ts,
      eventId,
    },
    event: pricer.price(
      unpricedEvent({
        event_id: eventId,
        ts,
        team: 'payments',
        provider: 'openai',
        model: 'gpt-4o',
        input_tokens: 9,
        output_tokens: outputTokens,
      }),
    ),
  };
}

/** What the ledger says team payments spent, in nano-USD as the counters hold it. */
export async function paymentsSpent(store: Store): Promise<bigint> {
  const { totals } = await store.query({
    dimensions: [],
    filters: [{ dimension: 'team', values: ['payments'] }],
  });
  return picoToNanoUp(totals.cost_usd);
}

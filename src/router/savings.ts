import type { UnpricedEvent, UsageEvent } from '../ledger/event.js';
import { formatUsd } from '../money/money.js';
import { callOf, type Pricer } from '../pricing/pricer.js';
import { type EventRange, eventPages } from '../store/event-range.js';
import type { Store } from '../store/store.js';

/**
 * What routing saved: every call a router sent (its `route_id`) priced again as if the model it is compared with
 * had answered it, with the same tokens, less what it cost. The comparison is a router's strongest model unless
 * told otherwise: what the calls would have cost without the router, had the team sent them all to the model it
 * trusts. The same tokens is the one assumption: another model would have answered at another length (the router
 * file's `mean_output_tokens` says by how much on its training prompts), which no ledger can know.
 */
export interface RoutedModel {
  /** The model that answered (canonical id). */
  model: string;
  calls: number;
  cost_usd: bigint;
  /** The same calls priced as the compared model. */
  versus_cost_usd: bigint;
}

export interface RouterSavings {
  router: string;
  /**
   * The model compared with: as the config or `--versus` names it, else the priciest the router chose in the range
   * (`versus_inferred`); null only where none of those has a price.
   */
  versus: string | null;
  /**
   * True where no config or `--versus` named the model compared with (a ledger read without the config that named
   * its routers): it is then the priciest model the router chose, the one it sends the prompts it judges hardest.
   */
  versus_inferred: boolean;
  /** Calls counted in the sums: priced as they ran and as the compared model. */
  calls: number;
  cost_usd: bigint;
  versus_cost_usd: bigint;
  /** `versus_cost_usd - cost_usd`: negative when routing cost more. */
  saved_usd: bigint;
  /** Calls left out of the sums: no price for what ran, or none for the compared model (unknown, not $0). */
  unpriced: number;
  models: RoutedModel[];
}

/** Sums routed calls as they arrive (a range's events, a page at a time), so memory holds the sums alone. */
export class SavingsTally {
  private readonly routers = new Map<string, RouterSavings>();

  /**
   * @param versusOf the model a router's calls are compared with, as the pricer names it; null for none known
   * @param price the ledger's pricer (pricing/pricer.ts)
   */
  constructor(
    private readonly versusOf: (router: string) => string | null,
    private readonly price: (e: UnpricedEvent) => UsageEvent,
  ) {}

  add(e: UsageEvent): void {
    if (e.route_id === null) return;
    const r = this.routerOf(e.route_id);
    const versus = r.versus === null || e.cost_usd === null ? null : this.versusCost(e, r.versus);
    if (versus === null) {
      r.unpriced += 1;
      return;
    }
    const m = modelOf(r, e.model);
    r.calls += 1;
    m.calls += 1;
    r.cost_usd += e.cost_usd!;
    m.cost_usd += e.cost_usd!;
    r.versus_cost_usd += versus;
    m.versus_cost_usd += versus;
  }

  /** By router name; each router's models by what they cost, most first. */
  result(): RouterSavings[] {
    return [...this.routers.values()]
      .sort((a, b) => (a.router < b.router ? -1 : 1))
      .map((r) => ({
        ...r,
        saved_usd: r.versus_cost_usd - r.cost_usd,
        models: [...r.models].sort((a, b) =>
          b.cost_usd > a.cost_usd ? 1 : b.cost_usd < a.cost_usd ? -1 : 0,
        ),
      }));
  }

  private routerOf(router: string): RouterSavings {
    let r = this.routers.get(router);
    if (r === undefined) {
      r = {
        router,
        versus: this.versusOf(router),
        versus_inferred: false,
        calls: 0,
        cost_usd: 0n,
        versus_cost_usd: 0n,
        saved_usd: 0n,
        unpriced: 0,
        models: [],
      };
      this.routers.set(router, r);
    }
    return r;
  }

  /**
   * The call priced as `versus`, with its own tokens, tier and time (a price in force then): null where `versus`
   * has no price for one of its token kinds.
   */
  private versusCost(e: UsageEvent, versus: string): bigint | null {
    return this.price({ ...callOf(e), model: versus, provider: null }).cost_usd;
  }
}

/** Routed calls a page: what memory holds, whatever the range. */
const PAGE = 5000;

/** The savings of every router that sent calls in the range (the range's filters apply too), read a page at a time. */
export async function routingSavings(
  store: Store,
  pricer: Pricer,
  versusOf: (router: string) => string | null,
  range: EventRange,
): Promise<RouterSavings[]> {
  // The routers that sent calls in the range, and the models they chose: a routed call is one whose route_id names
  // its router.
  const { rows } = await store.query({
    dimensions: ['route_id', 'model'],
    ...range,
    filters: [...range.filters],
  });
  const chosen = new Map<string, string[]>();
  let calls = 0;
  for (const r of rows) {
    const router = r.dims.route_id;
    if (router === null || router === undefined || router === '') continue;
    const models = chosen.get(router) ?? [];
    if (r.dims.model) models.push(r.dims.model);
    chosen.set(router, models);
    calls += r.events;
  }
  const inferred = new Set<string>();
  const versus = (router: string) => {
    const named = versusOf(router);
    if (named !== null) return named;
    const priciest = priciestModel(pricer, chosen.get(router) ?? [], range.until - 1);
    if (priciest !== null) inferred.add(router);
    return priciest;
  };
  const t = new SavingsTally(versus, (e) => pricer.price(e));
  const routed = {
    ...range,
    filters: [...range.filters, { dimension: 'route_id' as const, values: [...chosen.keys()] }],
  };
  // The first page's window from the count: a page of calls at the range's average rate, a fifth more for luck.
  const window = Math.ceil(((range.until - range.since) * PAGE * 1.2) / Math.max(calls, 1));
  if (chosen.size > 0)
    for await (const page of eventPages(store, routed, PAGE, { window })) for (const e of page) t.add(e);
  return t.result().map((s) => (inferred.has(s.router) ? { ...s, versus_inferred: true } : s));
}

/**
 * The model of `models` with the highest list rate for input plus output per 1M tokens at `at` (standard tier; ties
 * go to the first name in order), or null where none has a price. A router sends the prompts it judges hardest to
 * its strongest model, and a team pays more per token for the model it trusts most.
 */
export function priciestModel(pricer: Pricer, models: readonly string[], at: number): string | null {
  let best: string | null = null;
  let bestRate = -1n;
  for (const model of [...models].sort()) {
    const r = pricer.resolve(model);
    const card = r === null ? null : pricer.rates(r, at, 0, null);
    if (card === null || card.input + card.output <= bestRate) continue;
    best = model;
    bestRate = card.input + card.output;
  }
  return best;
}

/** As the API and `--format json` give it: amounts as exact decimal strings. */
export function savingsJson(s: RouterSavings) {
  return {
    router: s.router,
    versus: s.versus,
    versus_inferred: s.versus_inferred,
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
      saved_usd: formatUsd(m.versus_cost_usd - m.cost_usd),
    })),
  };
}

function modelOf(r: RouterSavings, model: string): RoutedModel {
  let m = r.models.find((x) => x.model === model);
  if (m === undefined) {
    m = { model, calls: 0, cost_usd: 0n, versus_cost_usd: 0n };
    r.models.push(m);
  }
  return m;
}

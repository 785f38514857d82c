import type { RateCard, UnpricedEvent, UsageEvent } from '../ledger/event.js';
import type { Catalog } from './catalog.js';
import type { Overrides } from './overrides.js';
import type { PricedModel } from './priced-model.js';
import type { Pricer } from './pricer.js';
import type { Resolution } from './resolve.js';

/**
 * A pricer whose prices can be replaced while it is in use: `serve` swaps in an edited overrides file without a
 * restart, and every holder (gateway, budgets, API) prices with the new one from its next call. An event is priced by
 * one pricer whole, and its `price_version` says which.
 */
export class LivePricer implements Pricer {
  constructor(private current: Pricer) {}

  get version(): string {
    return this.current.version;
  }
  get catalog(): Catalog {
    return this.current.catalog;
  }
  get overrides(): Overrides | null {
    return this.current.overrides;
  }
  price(e: UnpricedEvent): UsageEvent {
    return this.current.price(e);
  }
  resolve(model: string, provider?: string | null): Resolution | null {
    return this.current.resolve(model, provider);
  }
  // Forwarded whole: a parameter listed here one by one was once dropped (the web search tool's fee).
  rates(...args: Parameters<Pricer['rates']>): RateCard | null {
    return this.current.rates(...args);
  }
  pricedModel(r: Resolution): PricedModel {
    return this.current.pricedModel(r);
  }
  swap(next: Pricer): void {
    this.current = next;
  }
}

import type { Pricer } from '../pricing/pricer.js';
import type { Store } from '../store/store.js';
import type { Budget } from './budget.js';
import type { Counters } from './counters/counters.js';
import { picoToNanoUp } from './nano.js';
import { budgetWindow, counterId, counterKey, HOUR_MS } from './period.js';
import { scopeFilters } from './scope-filters.js';

/**
 * Seeds the counters from the ledger at start-up: each budget's spend in its current window (hourly buckets for a
 * rolling one), so a restart forgets nothing. Keys that already exist (another instance, or Redis that outlived
 * us) are left alone by Counters.seed. Returns how many keys were offered.
 */
export async function rebuildCounters(
  store: Store,
  counters: Counters,
  pricer: Pricer,
  budgets: readonly Budget[],
  nowMs: number,
): Promise<number> {
  const entries = await counterEntries(store, pricer, budgets, nowMs);
  if (entries.length > 0) await counters.seed(entries);
  return entries.length;
}

/** What rebuildCounters seeds: each budget's spend in its current window, read from the ledger (none for 0). */
export async function counterEntries(
  store: Store,
  pricer: Pricer,
  budgets: readonly Budget[],
  nowMs: number,
): Promise<{ key: string; value: bigint; ttlSeconds: number }[]> {
  const entries: { key: string; value: bigint; ttlSeconds: number }[] = [];
  for (const b of budgets) {
    const w = budgetWindow(b, nowMs);
    const filters = scopeFilters(b.scope, pricer);
    const since = w.start * 1000;
    const until = w.end * 1000;
    if (b.period.kind === 'rolling') {
      const buckets = b.period.days * 24;
      const r = await store.query({ dimensions: [], filters, since, until, bucket: 'hour' });
      for (const row of r.rows) {
        const start = Date.parse(row.bucket!);
        const value = picoToNanoUp(row.cost_usd);
        if (value <= 0n) continue;
        const ttl = Math.ceil((start + buckets * HOUR_MS - nowMs) / 1000) + 3600;
        entries.push({ key: counterKey(counterId(b), start), value, ttlSeconds: ttl });
      }
    } else {
      const r = await store.query({ dimensions: [], filters, since, until });
      const value = picoToNanoUp(r.totals.cost_usd);
      if (value > 0n) entries.push({ key: w.keys[0]!, value, ttlSeconds: w.ttlSeconds });
    }
  }
  return entries;
}

import { stat } from 'node:fs/promises';
import type { LivePricer } from '../pricing/live-pricer.js';
import { type LoadPricerOptions, overridesCandidates, readOverrides } from '../pricing/load.js';
import type { Overrides } from '../pricing/overrides.js';
import { createPricer } from '../pricing/pricer.js';

export interface PriceReloadOptions {
  pricing: LoadPricerOptions;
  pricer: LivePricer;
  /** After a swap, with the overrides now in force (the OTLP worker prices with its own copy). */
  onReload?: (overrides: Overrides | null) => void;
  log: (line: string) => void;
  /** How often the overrides file is looked at; default 2 s. */
  intervalMs?: number;
}

/**
 * Keeps a running server's prices in step with its overrides file (docs/pricing.md): a negotiated discount or a
 * self-hosted model's price, saved while the server runs, prices the next call. The file is checked by size and
 * modification time every couple of seconds; a changed file is parsed whole and swapped in only if valid. A file
 * with an error is reported (file, key path and reason) and the prices in force stay.
 */
export function watchPriceOverrides(o: PriceReloadOptions): { check(): Promise<boolean>; stop(): void } {
  let seen: Promise<string> = signature(o.pricing);
  let running: Promise<boolean> | null = null;
  async function checkOnce(): Promise<boolean> {
    const before = await seen;
    const now = await signature(o.pricing);
    if (now === before) return false;
    seen = Promise.resolve(now);
    const was = o.pricer.version;
    try {
      const overrides = await readOverrides(o.pricing);
      o.pricer.swap(createPricer(o.pricer.catalog, overrides));
      o.onReload?.(overrides);
      o.log(
        `prices: ${overrides === null ? 'no overrides file now' : `${overrides.file} reloaded`}; price version ${was} → ${o.pricer.version}`,
      );
      return true;
    } catch (e) {
      o.log(`prices: ${(e as Error).message}; the prices in force stay (${was})`);
      return false;
    }
  }
  const check = () => {
    running ??= checkOnce().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    check().catch((e: Error) => o.log(`prices: checking the overrides file failed: ${e.message}`));
  }, o.intervalMs ?? 2000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}

/** Size and modification time of each file the overrides could come from ("-" for a missing one). */
async function signature(pricing: LoadPricerOptions): Promise<string> {
  const parts = await Promise.all(
    overridesCandidates(pricing).map((p) =>
      stat(p).then(
        (s) => `${s.size}:${s.mtimeMs}`,
        () => '-',
      ),
    ),
  );
  return parts.join('|');
}

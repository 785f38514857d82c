import { formatDecimal, parseDecimal } from '../money/money.js';

/**
 * Counters hold integer nano-dollars (1e-9 USD): the ledger's pico-dollars are finer than any budget needs, and
 * nano-dollars keep Redis' 64-bit integers (and Lua's 2^53 doubles) far from overflow (2^53 nano = $9M per key).
 */

/** Pico-dollars to nano-dollars, rounded up: spend and reservations never fall short of the ledger. */
export function picoToNanoUp(pico: bigint): bigint {
  const q = pico / 1000n;
  return pico > 0n && pico % 1000n !== 0n ? q + 1n : q;
}

/** A budget's decimal USD limit in nano-dollars, rounded down: a limit is never exceeded by rounding. */
export function usdToNanoDown(usd: string): bigint {
  const pico = parseDecimal(usd);
  const q = pico / 1000n;
  return pico < 0n && pico % 1000n !== 0n ? q - 1n : q;
}

/** Nano-dollars as a USD decimal string with 9 fractional digits, e.g. 667000000n → "0.667000000". */
export function nanoToUsd(nano: bigint): string {
  return formatDecimal(nano, 9);
}

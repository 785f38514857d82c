import { numberToDecimal } from '../money/money.js';

/**
 * The ledger's `audio_ms` of a duration a provider reports in seconds (whisper-1's `usage.seconds`, the Admin
 * usage export's `seconds`): milliseconds, read through the number's shortest decimal string so that `0.1` is
 * exactly 100, with anything finer than a millisecond rounded half-to-even. Null for what is not a duration: not a
 * finite number, negative, or past what an integer holds exactly.
 */
export function audioMsOfSeconds(seconds: unknown): number | null {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return null;
  if (seconds > MAX_SECONDS) return null;
  return Number(numberToDecimal(seconds, 3));
}

/** The most seconds whose milliseconds are a safe integer. */
const MAX_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

// The ledger's own reading of a time bound: pure, no Node.
import { parseTimeBound } from '../../src/ledger/time.js';

/**
 * The bucket a spend chart uses: hours for a range of two days or less (days would draw one or two bars), however
 * the URL gives its ends (an age, a month, a date, epoch ms: read as the API reads them).
 */
export function chartBucket(since: string, until: string | null = null): 'hour' | 'day' {
  const now = Date.now() * 1000;
  try {
    const span = (until === null ? now : parseTimeBound(until, now)) - parseTimeBound(since, now);
    return span <= 48 * 3_600_000_000 ? 'hour' : 'day';
  } catch {
    return 'day'; // not a time: the API says so, and what the chart would be does not matter
  }
}

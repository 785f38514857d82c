/**
 * Epoch microseconds as ClickHouse's basic DateTime64 text, in UTC: the input format every server parses, whatever
 * its `date_time_input_format`.
 */
export function chTime(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  const frac = String(((us % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${frac}`;
}

/** The server's clock in epoch µs: what versions a replaced row (ReplacingMergeTree keeps the highest). */
export const SERVER_MICROS = 'toUnixTimestamp64Micro(now64(6))';

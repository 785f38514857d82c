/**
 * An integer with commas between groups of three digits (1234567 → "1,234,567"), as `Intl.NumberFormat('en-US')`
 * writes it. By hand because the first Intl formatter of a process loads ICU's number data, ~10–25 ms of every
 * import and report (a re-import with nothing new takes ~0.15 s in all). Non-integers, which no count is, go to Intl.
 */
export function groupDigits(n: number | bigint): string {
  if (typeof n === 'number' && !Number.isInteger(n)) return new Intl.NumberFormat('en-US').format(n);
  // BigInt writes every digit, where String(1e21) is "1e+21".
  const s = BigInt(n).toString();
  const sign = s.startsWith('-') ? '-' : '';
  const digits = sign ? s.slice(1) : s;
  const head = digits.length % 3 || 3;
  let out = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return sign + out;
}

/** A count and its noun: "1 event", "2 events", "1,024 events". */
export function counted(n: number | bigint, noun: string): string {
  return `${groupDigits(n)} ${noun}${n === 1 || n === 1n ? '' : 's'}`;
}

/** Milliseconds as seconds to the millisecond, exactly, the seconds grouped: 3723500 → "3,723.500". */
export function groupedSeconds(ms: number): string {
  return `${groupDigits(Math.floor(ms / 1000))}.${String(ms % 1000).padStart(3, '0')}`;
}

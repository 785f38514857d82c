/**
 * Money arrives as decimal strings with 12 fractional digits and is formatted from the string, so what the page
 * shows is the ledger's amount rounded half-to-even to cents, never a float's approximation of it.
 */
function roundDecimal(s: string, digits: number): string {
  const neg = s.startsWith('-');
  const [w = '0', f = ''] = (neg ? s.slice(1) : s).split('.');
  const frac = f.padEnd(digits + 1, '0');
  let n = BigInt(w + frac.slice(0, digits));
  const rest = frac.slice(digits);
  const half = `5${'0'.repeat(rest.length - 1)}`;
  if (rest > half || (rest === half && n % 2n === 1n)) n += 1n;
  const t = n.toString().padStart(digits + 1, '0');
  const whole = t.slice(0, t.length - digits);
  const out = digits > 0 ? `${whole}.${t.slice(t.length - digits)}` : whole;
  return neg && n !== 0n ? `-${out}` : out;
}

function group(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * "$12,345.68"; amounts under a cent keep four digits and at least two significant ones ("$0.0042",
 * "$0.00000048") so small calls do not read as free.
 */
export function usd(s: string | number | null | undefined): string {
  if (s === null || s === undefined) return '—';
  const text = String(s);
  const small = /^-?0\.00/.test(text) && !/^-?0\.0+$/.test(text);
  const fraction = text.split('.')[1] ?? '';
  const digits = small ? Math.max(4, Math.min(fraction.length, fraction.search(/[1-9]/) + 2)) : 2;
  const r = roundDecimal(text, digits);
  const neg = r.startsWith('-');
  const [w, f] = (neg ? r.slice(1) : r).split('.');
  return `${neg ? '-' : ''}$${group(w!)}.${f}`;
}

/**
 * A report row's cost: "unpriced" when none of its events has a price (never "$0.00", which would read as free),
 * and marked "*" when some lack one (their cost is not in it).
 */
export function rowUsd(r: Record<string, string | number | null>): string {
  const unpriced = Number(r.unpriced_events ?? 0);
  if (unpriced === 0) return usd(r.cost_usd);
  return unpriced === Number(r.events) ? 'unpriced' : `${usd(r.cost_usd)}*`;
}

/** What the dashboard calls the row a top-N folds every other group into. */
export const ALL_OTHERS = '(all others)';

/**
 * Whether a row is the one a top-N folds every other group into: the API flags it `other: true` (a row's one boolean
 * field), since its values read "other", as those of a team or person really named so do.
 */
export function isFolded(r: Record<string, string | number | null>): boolean {
  return (r as Record<string, unknown>).other === true;
}

/** A row's value of `dim` as shown: ALL_OTHERS for the folded row, "(not set)" for null. */
export function groupLabel(r: Record<string, string | number | null>, dim: string): string {
  if (isFolded(r)) return ALL_OTHERS;
  return r[dim] === null || r[dim] === undefined ? '(not set)' : String(r[dim]);
}

/** Full precision for the audit view: "$0.012345678901". */
export function usdExact(s: string | null | undefined): string {
  return s === null || s === undefined ? '—' : `$${s}`;
}

/** An exact decimal without the zeros that say nothing: "1.250000000000000000" → "1.25", "10.000" → "10". */
export function exactDecimal(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en-US');

export function count(n: number | string | null | undefined, short = false): string {
  if (n === null || n === undefined) return '—';
  return short ? compact.format(Number(n)) : whole.format(Number(n));
}

/** A µs or ISO timestamp in the viewer's time zone. */
export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/**
 * The exact sum of decimal amounts, as a decimal string with as many fractional digits as the longest: what a
 * chart's legend shows for several rows (the API's strings have 12).
 */
export function sumDecimals(amounts: readonly string[]): string {
  const digits = Math.max(0, ...amounts.map((a) => (a.split('.')[1] ?? '').length));
  let n = 0n;
  for (const a of amounts) {
    const neg = a.startsWith('-');
    const [w = '0', f = ''] = (neg ? a.slice(1) : a).split('.');
    const v = BigInt(w + f.padEnd(digits, '0'));
    n += neg ? -v : v;
  }
  const neg = n < 0n;
  const t = (neg ? -n : n).toString().padStart(digits + 1, '0');
  const out = digits > 0 ? `${t.slice(0, t.length - digits)}.${t.slice(t.length - digits)}` : t;
  return neg ? `-${out}` : out;
}

/** Dollars as a number for chart heights only (never for a value shown or summed). */
export function dollars(s: string | number | null | undefined): number {
  return s === null || s === undefined ? 0 : Number(s);
}

/**
 * A budget's spend as a percent of its limit, one decimal rounded down: the budget acts at 100%, so 99.96% must not
 * read as "100.0%". The API's percent has two decimals (budgets/status.ts): cutting the second off its decimal text
 * rounds down without the binary-float error of multiplying by 10.
 */
/**
 * A share for people: "90.0%" (a cache's share of prompt tokens, a tier's of spend; a ratio, never an amount of
 * money); — where there is nothing to divide.
 */
export function percent(ratio: number | null): string {
  return ratio === null ? '—' : `${(ratio * 100).toFixed(1)}%`;
}

export function percentOfLimit(percent: number): string {
  return `${percent.toFixed(2).slice(0, -1)}%`;
}

export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** "+1.25", "-0.40": a change per $100, signed so a fall reads as one. */
export function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
}

/** A 90% interval of such changes, or why there is none. */
export function intervalText(i: [number, number] | null): string {
  return i === null ? 'too few people' : `${signed(i[0])} to ${signed(i[1])}`;
}

/** "1 person", "3 people". */
export function people(n: number): string {
  return `${count(n)} ${n === 1 ? 'person' : 'people'}`;
}

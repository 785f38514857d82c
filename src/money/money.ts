/**
 * Exact money. Amounts are bigint pico-dollars (1e-12 USD): `cost_usd` carries 12 fractional digits, so one
 * pico-dollar is the smallest amount the ledger can hold. Nothing on a cost path ever touches a binary float.
 */

/** Fractional digits of every stored amount. */
export const SCALE = 12;
export const PICO_PER_USD = 10n ** BigInt(SCALE);

export class MoneyError extends Error {
  readonly code = 'MONEY_BAD_DECIMAL';
}

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal string ("3.75", "-0.5", "1e-7", "12") into an integer at `scale` fractional digits.
 * Digits past `scale` are rounded half-to-even, the rule that keeps sums of rounded amounts unbiased.
 */
const PLAIN = /^(-?)(\d+)\.(\d+)$/;

export function parseDecimal(text: string, scale = SCALE): bigint {
  // Fast path for what ledgers write ("12.345000000000"): no exponent, no rounding needed.
  const p = PLAIN.exec(text);
  if (p !== null && p[3]!.length <= scale) {
    const v = BigInt(p[2]! + p[3]!.padEnd(scale, '0'));
    return p[1] === '-' ? -v : v;
  }
  const m = DECIMAL.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    throw new MoneyError(
      `not a decimal number: ${JSON.stringify(text)} (expected digits like "3.75" or "1e-7")`,
    );
  }
  const negative = m[1] === '-';
  const digits = `${m[2]}${m[3] ?? ''}`;
  // value = digits * 10^(exp - fractionLength); we want value * 10^scale.
  const shift = scale + Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  // A large exponent would have BigInt build a power of ten of that many digits ("1e999999999" hung an import).
  // Past 38 digits no amount is money; further below the last digit than its length rounds to zero.
  const significant = digits.replace(/^0+/, '').length;
  if (significant > 0 && significant + shift > 38) {
    throw new MoneyError(
      `out of range: ${JSON.stringify(text)} (at most 38 digits at ${scale} decimal places)`,
    );
  }
  if (significant === 0 || -shift > digits.length + 1) return 0n;
  const unscaled = BigInt(digits === '' ? '0' : digits);
  const value =
    shift >= 0 ? unscaled * 10n ** BigInt(shift) : divRoundHalfEven(unscaled, 10n ** BigInt(-shift));
  return negative ? -value : value;
}

/**
 * The exact decimal a JS number stands for, through its shortest round-trip string: the price 0.075 becomes
 * 0.075, not 0.07499999999999999722444243843710864894092082977294921875.
 */
export function numberToDecimal(n: number, scale = SCALE): bigint {
  if (!Number.isFinite(n)) throw new MoneyError(`not a finite number: ${n}`);
  return parseDecimal(String(n), scale);
}

/** a / b rounded half-to-even; b > 0. */
export function divRoundHalfEven(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new RangeError('divisor must be positive');
  const negative = a < 0n;
  const abs = negative ? -a : a;
  let q = abs / b;
  const r = abs % b;
  const twice = r * 2n;
  if (twice > b || (twice === b && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

/** Formats an integer at `scale` fractional digits as a plain decimal string, e.g. 1500000000n → "0.001500000000". */
export function formatDecimal(value: bigint, scale = SCALE): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${frac}` : ''}`;
}

/** Pico-dollars as the ledger's USD string with all 12 fractional digits. */
export function formatUsd(pico: bigint): string {
  return formatDecimal(pico, SCALE);
}

/** USD decimal string (or number from a provider's JSON) to pico-dollars. */
export function parseUsd(value: string | number): bigint {
  return typeof value === 'number' ? numberToDecimal(value) : parseDecimal(value);
}

/** Human money: "$1,234.57" (rounded half-to-even to cents, for display only). */
export function formatUsdShort(pico: bigint, fractionDigits = 2): string {
  const rounded = divRoundHalfEven(pico, 10n ** BigInt(SCALE - fractionDigits));
  const text = formatDecimal(rounded, fractionDigits);
  const negative = text.startsWith('-');
  const [whole, frac] = (negative ? text.slice(1) : text).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${grouped}${frac ? `.${frac}` : ''}`;
}

/**
 * Money for people to read: cents, but a small amount keeps 6 digits so a $0.0042 call does not read as $0.00.
 * Takes pico-dollars, or a USD decimal string as the API and the budgets file hold it.
 */
export function formatUsdDisplay(amount: bigint | string): string {
  const pico = picoOf(amount);
  return pico !== 0n && pico < 10_000_000_000n && pico > -10_000_000_000n
    ? formatUsdShort(pico, 6)
    : formatUsdShort(pico);
}

/**
 * "$412.50 of $500.00" for people, as formatUsdDisplay shows each, unless two different amounts would read the same
 * ($0.045 spent of a $0.05 budget is not "$0.05 of $0.05"): then both get the fewest more digits, up to 6, that
 * tell them apart.
 */
export function formatUsdOf(part: bigint | string, whole: bigint | string): string {
  const a = picoOf(part);
  const b = picoOf(whole);
  let x = formatUsdDisplay(a);
  let y = formatUsdDisplay(b);
  for (let digits = 3; x === y && a !== b && digits <= 6; digits++) {
    x = formatUsdShort(a, digits);
    y = formatUsdShort(b, digits);
  }
  return `${x} of ${y}`;
}

/** Pico-dollars as given, or from a USD decimal string. */
function picoOf(amount: bigint | string): bigint {
  return typeof amount === 'string' ? parseUsd(amount) : amount;
}

/**
 * Plain decimal digits with an optional fraction (`8`, `6.5`), the one form a typed amount or threshold is taken in:
 * no sign, exponent, hex, padding or bare point, each of which Number() or parseDecimal would read as some number.
 */
export const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

/**
 * A USD amount above zero in plain decimal digits (limits, thresholds in USD), as the API's USD parameters take it.
 * The amount is kept as written and shown back (`limit_usd`), so `1e3` or `.5`, which parseDecimal reads exactly,
 * would come back to every API client in a form a money string never has.
 */
export function isPositiveUsd(s: string): boolean {
  return PLAIN_DECIMAL.test(s) && parseDecimal(s) > 0n;
}

import { describe, expect, it } from 'vitest';
import {
  divRoundHalfEven,
  formatDecimal,
  formatUsd,
  formatUsdDisplay,
  formatUsdOf,
  formatUsdShort,
  MoneyError,
  numberToDecimal,
  parseDecimal,
  parseUsd,
} from './money.js';

describe('parseDecimal', () => {
  it('reads plain, signed, fractional and exponent forms exactly at 12 digits', () => {
    expect(parseDecimal('3.75')).toBe(3_750_000_000_000n);
    expect(parseDecimal('-0.5')).toBe(-500_000_000_000n);
    expect(parseDecimal('12')).toBe(12_000_000_000_000n);
    expect(parseDecimal('.25')).toBe(250_000_000_000n);
    expect(parseDecimal('1e-7')).toBe(100_000n);
    expect(parseDecimal('2.5E3')).toBe(2_500_000_000_000_000n);
    expect(parseDecimal('0.000000000001')).toBe(1n);
  });

  it('rounds digits past the scale half-to-even', () => {
    expect(parseDecimal('0.0000000000005')).toBe(0n); // tie, 0 is even
    expect(parseDecimal('0.0000000000015')).toBe(2n); // tie, 2 is even
    expect(parseDecimal('0.00000000000151')).toBe(2n);
    expect(parseDecimal('-0.0000000000015')).toBe(-2n);
  });

  it('rejects what is not a decimal, naming the text', () => {
    for (const bad of ['', '.', 'abc', '1,5', '0x10', '1e', 'NaN']) {
      expect(() => parseDecimal(bad)).toThrow(MoneyError);
    }
    expect(() => parseDecimal('1,5')).toThrow(/"1,5"/);
  });

  it('refuses amounts past 38 digits and rounds far-off fractions to zero, without building huge powers of ten', () => {
    // Found by decode-bytes.test.ts's corruptions: "0.004e547350000" hung an import in 10n ** 547350012n.
    expect(() => parseDecimal('0.004e547350000')).toThrow(/out of range/);
    expect(() => parseDecimal('1e27')).toThrow(/out of range/);
    expect(parseDecimal('1e25')).toBe(10n ** 37n);
    expect(parseDecimal('0e999999999')).toBe(0n);
    expect(parseDecimal('1e-999999999')).toBe(0n);
    expect(parseDecimal('-5e-13')).toBe(0n); // a tie: 0 is even
    expect(parseDecimal('6e-13')).toBe(1n);
  });
});

describe('numberToDecimal', () => {
  it('takes the shortest decimal string of a float, not its binary expansion', () => {
    // 0.075 is 0.07499999999999999722… in binary; the catalog means 0.075.
    expect(numberToDecimal(0.075)).toBe(75_000_000_000n);
    expect(numberToDecimal(0.1 + 0.2)).toBe(300_000_000_000n); // 0.30000000000000004 rounds at 12 digits
    expect(numberToDecimal(1e-7)).toBe(100_000n);
    expect(numberToDecimal(1.25e21, 0)).toBe(1_250_000_000_000_000_000_000n);
    expect(() => numberToDecimal(Number.NaN)).toThrow(MoneyError);
  });
});

describe('formatting', () => {
  it('prints every stored amount with exactly 12 fractional digits', () => {
    expect(formatUsd(1_500_000_000n)).toBe('0.001500000000');
    expect(formatUsd(0n)).toBe('0.000000000000');
    expect(formatUsd(-1n)).toBe('-0.000000000001');
    expect(formatUsd(123_456_789_000_000_000n)).toBe('123456.789000000000');
    expect(formatDecimal(5n, 0)).toBe('5');
  });

  it('round-trips through parseUsd', () => {
    for (const v of [0n, 1n, -7n, 999_999_999_999n, 10n ** 30n + 3n]) expect(parseUsd(formatUsd(v))).toBe(v);
  });

  it('shows money to people with grouping and cents', () => {
    expect(formatUsdShort(1_234_567_890_000_000n)).toBe('$1,234.57');
    expect(formatUsdShort(-15_000_000_000n)).toBe('-$0.02'); // tie at half a cent goes to the even cent
    expect(formatUsdShort(-5_000_000_000n)).toBe('$0.00');
  });

  it('keeps six digits for amounts under a cent, so a small call does not read as $0.00', () => {
    expect(formatUsdDisplay(76_891_633_500_000n)).toBe('$76.89');
    expect(formatUsdDisplay(4_200_000_000n)).toBe('$0.004200');
    expect(formatUsdDisplay(-4_200_000_000n)).toBe('-$0.004200');
    expect(formatUsdDisplay(10_000_000_000n)).toBe('$0.01');
    expect(formatUsdDisplay(0n)).toBe('$0.00');
  });

  it('shows a part of a whole at cents, or with the digits that keep two different amounts apart', () => {
    expect(formatUsdOf('412.5', '500')).toBe('$412.50 of $500.00');
    expect(formatUsdOf('500', '500')).toBe('$500.00 of $500.00');
    expect(formatUsdOf('0.045356', '0.05')).toBe('$0.045 of $0.050');
    expect(formatUsdOf('499.9961', '500')).toBe('$499.996 of $500.000');
    expect(formatUsdOf('499.9999999', '500')).toBe('$500.000000 of $500.000000'); // past 6 digits: rounded
    expect(formatUsdOf(4_200_000_000n, '1')).toBe('$0.004200 of $1.00');
  });
});

describe('divRoundHalfEven', () => {
  it('rounds ties to even in both signs', () => {
    expect(divRoundHalfEven(5n, 2n)).toBe(2n);
    expect(divRoundHalfEven(7n, 2n)).toBe(4n);
    expect(divRoundHalfEven(-5n, 2n)).toBe(-2n);
    expect(divRoundHalfEven(10n, 3n)).toBe(3n);
    expect(divRoundHalfEven(11n, 3n)).toBe(4n);
  });
});

describe('sums', () => {
  it('sum 1,000,000 random costs exactly, as an independent BigInt sum of their digits does', () => {
    // A tiny PRNG keeps the test deterministic; costs up to $100 with all 12 fractional digits used.
    let state = 0x9e3779b9;
    const next = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (t ^ (t >>> 14)) >>> 0;
    };
    const texts: string[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const whole = next() % 100;
      const frac = `${next() % 1_000_000}`.padStart(6, '0') + `${next() % 1_000_000}`.padStart(6, '0');
      texts.push(`${whole}.${frac}`);
    }
    let sum = 0n;
    for (const t of texts) sum += parseUsd(t);

    // Independent check: add whole parts and fractional parts as separate integers, then carry.
    let wholes = 0n;
    let fracs = 0n;
    for (const t of texts) {
      const [w, f] = t.split('.');
      wholes += BigInt(w!);
      fracs += BigInt(f!);
    }
    const expected = `${wholes + fracs / 10n ** 12n}.${(fracs % 10n ** 12n).toString().padStart(12, '0')}`;
    expect(formatUsd(sum)).toBe(expected);

    // And a float sum is visibly wrong at this scale, which is why none is used.
    const floatSum = texts.reduce((a, t) => a + Number(t), 0);
    expect(floatSum.toFixed(12)).not.toBe(expected);
  });
});

/**
 * Money is integer cents everywhere (never floats): 0.1 + 0.2 must not lose a cent on a student's account.
 * Parsing accepts what an admin types ("5", "-2.50", "+0.05", "1,000.25" is refused: ambiguous) and
 * refuses anything that is not a whole number of cents.
 */
import { SpoolError } from '../errors.ts';

const AMOUNT = /^([+-])?(\d{1,12})(?:\.(\d{1,2}))?$/;
export const MAX_ABS_CENTS = 100_000_000_000; // one billion in currency units: far above any print account

export function parseAmountToCents(input: string | number): number {
  const text = typeof input === 'number' ? String(input) : input.trim();
  const m = AMOUNT.exec(text);
  if (!m) {
    throw new SpoolError('accounts.invalid_amount', `"${String(input)}" is not an amount of money.`, {
      hint: 'Use a number with at most two decimals and a dot, e.g. 5, -2.50 or 0.05.',
    });
  }
  const sign = m[1] === '-' ? -1 : 1;
  const whole = Number(m[2]);
  const fraction = Number((m[3] ?? '').padEnd(2, '0'));
  const cents = sign * (whole * 100 + fraction);
  assertCents(cents);
  return cents === 0 ? 0 : cents; // no -0
}

export function assertCents(cents: number, what = 'amount'): void {
  if (!Number.isSafeInteger(cents) || Math.abs(cents) > MAX_ABS_CENTS) {
    throw new SpoolError('accounts.invalid_amount', `The ${what} must be a whole number of cents within ±${MAX_ABS_CENTS}.`);
  }
}

/** 1234 -> "12.34", -5 -> "-0.05". */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

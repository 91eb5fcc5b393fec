import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCents, parseAmountToCents } from './money.ts';

test('parses amounts to whole cents', () => {
  assert.equal(parseAmountToCents('5'), 500);
  assert.equal(parseAmountToCents('-2.5'), -250);
  assert.equal(parseAmountToCents('+0.05'), 5);
  assert.equal(parseAmountToCents(' 12.34 '), 1234);
  assert.equal(parseAmountToCents(0.1), 10);
  assert.equal(parseAmountToCents('-0'), 0);
});

test('refuses anything that is not a whole number of cents', () => {
  for (const bad of ['2.505', '1,000.25', 'abc', '', '1e3', '5.', '.5', 'NaN', '--1', '99999999999999']) {
    assert.throws(() => parseAmountToCents(bad), { code: 'accounts.invalid_amount' }, bad);
  }
});

test('formats cents', () => {
  assert.equal(formatCents(1234), '12.34');
  assert.equal(formatCents(-5), '-0.05');
  assert.equal(formatCents(0), '0.00');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialAccountFor, quotaDue, quotaPeriodStart } from './groups.ts';

test('new users get the most generous group policy, else the defaults', () => {
  const defaults = { balanceCents: 100, restricted: true };
  assert.deepEqual(initialAccountFor([], defaults), defaults);
  assert.deepEqual(initialAccountFor([{ initialCreditCents: 500, initialRestricted: null }, { initialCreditCents: 200, initialRestricted: false }], defaults), { balanceCents: 500, restricted: false });
  assert.deepEqual(initialAccountFor([{ initialCreditCents: null, initialRestricted: true }], defaults), { balanceCents: 100, restricted: true });
});

test('quota periods start on day, Monday and the 1st (UTC)', () => {
  const at = new Date('2026-11-26T15:00:00Z'); // a Thursday
  assert.equal(quotaPeriodStart('day', at).toISOString(), '2026-11-26T00:00:00.000Z');
  assert.equal(quotaPeriodStart('week', at).toISOString(), '2026-11-23T00:00:00.000Z');
  assert.equal(quotaPeriodStart('month', at).toISOString(), '2026-11-01T00:00:00.000Z');
  assert.equal(quotaDue('week', '2026-11-23T01:00:00Z', at), false);
  assert.equal(quotaDue('week', '2026-11-22T23:00:00Z', at), true);
  assert.equal(quotaDue('day', null, at), true);
});

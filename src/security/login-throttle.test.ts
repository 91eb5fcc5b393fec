import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLoginThrottle } from './login-throttle.ts';

test('locks a name after repeated failures and frees it when the window passes', () => {
  let now = 0;
  const t = createLoginThrottle({ perName: 3, perIp: 100, windowMs: 60_000, clock: () => now });
  for (let i = 0; i < 3; i++) {
    assert.equal(t.retryAfter('1.2.3.4', 'Admin'), 0);
    t.failed('1.2.3.4', 'admin');
  }
  assert.ok(t.retryAfter('1.2.3.4', 'admin') > 0);
  assert.equal(t.retryAfter('1.2.3.4', 'other'), 0);
  now += 61_000;
  assert.equal(t.retryAfter('1.2.3.4', 'admin'), 0);
});

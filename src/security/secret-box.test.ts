import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { createSecretBox } from './secret-box.ts';

test('secrets round-trip, are not stored in clear, and a wrong key is detected', () => {
  const box = createSecretBox(crypto.randomBytes(32));
  const sealed = box.seal('p@ss wörd');
  assert.ok(!sealed.includes('p@ss'));
  assert.notEqual(box.seal('p@ss wörd'), sealed); // random IV
  assert.equal(box.open(sealed), 'p@ss wörd');
  assert.throws(() => createSecretBox(crypto.randomBytes(32)).open(sealed), { code: 'config.secret_unreadable' });
});

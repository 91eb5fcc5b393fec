import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { hashPassword } from './passwords.ts';
import { directoryPinDigester, verifyPin } from './pins.ts';
import { createSecretBox } from './secret-box.ts';

describe('PINs', () => {
  const box = createSecretBox(crypto.randomBytes(32));
  const key = box.subkey('directory-pin');

  test('a directory PIN is stored as a keyed digest, never as itself, and verifies in constant time', async () => {
    const stored = directoryPinDigester(key)('4711');
    assert.match(stored, /^hmac-sha256\$[\w-]{43}$/);
    assert.ok(!stored.includes('4711'));
    assert.equal(await verifyPin(stored, ' 4711', key), true);
    assert.equal(await verifyPin(stored, '4712', key), false);
    assert.equal(await verifyPin(stored, '', key), false);
    assert.equal(await verifyPin(null, '4711', key), false);
  });

  test('another site (another secret key) or another purpose gives another digest', () => {
    const other = createSecretBox(crypto.randomBytes(32)).subkey('directory-pin');
    assert.notEqual(directoryPinDigester(key)('4711'), directoryPinDigester(other)('4711'));
    assert.notEqual(box.subkey('directory-pin').toString('hex'), box.subkey('something-else').toString('hex'));
    assert.equal(box.subkey('directory-pin').toString('hex'), key.toString('hex'));
  });

  test('a PIN set in Spool (argon2id) verifies through the same call', async () => {
    assert.equal(await verifyPin(await hashPassword('2468'), '2468', key), true);
  });
});

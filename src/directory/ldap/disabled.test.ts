import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { disabledRuleAttributes, isEntryDisabled, parseGeneralizedTime } from './disabled.ts';
import { makeEntry } from './entry.ts';

const now = new Date('2025-06-01T00:00:00Z');
// FILETIME for 2020-01-01 and 2030-01-01
const ft = (d: string): string => String(BigInt(Date.parse(d)) * 10_000n + 116444736000000000n);

describe('isEntryDisabled', () => {
  test('AD userAccountControl bit 0x2 and accountExpires', () => {
    assert.equal(isEntryDisabled(makeEntry('cn=a', { userAccountControl: '514' }), 'ad-uac', now), true);
    assert.equal(isEntryDisabled(makeEntry('cn=a', { userAccountControl: '512' }), 'ad-uac', now), false);
    assert.equal(isEntryDisabled(makeEntry('cn=a', { userAccountControl: '66050' }), 'ad-uac', now), true);
    assert.equal(isEntryDisabled(makeEntry('cn=a', { userAccountControl: '512', accountExpires: ft('2020-01-01') }), 'ad-uac', now), true);
    assert.equal(isEntryDisabled(makeEntry('cn=a', { userAccountControl: '512', accountExpires: ft('2030-01-01') }), 'ad-uac', now), false);
    assert.equal(isEntryDisabled(makeEntry('cn=a', { userAccountControl: '512', accountExpires: '9223372036854775807' }), 'ad-uac', now), false);
    assert.equal(isEntryDisabled(makeEntry('cn=a', { userAccountControl: '512', accountExpires: '0' }), 'ad-uac', now), false);
  });
  test('eDirectory loginDisabled', () => {
    assert.equal(isEntryDisabled(makeEntry('cn=a', { loginDisabled: 'TRUE' }), 'edirectory-login-disabled', now), true);
    assert.equal(isEntryDisabled(makeEntry('cn=a', { loginDisabled: 'FALSE' }), 'edirectory-login-disabled', now), false);
    assert.equal(isEntryDisabled(makeEntry('cn=a', { loginExpirationTime: '20200101000000Z' }), 'edirectory-login-disabled', now), true);
  });
  test('OpenLDAP ppolicy lock, shadowExpire, nsAccountLock', () => {
    assert.equal(isEntryDisabled(makeEntry('uid=a', { pwdAccountLockedTime: '000001010000Z' }), 'openldap-locked', now), true);
    assert.equal(isEntryDisabled(makeEntry('uid=a', { shadowExpire: '1' }), 'openldap-locked', now), true);
    assert.equal(isEntryDisabled(makeEntry('uid=a', { shadowExpire: '-1' }), 'openldap-locked', now), false);
    assert.equal(isEntryDisabled(makeEntry('uid=a', { shadowExpire: '99999' }), 'openldap-locked', now), false);
    assert.equal(isEntryDisabled(makeEntry('uid=a', { nsAccountLock: 'true' }), 'openldap-locked', now), true);
    assert.equal(isEntryDisabled(makeEntry('uid=a', {}), 'openldap-locked', now), false);
  });
  test('none and attribute lists', () => {
    assert.equal(isEntryDisabled(makeEntry('uid=a', { userAccountControl: '514' }), 'none', now), false);
    assert.deepEqual(disabledRuleAttributes('ad-uac'), ['userAccountControl', 'accountExpires']);
    assert.deepEqual(disabledRuleAttributes('none'), []);
  });
  test('parseGeneralizedTime', () => {
    assert.equal(parseGeneralizedTime('20240102030405Z')?.toISOString(), '2024-01-02T03:04:05.000Z');
    assert.equal(parseGeneralizedTime('20240102030405.5+0100')?.toISOString(), '2024-01-02T02:04:05.000Z');
    assert.equal(parseGeneralizedTime('garbage'), undefined);
  });
});

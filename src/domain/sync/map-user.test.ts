import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCardTransform } from './card-transform.ts';
import type { UserFieldMap } from './map-user.ts';
import { mapDirectoryUser } from './map-user.ts';

const MAP: UserFieldMap = {
  username: 'sAMAccountName', usernameAlias: 'userPrincipalName', fullName: 'displayName', givenName: 'givenName', surname: 'sn',
  email: 'mail', otherEmails: 'proxyAddresses', department: 'department', office: 'physicalDeliveryOfficeName', homeDir: 'homeDirectory',
  cardNumber: 'employeeID', cardNumber2: null, stableId: 'objectGUID', cardSteps: parseCardTransform('hex-to-dec'), card2Steps: [],
};

function input(attrs: Record<string, string[]>, extra: Partial<{ dn: string; stableId: string | undefined; disabled: boolean }> = {}) {
  const lower = new Map(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), v]));
  return { dn: 'CN=Jane Doe,OU=Staff,DC=x', stableId: 'guid-1', disabled: false, ...extra, get: (a: string) => lower.get(a.toLowerCase()) ?? [] };
}

describe('mapping a directory entry to a user', () => {
  test('fields, lower-case names, smtp proxy addresses, card conversion', () => {
    const r = mapDirectoryUser(input({
      sAMAccountName: ['JDoe'], userPrincipalName: ['Jane.Doe@Example.com'], displayName: ['Jane Doe'], mail: ['jane@example.com'],
      proxyAddresses: ['SMTP:jane@example.com', 'smtp:jd@example.com', 'X400:c=US;a= ;p=Org', 'sip:jane@example.com'],
      department: ['  Finance '], employeeID: ['FF'],
    }), MAP);
    assert.ok(r.ok);
    assert.equal(r.user.username, 'jdoe');
    assert.equal(r.user.usernameAlias, 'jane.doe@example.com');
    assert.deepEqual(r.user.details.otherEmails, ['jd@example.com']);
    assert.equal(r.user.details.department, 'Finance');
    assert.equal(r.user.details.cardNumber, '255');
    assert.equal(r.user.details.office, null);
    assert.equal(r.warnings.length, 0);
  });
  test('full name falls back to given name + surname, then the username', () => {
    const a = mapDirectoryUser(input({ sAMAccountName: ['x1'], givenName: ['Zoë'], sn: ['Ångström'] }), MAP);
    assert.ok(a.ok && a.user.details.fullName === 'Zoë Ångström');
    const b = mapDirectoryUser(input({ sAMAccountName: ['X2'] }), MAP);
    assert.ok(b.ok && b.user.details.fullName === 'X2');
  });
  test('a card number that fails conversion is a warning naming the entry; the stored card is kept', () => {
    const r = mapDirectoryUser(input({ sAMAccountName: ['jdoe'], employeeID: ['12G4'] }), MAP);
    assert.ok(r.ok);
    assert.equal(r.user.keepCard, true);
    assert.equal(r.warnings[0]?.code, 'sync.card_conversion_failed');
    assert.equal(r.warnings[0]?.entry, 'CN=Jane Doe,OU=Staff,DC=x');
    assert.match(r.warnings[0]?.message ?? '', /CN=Jane Doe.*12G4/);
  });
  test('entries without a username or stable id are errors naming the entry', () => {
    const a = mapDirectoryUser(input({ mail: ['x@y.z'] }), MAP);
    assert.ok(!a.ok && a.error.code === 'sync.missing_username' && a.error.entry === 'CN=Jane Doe,OU=Staff,DC=x');
    const b = mapDirectoryUser(input({ sAMAccountName: ['ok'] }, { stableId: undefined }), MAP);
    assert.ok(!b.ok && b.error.code === 'sync.missing_stable_id');
    const c = mapDirectoryUser(input({ sAMAccountName: [' bad\u0007name'] }), MAP);
    assert.ok(!c.ok && c.error.code === 'sync.invalid_username');
  });
  test('bad email is dropped with a warning; alias equal to username is dropped', () => {
    const r = mapDirectoryUser(input({ sAMAccountName: ['jdoe'], userPrincipalName: ['JDOE'], mail: ['not-an-address'] }), MAP);
    assert.ok(r.ok);
    assert.equal(r.user.details.email, null);
    assert.equal(r.user.usernameAlias, null);
    assert.equal(r.warnings[0]?.code, 'sync.invalid_email');
  });
  test('eDirectory home directory becomes VOLUME:path', () => {
    const r = mapDirectoryUser(input({ sAMAccountName: ['u'], ndsHomeDirectory: ['cn=DATA,o=acme#0#\\home\\u'] }), { ...MAP, homeDir: 'ndsHomeDirectory' });
    assert.ok(r.ok && r.user.details.homeDir === 'DATA:\\home\\u');
  });
});

describe('directory PINs', () => {
  const digest = (pin: string): string => `d(${pin})`;
  test('stored as the digest the service supplies; an entry without a PIN clears it; no PIN attribute leaves PINs alone', () => {
    const withPin = mapDirectoryUser(input({ sAMAccountName: ['a'], extensionAttribute1: [' 4711 '] }), { ...MAP, pin: { attr: 'extensionAttribute1', digest } });
    assert.ok(withPin.ok);
    assert.equal(withPin.user.pinHash, 'd(4711)');
    const without = mapDirectoryUser(input({ sAMAccountName: ['a'] }), { ...MAP, pin: { attr: 'extensionAttribute1', digest } });
    assert.ok(without.ok);
    assert.equal(without.user.pinHash, null);
    const unmanaged = mapDirectoryUser(input({ sAMAccountName: ['a'], extensionAttribute1: ['4711'] }), MAP);
    assert.ok(unmanaged.ok);
    assert.equal(unmanaged.user.pinHash, undefined);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSettingValue } from './settings.ts';

test('setting values are parsed to their types', () => {
  assert.equal(parseSettingValue('ldap.port', '636'), 636);
  assert.equal(parseSettingValue('ldap.import-disabled', 'yes'), true);
  assert.equal(parseSettingValue('ldap.security', 'LDAPS'), 'ldaps');
  assert.deepEqual(parseSettingValue('ldap.hosts', 'dc1.example.com, dc2.example.com'), ['dc1.example.com', 'dc2.example.com']);
  assert.deepEqual(parseSettingValue('ldap.import-groups', 'cn=Staff,ou=g,dc=x;cn=Students,ou=g,dc=x'), ['cn=Staff,ou=g,dc=x', 'cn=Students,ou=g,dc=x']);
  assert.deepEqual(parseSettingValue('ldap.import-groups', 'cn=Staff,ou=g,dc=x'), ['cn=Staff,ou=g,dc=x']);
  assert.equal(parseSettingValue('sync.schedule.full-time', '01:15'), '01:15');
});

test('bad values and unknown keys are refused with what is wrong', () => {
  assert.throws(() => parseSettingValue('ldap.port', '70000'), /at most 65535/);
  assert.throws(() => parseSettingValue('ldap.port', '6.5'), /whole number/);
  assert.throws(() => parseSettingValue('ldap.security', 'tls'), /one of ldaps, starttls, none/);
  assert.throws(() => parseSettingValue('sync.schedule.full-time', '25:00'), /HH:MM/);
  assert.throws(() => parseSettingValue('ldap.bogus', 'x'), { code: 'config.unknown_key' });
  assert.throws(() => parseSettingValue('sync.delete-protection-percent', '-1'), { code: 'config.invalid_value' });
});

test('schema attribute overrides must be attribute names (RFC 4512) or empty', () => {
  assert.equal(parseSettingValue('ldap.schema.pin-attr', 'extensionAttribute1'), 'extensionAttribute1');
  assert.equal(parseSettingValue('ldap2.schema.card-number-attr', 'userCertificate;binary'), 'userCertificate;binary');
  assert.equal(parseSettingValue('ldap.schema.username-attr', '1.2.840.113556.1.4.221'), '1.2.840.113556.1.4.221');
  assert.equal(parseSettingValue('ldap.schema.pin-attr', ''), '');
  assert.throws(() => parseSettingValue('ldap.schema.pin-attr', 'bad attr!'), /attribute name/);
  assert.throws(() => parseSettingValue('ldap.schema.email-attr', '(mail=*)'), /attribute name/);
  assert.equal(parseSettingValue('ldap.schema.user-filter', '(objectClass=person)'), '(objectClass=person)', 'filters are not attribute names');
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLoginFilter, loginCandidates, verifyLdapPassword } from './authenticate.ts';
import { normalizeFingerprint } from './certificate.ts';
import { openLdapConnection, parseHostSpec } from './connection.ts';
import { splitBaseDns } from './search.ts';

describe('parseHostSpec', () => {
  test('host, host:port, IPv6, URL', () => {
    assert.deepEqual(parseHostSpec('dc1.example.com', 'ldaps'), { host: 'dc1.example.com', port: 636 });
    assert.deepEqual(parseHostSpec('dc1.example.com', 'starttls'), { host: 'dc1.example.com', port: 389 });
    assert.deepEqual(parseHostSpec('dc1:3269', 'ldaps'), { host: 'dc1', port: 3269 });
    assert.deepEqual(parseHostSpec('[::1]:1636', 'ldaps'), { host: '::1', port: 1636 });
    assert.deepEqual(parseHostSpec('ldaps://dc1:1636/', 'ldaps'), { host: 'dc1', port: 1636 });
    assert.deepEqual(parseHostSpec('dc1', 'none', 10389), { host: 'dc1', port: 10389 });
  });
  test('rejects contradictions and junk', () => {
    assert.throws(() => parseHostSpec('ldaps://dc1', 'none'), { code: 'ldap.config_invalid' });
    assert.throws(() => parseHostSpec('dc1:99999', 'none'), { code: 'ldap.config_invalid' });
    assert.throws(() => parseHostSpec('a b', 'none'), { code: 'ldap.config_invalid' });
  });
});

describe('config checks that happen before any network traffic', () => {
  // Nothing listens on port 9 (discard); these checks must fail before any connection is attempted.
  const cfg = { hosts: ['127.0.0.1:9'], security: 'none' as const, connectTimeoutMs: 1000, timeoutMs: 1000 };
  test('empty service password is refused', async () => {
    await assert.rejects(openLdapConnection({ ...cfg, bindDn: 'cn=svc,dc=x', bindPassword: '' }), { code: 'ldap.empty_password' });
    await assert.rejects(openLdapConnection({ ...cfg, bindDn: 'cn=svc,dc=x' }), { code: 'ldap.empty_password' });
  });
  test('empty user password is refused', async () => {
    await assert.rejects(
      verifyLdapPassword(cfg, { searchBases: 'dc=x', userFilter: '(objectClass=person)', usernameAttrs: ['uid'], login: 'a', password: '' }),
      { code: 'ldap.empty_password' },
    );
  });
  test('no hosts, bad fingerprint', async () => {
    await assert.rejects(openLdapConnection({ ...cfg, hosts: [' '] }), { code: 'ldap.config_invalid' });
    await assert.rejects(openLdapConnection({ ...cfg, trustFingerprint: 'abc' }), { code: 'ldap.config_invalid' });
  });
});

describe('helpers', () => {
  test('normalizeFingerprint', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(normalizeFingerprint(`SHA256:${'AB:'.repeat(31)}AB`), hex);
    assert.equal(normalizeFingerprint(hex.toUpperCase()), hex);
  });
  test('splitBaseDns honours escaped semicolons', () => {
    assert.deepEqual(splitBaseDns('ou=A,dc=x; ou=B\\;C,dc=x ;;\nou=D,dc=x'), ['ou=A,dc=x', 'ou=B\\;C,dc=x', 'ou=D,dc=x']);
  });
  test('login filter escapes and understands DOMAIN\\user', () => {
    assert.deepEqual(loginCandidates('CORP\\jdoe'), ['jdoe']);
    assert.deepEqual(loginCandidates(' jdoe@corp.example '), ['jdoe@corp.example']);
    assert.equal(buildLoginFilter('(objectClass=person)', ['uid', 'mail'], '*)(uid=*'), '(&(objectClass=person)(|(uid=\\2a\\29\\28uid=\\2a)(mail=\\2a\\29\\28uid=\\2a)))');
    assert.equal(buildLoginFilter('objectClass=person', ['uid'], 'a'), '(&(objectClass=person)(uid=a))');
    assert.equal(buildLoginFilter('(objectClass=person)', ['uid'], '   '), undefined);
    assert.equal(buildLoginFilter('(x=y)', ['bad attr)('], 'a'), undefined);
  });
});

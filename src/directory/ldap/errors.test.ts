import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidCredentialsError, NoSuchObjectError, SizeLimitExceededError, StrongAuthRequiredError, ConfidentialityRequiredError, InsufficientAccessError } from 'ldapts';
import { SpoolError } from '../../errors.ts';
import { adBindSubcode, translateLdapError } from './errors.ts';

const nodeErr = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('translateLdapError', () => {
  test('network errors → ldap.unreachable with a firewall hint', () => {
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']) {
      const e = translateLdapError(nodeErr(code), { url: 'ldap://dc1:389' });
      assert.equal(e.code, 'ldap.unreachable');
      assert.match(e.hint ?? '', /firewall/);
      assert.match(e.message, /dc1/);
    }
  });
  test('TLS verification errors', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
      const e = translateLdapError(nodeErr(code), { security: 'ldaps' });
      assert.equal(e.code, 'ldap.tls_untrusted');
      assert.match(e.hint ?? '', /CA/);
    }
    assert.equal(translateLdapError(nodeErr('CERT_HAS_EXPIRED')).code, 'ldap.tls_expired');
    assert.match(translateLdapError(nodeErr('CERT_HAS_EXPIRED')).hint ?? '', /[Rr]enew/);
    assert.equal(translateLdapError(nodeErr('ERR_TLS_CERT_ALTNAME_INVALID')).code, 'ldap.tls_name_mismatch');
  });
  test('protocol mismatches', () => {
    const a = translateLdapError(nodeErr('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established'), { security: 'ldaps', operation: 'connect' });
    assert.equal(a.code, 'ldap.protocol_mismatch');
    const b = translateLdapError(new Error('Connection closed before message response was received. Message type: BindRequest (0x60)'), { security: 'none', operation: 'bind' });
    assert.equal(b.code, 'ldap.protocol_mismatch');
    assert.match(b.hint ?? '', /LDAPS/);
  });
  test('invalid credentials with AD sub-codes', () => {
    const plain = translateLdapError(new InvalidCredentialsError('Invalid credentials'), { operation: 'bind', bindDn: 'cn=svc' });
    assert.equal(plain.code, 'ldap.bind_failed');
    const cases: Record<string, RegExp> = { '52e': /password is wrong/, '525': /does not exist/, '530': /time of day/, '531': /computer/, '532': /expired/, '533': /disabled/, '701': /expired/, '773': /change its password/, '775': /locked/ };
    for (const [sub, re] of Object.entries(cases)) {
      const e = translateLdapError(new InvalidCredentialsError(`80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${sub}, v4563`), { operation: 'bind' });
      assert.equal(e.code, 'ldap.bind_failed');
      assert.match(e.message, re, sub);
      assert.equal(e.details?.adSubcode, sub);
    }
    assert.equal(adBindSubcode('no subcode here'), undefined);
  });
  test('result codes', () => {
    const nso = translateLdapError(new NoSuchObjectError('no such object'), { baseDn: 'ou=Nope,dc=x', operation: 'search' });
    assert.equal(nso.code, 'ldap.base_dn_not_found');
    assert.match(nso.message, /ou=Nope,dc=x/);
    assert.equal(translateLdapError(new StrongAuthRequiredError('x')).code, 'ldap.strong_auth_required');
    assert.equal(translateLdapError(new ConfidentialityRequiredError('x')).code, 'ldap.strong_auth_required');
    assert.equal(translateLdapError(new SizeLimitExceededError('x')).code, 'ldap.size_limit');
    assert.match(translateLdapError(new SizeLimitExceededError('x')).hint ?? '', /unlimited/);
    assert.equal(translateLdapError(new InsufficientAccessError('x')).code, 'ldap.insufficient_access');
  });
  test('filter syntax and timeouts', () => {
    const f = translateLdapError(new Error('Unbalanced parens in filter string: (uid=a'), { filter: '(uid=a' });
    assert.equal(f.code, 'ldap.invalid_filter');
    assert.equal(f.status, 400);
    assert.equal(translateLdapError(new Error('SearchRequest: Operation timed out'), { operation: 'search' }).code, 'ldap.timeout');
  });
  test('SpoolError passes through; unknown errors get a generic code', () => {
    const s = new SpoolError('x.y', 'z');
    assert.equal(translateLdapError(s), s);
    assert.equal(translateLdapError('weird').code, 'ldap.error');
  });
});

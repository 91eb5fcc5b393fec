import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterParser } from 'ldapts';
import { dnEquals, dnIsWithin, escapeDnValue, escapeFilterValue, formatDn, normalizeDn, parseDn, stripOptionalUid } from './escape.ts';

describe('escapeFilterValue (RFC 4515)', () => {
  test('escapes the five special characters', () => {
    assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('a\\b\0c'), 'a\\5cb\\00c');
  });
  test('leaves UTF-8 alone so ldapts sends the right bytes', () => {
    assert.equal(escapeFilterValue('José 李'), 'José 李');
    const f = FilterParser.parseString(`(cn=${escapeFilterValue('José (x)*')})`) as unknown as { value: string };
    assert.equal(f.value, 'José (x)*');
  });
});

describe('escapeDnValue (RFC 4514)', () => {
  test('escapes specials, leading # or space, trailing space', () => {
    assert.equal(escapeDnValue('Smith, John'), 'Smith\\, John');
    assert.equal(escapeDnValue('a+b;c<d>e"f\\g'), 'a\\+b\\;c\\<d\\>e\\"f\\\\g');
    assert.equal(escapeDnValue('#hash'), '\\#hash');
    assert.equal(escapeDnValue(' lead and trail '), '\\ lead and trail\\ ');
    assert.equal(escapeDnValue('mid#dle'), 'mid#dle');
  });
});

describe('parseDn / formatDn', () => {
  test('parses escapes, hex pairs (UTF-8), quotes, spaces and multi-valued RDNs', () => {
    assert.deepEqual(parseDn('cn=Smith\\, John , ou = People;dc=example'), [
      [{ type: 'cn', value: 'Smith, John' }],
      [{ type: 'ou', value: 'People' }],
      [{ type: 'dc', value: 'example' }],
    ]);
    assert.equal(parseDn('cn=Jos\\C3\\A9')[0]?.[0]?.value, 'José');
    assert.equal(parseDn('cn="a,b"')[0]?.[0]?.value, 'a,b');
    assert.deepEqual(parseDn('cn=a+uid=b,dc=x')[0], [{ type: 'cn', value: 'a' }, { type: 'uid', value: 'b' }]);
    assert.deepEqual(parseDn('uid=#04024869,dc=x')[0], [{ type: 'uid', value: '#04024869', ber: true }]);
    assert.deepEqual(parseDn(''), []);
    assert.equal(parseDn('cn=trailing\\ ')[0]?.[0]?.value, 'trailing ');
  });
  test('rejects malformed DNs', () => {
    assert.throws(() => parseDn('novalue'), { code: 'ldap.invalid_dn' });
    assert.throws(() => parseDn('cn=x,=y'), { code: 'ldap.invalid_dn' });
    assert.throws(() => parseDn('cn=x\\'), { code: 'ldap.invalid_dn' });
  });
  test('round trips', () => {
    for (const dn of ['cn=Smith\\, John,ou=people,dc=example,dc=com', 'cn=\\#hash,dc=x', 'cn=Say \\"Hi\\",dc=x', 'cn=a\\+b,dc=x']) {
      assert.equal(formatDn(parseDn(dn)), dn);
    }
  });
});

describe('normalizeDn', () => {
  test('matches member DNs however they are spelled', () => {
    assert.ok(dnEquals('CN=Smith\\, John,OU=People,DC=Example,DC=com', 'cn=smith\\2c john, ou=people, dc=example, dc=com'));
    assert.ok(dnEquals('cn=Jos\\c3\\a9,dc=x', 'CN=JOSÉ,DC=X'));
    assert.ok(dnEquals('cn=a+uid=b,dc=x', 'uid=B+cn=A,dc=x'));
    assert.ok(dnEquals('cn="Smith, John",dc=x', 'cn=Smith\\, John,dc=x'));
    assert.ok(!dnEquals('cn=a,dc=x', 'cn=b,dc=x'));
    assert.equal(normalizeDn('not a dn'), 'not a dn');
  });
  test('dnIsWithin', () => {
    assert.ok(dnIsWithin('uid=a,ou=People,dc=x', 'OU=people,DC=x'));
    assert.ok(dnIsWithin('dc=x', 'dc=x'));
    assert.ok(!dnIsWithin('uid=a,ou=People2,dc=x', 'ou=People,dc=x'));
    assert.ok(!dnIsWithin('uid=a,xou=People,dc=x', 'ou=People,dc=x'));
  });
  test('stripOptionalUid', () => {
    assert.equal(stripOptionalUid("uid=a,dc=x#'0101'B"), 'uid=a,dc=x');
    assert.equal(stripOptionalUid('uid=a,dc=x'), 'uid=a,dc=x');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeDn } from '../../directory/ldap/index.ts';
import { dnKey, keyWithin } from './dn-key.ts';

test('dnKey agrees with normalizeDn on simple, spaced, escaped, Unicode and malformed DNs', () => {
  const dns = [
    'uid=user000001,ou=people,dc=example,dc=com', 'UID=User000001, OU=People , DC=Example,DC=com', 'CN=John  Smith,OU=Staff,DC=x',
    'cn=Smith\\, John,ou=people,dc=x', 'cn=Alice\\+Bob,dc=x', 'cn=\\#Hash Tag,dc=x', 'cn=José Núñez,dc=x', 'cn=李小龍,dc=x',
    'cn=a+uid=b,dc=x', 'not a dn', 'cn=x,broken,dc=y', '', 'cn = spaced = value , dc = x', 'cn=trailing ,dc=x',
  ];
  for (const dn of dns) assert.equal(dnKey(dn), normalizeDn(dn), dn);
});

test('keyWithin', () => {
  assert.ok(keyWithin('uid=a,ou=people,dc=x', 'ou=people,dc=x'));
  assert.ok(keyWithin('ou=people,dc=x', 'ou=people,dc=x'));
  assert.ok(!keyWithin('uid=a,ou=xpeople,dc=x', 'ou=people,dc=x'));
});

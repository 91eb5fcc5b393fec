import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterParser } from 'ldapts';
import { normalizeFilter } from './filter.ts';
import { presetSchema, DIRECTORY_TYPES } from './presets.ts';

describe('normalizeFilter (RFC 4515)', () => {
  test('accepts valid filters unchanged', () => {
    for (const f of [
      '(uid=a)', '(&(objectClass=person)(mail=*))', '(|(a=b)(!(c=d)))', '(cn=Jo*hn*)', '(cn=*x)', '(uid=)',
      '(userAccountControl:1.2.840.113556.1.4.803:=2)', '(memberOf:1.2.840.113556.1.4.1941:=CN=G,DC=x)', '(cn:dn:caseExactMatch:=x)',
      '(:dn:2.5.13.5:=x)', '(cn=\\2a\\28\\29\\5c)', '(uidNumber>=1000)', '(cn~=jon)', '(cn=José 李)',
      ...DIRECTORY_TYPES.flatMap((t) => [presetSchema(t).userFilter, presetSchema(t).groupFilter]),
    ]) {
      assert.equal(normalizeFilter(f), f, f);
      FilterParser.parseString(normalizeFilter(f));
    }
  });
  test('adds outer parentheses and removes whitespace between components', () => {
    assert.equal(normalizeFilter('objectClass=user'), '(objectClass=user)');
    assert.equal(normalizeFilter('(&\n  (objectClass=user)\n  (!(cn=a b ))\n)'), '(&(objectClass=user)(!(cn=a b )))');
  });
  test('rejects what ldapts would silently misread', () => {
    for (const f of ['(&(uid=a)(cn=b)', '(uid=a))', '(cn=a(b)', '(cn=a\\zz)', '(=a)', '(cn>a)', '(uid=a)(uid=b)', '', '(:=x)', '(cn:=*x)', '(uid>=*)', '(&)', '(cn;lang-de=x)', '(2.5.4.3=x)']) {
      assert.throws(() => normalizeFilter(f), { code: 'ldap.invalid_filter' }, f);
    }
  });
});

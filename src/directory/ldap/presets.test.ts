import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterParser } from 'ldapts';
import { DIRECTORY_TYPES, memberAttrRules, mergeSchema, presetFor, presetSchema, userAttributes } from './presets.ts';

describe('presets', () => {
  test('every preset has parseable filters and the right id attribute', () => {
    for (const t of DIRECTORY_TYPES) {
      const s = presetSchema(t);
      FilterParser.parseString(s.userFilter);
      FilterParser.parseString(s.groupFilter);
    }
    assert.equal(presetSchema('active-directory').stableIdAttr, 'objectGUID');
    assert.equal(presetSchema('openldap').stableIdAttr, 'entryUUID');
    assert.equal(presetSchema('edirectory').stableIdAttr, 'GUID');
    assert.deepEqual(presetFor('azure-ad-ds').connection, { security: 'ldaps', port: 636, tlsRequired: true });
  });
  test('openldap knows all three group styles', () => {
    assert.deepEqual(memberAttrRules(presetSchema('openldap')), [
      { attr: 'member', valueType: 'dn' },
      { attr: 'uniqueMember', valueType: 'dn' },
      { attr: 'memberUid', valueType: 'uid' },
    ]);
  });
  test('mergeSchema: undefined keeps, blank clears optional, blank required throws', () => {
    const base = presetSchema('active-directory');
    const m = mergeSchema(base, { cardNumberAttr: ' pager ', departmentAttr: '', usernameAttr: undefined });
    assert.equal(m.cardNumberAttr, 'pager');
    assert.equal(m.departmentAttr, null);
    assert.equal(m.usernameAttr, 'sAMAccountName');
    assert.throws(() => mergeSchema(base, { userFilter: '' }), { code: 'ldap.schema_invalid' });
    assert.equal(presetSchema('active-directory').cardNumberAttr, 'employeeID', 'preset not mutated');
  });
  test('userAttributes includes the disabled rule attributes, no duplicates', () => {
    const attrs = userAttributes(presetSchema('active-directory'));
    assert.ok(attrs.includes('userAccountControl'));
    assert.ok(attrs.includes('objectGUID'));
    assert.equal(new Set(attrs.map((a) => a.toLowerCase())).size, attrs.length);
  });
  test('unknown type', () => {
    assert.throws(() => presetSchema('nope' as never), { code: 'ldap.unknown_server_type' });
  });
});

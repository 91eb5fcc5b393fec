import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAttrPath, splitAttrPath } from './paths.ts';

describe('splitAttrPath (RFC 7644 §3.10 attribute notation)', () => {
  const ok = (raw: string): unknown => {
    const r = splitAttrPath(raw);
    assert.ok(r.ok, `expected ${raw} to parse: ${r.ok ? '' : r.reason}`);
    return r.path;
  };
  const bad = (raw: string): string => {
    const r = splitAttrPath(raw);
    assert.ok(!r.ok, `expected ${raw} to be rejected`);
    return r.reason;
  };

  test('plain, sub-attribute and $ref names', () => {
    assert.deepEqual(ok('userName'), { attr: 'userName' });
    assert.deepEqual(ok('name.givenName'), { attr: 'name', sub: 'givenName' });
    assert.deepEqual(ok('members.$ref'), { attr: 'members', sub: '$ref' });
    assert.deepEqual(ok('x509Certificates'), { attr: 'x509Certificates' });
    assert.deepEqual(ok('my-attr_1'), { attr: 'my-attr_1' });
  });

  test('URN-qualified names split at the last colon; the URN is lower-cased', () => {
    assert.deepEqual(ok('urn:ietf:params:scim:schemas:core:2.0:User:userName'), {
      schema: 'urn:ietf:params:scim:schemas:core:2.0:user',
      attr: 'userName',
    });
    assert.deepEqual(ok('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value'), {
      schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user',
      attr: 'manager',
      sub: 'value',
    });
    assert.deepEqual(ok('URN:IETF:params:scim:schemas:core:2.0:User:name.familyName'), {
      schema: 'urn:ietf:params:scim:schemas:core:2.0:user',
      attr: 'name',
      sub: 'familyName',
    });
  });

  test('rejects malformed names with a reason', () => {
    assert.match(bad(''), /missing/);
    assert.match(bad('1abc'), /not a valid attribute name/);
    assert.match(bad('a.b.c'), /more than one '\.'/);
    assert.match(bad('name.'), /not a valid sub-attribute/);
    assert.match(bad('.value'), /attribute name is missing in '\.value'/);
    assert.match(bad('foo:bar'), /only schema URNs/);
    assert.match(bad('urn:ietf:params:scim:schemas:core:2.0:User:'), /must follow the schema URN/);
    assert.match(bad('urn::x'), /not a valid schema URN/);
    assert.match(bad('$foo'), /not a valid attribute name/);
  });

  test('formatAttrPath round-trips', () => {
    for (const raw of [
      'userName',
      'name.givenName',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:department',
    ]) {
      const r = splitAttrPath(raw);
      assert.ok(r.ok);
      assert.equal(formatAttrPath(r.path), raw);
    }
  });
});

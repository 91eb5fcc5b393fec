import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpoolError } from '../../errors.ts';
import { ENTERPRISE_USER_SCHEMA } from '../filter/attribute-schema.ts';
import { applyPatch } from './apply.ts';
import { PATCH_OP_SCHEMA, parsePatchRequest } from './parse.ts';
import type { ScimResourceJson } from './types.ts';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

function user(): ScimResourceJson {
  return {
    schemas: [CORE],
    id: 'u1',
    userName: 'bjensen',
    active: true,
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    meta: { resourceType: 'User', created: '2010-01-23T04:56:22Z' },
  };
}

/** Parses `ops` as a PATCH body and applies it; asserts the input is left untouched. */
function patch(
  resource: ScimResourceJson,
  ops: unknown[],
  type: 'User' | 'Group' = 'User',
): ScimResourceJson {
  const before = structuredClone(resource);
  const out = applyPatch(
    resource,
    parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: ops }, type),
    type,
  );
  assert.deepEqual(resource, before, 'applyPatch must not modify its input');
  assert.notEqual(out, resource);
  return out;
}

function patchFails(
  resource: ScimResourceJson,
  ops: unknown[],
  code: string,
  message: RegExp,
  type: 'User' | 'Group' = 'User',
): void {
  const before = structuredClone(resource);
  assert.throws(
    () => patch(resource, ops, type),
    (e: unknown) => e instanceof SpoolError && e.code === code && e.status === 400 && message.test(e.message),
  );
  assert.deepEqual(resource, before);
}

describe('applyPatch: add (RFC 7644 §3.5.2.1)', () => {
  test('single-valued attributes are set or replaced', () => {
    const out = patch(user(), [
      { op: 'add', path: 'nickName', value: 'Babs' },
      { op: 'add', path: 'userName', value: 'babs' },
    ]);
    assert.equal(out['nickName'], 'Babs');
    assert.equal(out['userName'], 'babs');
  });
  test('complex attributes merge sub-attributes', () => {
    const out = patch(user(), [{ op: 'add', path: 'name', value: { middleName: 'Jane' } }]);
    assert.deepEqual(out['name'], { givenName: 'Barbara', familyName: 'Jensen', middleName: 'Jane' });
  });
  test('multi-valued attributes append, skipping identical values', () => {
    const out = patch(user(), [
      {
        op: 'add',
        path: 'emails',
        value: [
          { value: 'BJENSEN@example.com', type: 'work', primary: true },
          { value: 'b@other.com', type: 'other' },
        ],
      },
    ]);
    assert.deepEqual(out['emails'], [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
      { value: 'b@other.com', type: 'other' },
    ]);
  });
  test('path-less add with dotted, URN and filtered keys', () => {
    const out = patch(user(), [
      {
        op: 'add',
        value: {
          title: 'Tour Guide',
          'name.middleName': 'J',
          [`${ENTERPRISE_USER_SCHEMA}:department`]: 'Tours',
          'emails[type eq "other"].value': 'o@x.com',
          [CORE]: { nickName: 'Babs' },
        },
      },
    ]);
    assert.equal(out['title'], 'Tour Guide');
    assert.equal((out['name'] as Record<string, unknown>)['middleName'], 'J');
    assert.deepEqual(out[ENTERPRISE_USER_SCHEMA], { department: 'Tours' });
    assert.deepEqual(out['schemas'], [CORE, ENTERPRISE_USER_SCHEMA]);
    assert.equal(out['nickName'], 'Babs');
    assert.deepEqual((out['emails'] as unknown[])[2], { type: 'other', value: 'o@x.com' });
  });
  test('Entra: add to emails[type eq "work"].value updates the work email instead of adding a second one', () => {
    const out = patch(user(), [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'new@joe.com' }]);
    assert.deepEqual(out['emails'], [
      { value: 'new@joe.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ]);
  });
  test('Entra: add to a filtered path that matches nothing creates the element from the filter', () => {
    const out = patch({ userName: 'x' }, [
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'w@x.com' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
      { op: 'Add', path: 'addresses[type eq "work"].postalCode', value: '98052' },
    ]);
    assert.deepEqual(out['emails'], [{ type: 'work', value: 'w@x.com' }]);
    assert.deepEqual(out['phoneNumbers'], [{ type: 'mobile', value: '+1 555 0100' }]);
    assert.deepEqual(out['addresses'], [{ type: 'work', postalCode: '98052' }]);
  });
  test('add null is refused', () => {
    patchFails(
      user(),
      [{ op: 'add', path: 'title', value: null }],
      'scim.invalid_value',
      /"add" needs a value for 'title', not null/,
    );
  });
});

describe('applyPatch: replace (RFC 7644 §3.5.2.3)', () => {
  test('Entra sample: emails[type eq "work"].value and name.familyName', () => {
    const out = patch(user(), [
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
      { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
    ]);
    assert.deepEqual((out['emails'] as unknown[])[0], {
      value: 'updatedEmail@microsoft.com',
      type: 'work',
      primary: true,
    });
    assert.deepEqual(out['name'], { givenName: 'Barbara', familyName: 'updatedFamilyName' });
  });
  test('multi-valued without filter replaces all values', () => {
    const out = patch(user(), [
      { op: 'replace', path: 'emails', value: [{ value: 'only@x.com', type: 'work' }] },
    ]);
    assert.deepEqual(out['emails'], [{ value: 'only@x.com', type: 'work' }]);
  });
  test('complex single-valued merges; sub-attributes not given are left alone', () => {
    const out = patch(user(), [
      { op: 'replace', path: 'name', value: { givenName: 'Babs', familyName: null } },
    ]);
    assert.deepEqual(out['name'], { givenName: 'Babs' });
  });
  test("filter without sub-attribute replaces the matching elements, keeping the filter's eq values", () => {
    const out = patch(user(), [
      { op: 'replace', path: 'emails[type eq "home"]', value: { value: 'new@home.org' } },
    ]);
    assert.deepEqual((out['emails'] as unknown[])[1], { type: 'home', value: 'new@home.org' });
  });
  test('filtered sub-attribute on every matching element; creates one when none match', () => {
    const out = patch(user(), [
      { op: 'replace', path: 'emails[value ew ".org" or value ew ".com"].display', value: 'mail' },
      { op: 'replace', path: 'ims[type eq "xmpp"].value', value: 'b@jabber.org' },
    ]);
    assert.deepEqual(
      (out['emails'] as Record<string, unknown>[]).map((e) => e['display']),
      ['mail', 'mail'],
    );
    assert.deepEqual(out['ims'], [{ type: 'xmpp', value: 'b@jabber.org' }]);
  });
  test('no match and a filter that does not describe an element → noTarget', () => {
    patchFails(
      user(),
      [{ op: 'replace', path: 'emails[value co "nowhere"].value', value: 'x@y.z' }],
      'scim.no_target',
      /No value of 'emails' matches/,
    );
    patchFails(
      user(),
      [{ op: 'replace', path: 'emails[type eq "a" or type eq "b"].value', value: 'x@y.z' }],
      'scim.no_target',
      /not a simple eq filter/,
    );
  });
  test('path-less replace (Entra sample with aadOptscim062020)', () => {
    const out = patch(user(), [
      {
        op: 'replace',
        value: {
          displayName: 'Bjfe',
          'name.givenName': 'Kkom',
          'name.familyName': 'Unua',
          [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: 'Aklq',
        },
      },
    ]);
    assert.equal(out['displayName'], 'Bjfe');
    assert.deepEqual(out['name'], { givenName: 'Kkom', familyName: 'Unua' });
    assert.deepEqual(out[ENTERPRISE_USER_SCHEMA], { employeeNumber: 'Aklq' });
  });
  test('replace with null clears; replace of a required attribute with null is refused', () => {
    const out = patch(user(), [{ op: 'replace', path: 'name', value: null }]);
    assert.equal(out['name'], undefined);
    patchFails(
      user(),
      [{ op: 'replace', path: 'userName', value: null }],
      'scim.invalid_value',
      /'userName' is required/,
    );
  });
  test('disable user (Entra sample)', () => {
    assert.equal(patch(user(), [{ op: 'Replace', path: 'active', value: false }])['active'], false);
  });
});

describe('applyPatch: remove (RFC 7644 §3.5.2.2)', () => {
  test('attribute, sub-attribute and all values', () => {
    const out = patch(user(), [
      { op: 'remove', path: 'name.givenName' },
      { op: 'remove', path: 'emails' },
      { op: 'remove', path: 'nickName' },
    ]);
    assert.deepEqual(out['name'], { familyName: 'Jensen' });
    assert.equal(out['emails'], undefined);
    const out2 = patch(out, [{ op: 'remove', path: 'name.familyName' }]);
    assert.equal(out2['name'], undefined, 'an emptied complex attribute is unassigned');
  });
  test('filtered values; removing the last one unassigns the attribute', () => {
    const out = patch(user(), [{ op: 'remove', path: 'emails[type eq "work"]' }]);
    assert.deepEqual(out['emails'], [{ value: 'babs@jensen.org', type: 'home' }]);
    const out2 = patch(out, [{ op: 'remove', path: 'emails[type eq "home"]' }]);
    assert.equal(Object.hasOwn(out2, 'emails'), false);
  });
  test("filtered sub-attribute; removing an element's value removes the element", () => {
    const out = patch(user(), [{ op: 'remove', path: 'emails[type eq "work"].primary' }]);
    assert.deepEqual((out['emails'] as unknown[])[0], { value: 'bjensen@example.com', type: 'work' });
    const out2 = patch(user(), [{ op: 'remove', path: 'emails[type eq "work"].value' }]);
    assert.deepEqual(out2['emails'], [{ value: 'babs@jensen.org', type: 'home' }]);
  });
  test('a filter that matches nothing is a no-op (idempotent retries)', () => {
    assert.deepEqual(patch(user(), [{ op: 'remove', path: 'emails[type eq "fax"]' }]), user());
  });
  test('a value list removes just those values', () => {
    const out = patch(user(), [{ op: 'remove', path: 'emails', value: [{ value: 'BABS@jensen.org' }] }]);
    assert.deepEqual(out['emails'], [{ value: 'bjensen@example.com', type: 'work', primary: true }]);
  });
  test('required attributes cannot be removed', () => {
    patchFails(user(), [{ op: 'remove', path: 'userName' }], 'scim.invalid_value', /'userName' is required/);
    patchFails(
      { displayName: 'G' },
      [{ op: 'remove', path: 'displayName' }],
      'scim.invalid_value',
      /'displayName' is required/,
      'Group',
    );
  });
});

describe('applyPatch: primary (RFC 7643 §2.4)', () => {
  test('marking a value primary unmarks the others', () => {
    const out = patch(user(), [
      { op: 'add', path: 'emails', value: [{ value: 'new@x.com', type: 'other', primary: true }] },
    ]);
    assert.deepEqual(
      (out['emails'] as Record<string, unknown>[]).map((e) => e['primary'] === true),
      [false, false, true],
    );
    const out2 = patch(user(), [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }]);
    assert.deepEqual(
      (out2['emails'] as Record<string, unknown>[]).map((e) => e['primary'] === true),
      [false, true],
    );
  });
  test('two new primaries are refused', () => {
    patchFails(
      user(),
      [
        {
          op: 'replace',
          path: 'emails',
          value: [
            { value: 'a@x', primary: true },
            { value: 'b@x', primary: true },
          ],
        },
      ],
      'scim.invalid_value',
      /Only one value of 'emails' may be primary/,
    );
    patchFails(
      user(),
      [{ op: 'replace', path: 'emails.primary', value: true }],
      'scim.invalid_value',
      /may be primary/,
    );
  });
});

describe('applyPatch: mutability and validation', () => {
  test('read-only attributes', () => {
    patchFails(user(), [{ op: 'replace', value: { id: 'other' } }], 'scim.mutability', /'id' is read-only/);
    patchFails(
      user(),
      [{ op: 'replace', value: { meta: { resourceType: 'Group' } } }],
      'scim.mutability',
      /'meta' is read-only/,
    );
    // Echoing the current value (or schemas) in a path-less value is harmless.
    const out = patch(user(), [{ op: 'replace', value: { id: 'u1', schemas: ['x'], title: 't' } }]);
    assert.equal(out['title'], 't');
    assert.deepEqual(out['schemas'], [CORE]);
  });
  test('immutable member sub-attributes', () => {
    const group = { displayName: 'G', members: [{ value: 'a' }] };
    patchFails(
      group,
      [{ op: 'replace', path: 'members[value eq "a"].value', value: 'b' }],
      'scim.mutability',
      /immutable/,
      'Group',
    );
    patchFails(
      group,
      [{ op: 'replace', path: 'members[value eq "a"]', value: { value: 'b' } }],
      'scim.mutability',
      /immutable/,
      'Group',
    );
    const out = patch(
      group,
      [{ op: 'add', path: 'members', value: [{ value: 'b', $ref: null }, { value: 'A' }] }],
      'Group',
    );
    assert.deepEqual(
      out['members'],
      [{ value: 'a' }, { value: 'b' }],
      'members are identified by value; $ref null is dropped',
    );
  });
  test('type errors', () => {
    patchFails(
      user(),
      [{ op: 'replace', path: 'active', value: 'False' }],
      'scim.invalid_value',
      /'active' must be true or false \(without quotes\); got "False"/,
    );
    patchFails(
      user(),
      [{ op: 'add', path: 'emails', value: [{ value: 5 }] }],
      'scim.invalid_value',
      /'emails.value' must be a string/,
    );
    patchFails(
      user(),
      [{ op: 'add', path: 'emails', value: [{ value: 'x', kind: 'work' }] }],
      'scim.invalid_value',
      /'emails' has no sub-attribute 'kind'/,
    );
    patchFails(
      user(),
      [{ op: 'add', path: 'name', value: 'Barbara' }],
      'scim.invalid_value',
      /'name' takes an object/,
    );
    patchFails(
      user(),
      [{ op: 'add', value: { bogus: 1 } }],
      'scim.invalid_path',
      /Unknown attribute 'bogus'/,
    );
  });
  test('all-or-nothing: a failing later operation leaves the input untouched', () => {
    patchFails(
      user(),
      [
        { op: 'replace', path: 'title', value: 'ok' },
        { op: 'replace', path: 'active', value: 'nope' },
      ],
      'scim.invalid_value',
      /^Operations\[1\]: /,
    );
  });
});

describe('applyPatch: names and extensions', () => {
  test('names match case-insensitively and are written back in schema spelling', () => {
    const out = patch({ USERNAME: 'x', Name: { GIVENNAME: 'a' } }, [
      { op: 'replace', path: 'username', value: 'y' },
      { op: 'add', path: 'NAME.givenname', value: 'b' },
    ]);
    assert.deepEqual(out, { userName: 'y', name: { givenName: 'b' } });
  });
  test('Entra "Manager" spelling and URN case are canonicalised', () => {
    const out = patch({ userName: 'x', [ENTERPRISE_USER_SCHEMA.toLowerCase()]: { Manager: '123456' } }, [
      { op: 'replace', path: `${ENTERPRISE_USER_SCHEMA}:manager`, value: { value: '2819c223' } },
    ]);
    assert.deepEqual(out, { userName: 'x', [ENTERPRISE_USER_SCHEMA]: { manager: { value: '2819c223' } } });
  });
  test('extension object paths; removing the last extension attribute drops it from schemas', () => {
    const start = patch(user(), [
      {
        op: 'add',
        path: ENTERPRISE_USER_SCHEMA,
        value: { department: 'D', manager: { value: 'm', displayName: 'ignored (read-only)' } },
      },
    ]);
    assert.deepEqual(start[ENTERPRISE_USER_SCHEMA], { department: 'D', manager: { value: 'm' } });
    assert.deepEqual(start['schemas'], [CORE, ENTERPRISE_USER_SCHEMA]);
    const out = patch(start, [
      { op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:department` },
      { op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:manager.value` },
    ]);
    assert.equal(out[ENTERPRISE_USER_SCHEMA], undefined);
    assert.deepEqual(out['schemas'], [CORE]);
    const out2 = patch(start, [{ op: 'remove', path: ENTERPRISE_USER_SCHEMA }]);
    assert.equal(out2[ENTERPRISE_USER_SCHEMA], undefined);
  });
  test('unqualified extension attribute names land under the extension', () => {
    const out = patch({ userName: 'x' }, [{ op: 'replace', path: 'costCenter', value: '4130' }]);
    assert.deepEqual(out, { userName: 'x', [ENTERPRISE_USER_SCHEMA]: { costCenter: '4130' } });
  });
  test('removing from an absent extension is a no-op', () => {
    assert.deepEqual(
      patch({ userName: 'x' }, [{ op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:department` }]),
      { userName: 'x' },
    );
  });
});

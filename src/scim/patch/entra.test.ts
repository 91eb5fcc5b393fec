/**
 * Request bodies are verbatim from Microsoft's "Known issues and resolutions with SCIM 2.0 protocol compliance
 * of the Microsoft Entra user provisioning service" (with and without aadOptscim062020) and "Tutorial: Develop
 * and plan provisioning for a SCIM endpoint".
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTERPRISE_USER_SCHEMA } from '../filter/attribute-schema.ts';
import { applyPatch } from './apply.ts';
import { normalizeEntraBooleans, normalizeEntraPatch, normalizeEntraResource } from './entra.ts';
import { planGroupMemberOps } from './group-members.ts';
import { parsePatchRequest } from './parse.ts';
import type { PatchOp, ScimResourceJson } from './types.ts';

const entra = (body: unknown, type: 'User' | 'Group' = 'User'): PatchOp[] =>
  normalizeEntraPatch(parsePatchRequest(body, type), type);
const summary = (ops: PatchOp[]): unknown[] => ops.map((o) => [o.op, o.path?.text ?? null, o.value]);

const existingUser = (): ScimResourceJson => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_SCHEMA],
  id: '5171a35d82074e068ce2',
  userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
  active: true,
  emails: [
    { primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' },
  ],
  name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
});

describe('normalizeEntraPatch: default dialect (without aadOptscim062020)', () => {
  test('disable user: "False" string becomes false', () => {
    const ops = entra({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    assert.deepEqual(summary(ops), [['replace', 'active', false]]);
    assert.equal(applyPatch(existingUser(), ops, 'User')['active'], false);
    assert.equal(
      entra({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Replace', path: 'active', value: 'TRUE' }],
      })[0]?.value,
      true,
    );
  });
  test('add a single-value string attribute', () => {
    const ops = entra({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Add', path: 'nickName', value: 'Babs' }],
    });
    assert.equal(applyPatch(existingUser(), ops, 'User')['nickName'], 'Babs');
  });
  test('replace multiple attributes, one operation each', () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Replace', path: 'displayName', value: 'Pvlo' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'TestBcwqnm@test.microsoft.com' },
        { op: 'Replace', path: 'name.givenName', value: 'Gtfd' },
        { op: 'Replace', path: 'name.familyName', value: 'Pkqf' },
        { op: 'Replace', path: 'externalId', value: 'Eqpj' },
        {
          op: 'Replace',
          path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
          value: 'Eqpj',
        },
      ],
    };
    const out = applyPatch(existingUser(), entra(body), 'User');
    assert.equal(out['displayName'], 'Pvlo');
    assert.deepEqual(out['emails'], [
      { primary: true, type: 'work', value: 'TestBcwqnm@test.microsoft.com' },
    ]);
    assert.deepEqual(out['name'], {
      formatted: 'givenName familyName',
      familyName: 'Pkqf',
      givenName: 'Gtfd',
    });
    assert.equal(out['externalId'], 'Eqpj');
    assert.deepEqual(out[ENTERPRISE_USER_SCHEMA], { employeeNumber: 'Eqpj' });
  });
  test('remove a group member given as a value list removes just that member', () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Remove', path: 'members', value: [{ value: 'u1091' }] }],
    };
    const ops = entra(body, 'Group');
    assert.deepEqual(summary(ops), [['remove', 'members[value eq "u1091"]', undefined]]);
    const group = { displayName: 'G', members: [{ value: 'u1091' }, { value: 'u2000' }] };
    assert.deepEqual(applyPatch(group, ops, 'Group')['members'], [{ value: 'u2000' }]);
    assert.deepEqual(planGroupMemberOps(ops), { add: [], remove: ['u1091'], otherOps: [] });
  });
  test('tutorial: add and remove members with "$ref": null', () => {
    const add = entra(
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: 'f648f8d5ea4e4cd38e9c' }] }],
      },
      'Group',
    );
    const added = applyPatch({ displayName: 'displayName' }, add, 'Group');
    assert.deepEqual(added['members'], [{ value: 'f648f8d5ea4e4cd38e9c' }]);
    const remove = entra(
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          { op: 'Remove', path: 'members', value: [{ $ref: null, value: 'f648f8d5ea4e4cd38e9c' }] },
        ],
      },
      'Group',
    );
    assert.equal(applyPatch(added, remove, 'Group')['members'], undefined);
  });
  test('tutorial: update group non-member attributes', () => {
    const ops = entra(
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          {
            op: 'Replace',
            path: 'displayName',
            value: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName',
          },
        ],
      },
      'Group',
    );
    assert.equal(
      applyPatch({ displayName: 'displayName' }, ops, 'Group')['displayName'],
      '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName',
    );
  });
});

describe('normalizeEntraPatch: SCIM-compliant dialect (with aadOptscim062020)', () => {
  test('path-less replace with dotted and URN keys is expanded into one op per key', () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'TestMhvaes@test.microsoft.com' },
        {
          op: 'replace',
          value: {
            displayName: 'Bjfe',
            'name.givenName': 'Kkom',
            'name.familyName': 'Unua',
            'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': 'Aklq',
          },
        },
      ],
    };
    const ops = entra(body);
    assert.deepEqual(summary(ops), [
      ['replace', 'emails[type eq "work"].value', 'TestMhvaes@test.microsoft.com'],
      ['replace', 'displayName', 'Bjfe'],
      ['replace', 'name.givenName', 'Kkom'],
      ['replace', 'name.familyName', 'Unua'],
      ['replace', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber', 'Aklq'],
    ]);
    assert.deepEqual(
      ops.map((o) => o.index),
      [0, 1, 1, 1, 1],
    );
    const out = applyPatch(existingUser(), ops, 'User');
    assert.equal(out['displayName'], 'Bjfe');
    assert.deepEqual(out[ENTERPRISE_USER_SCHEMA], { employeeNumber: 'Aklq' });
  });
  test('expansion also fixes booleans and managers; an unknown key is a clear invalid_path', () => {
    const ops = entra({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        {
          op: 'replace',
          value: {
            active: 'false',
            'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager': 'boss-id',
            'name.givenName': 'x',
          },
        },
      ],
    });
    assert.deepEqual(summary(ops), [
      ['replace', 'active', false],
      ['replace', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', { value: 'boss-id' }],
      ['replace', 'name.givenName', 'x'],
    ]);
    assert.throws(
      () =>
        entra({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', value: { 'name.nope': 'x' } }],
        }),
      (e: unknown) =>
        e instanceof Error &&
        'code' in e &&
        e.code === 'scim.invalid_path' &&
        /^Operations\[0\]: /.test(e.message),
    );
  });
  test('remove members[value eq "…"] removes just that one', () => {
    const ops = entra(
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'remove', path: 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]' }],
      },
      'Group',
    );
    const group = {
      displayName: 'G',
      members: [{ value: '7f4bc1a3-285e-48ae-8202-5accb43efb0e' }, { value: 'keep' }],
    };
    assert.deepEqual(applyPatch(group, ops, 'Group')['members'], [{ value: 'keep' }]);
  });
});

describe('normalizeEntraPatch: other quirks', () => {
  test('manager as a bare id string; an empty id removes the manager', () => {
    const path = `${ENTERPRISE_USER_SCHEMA}:manager`;
    const ops = entra({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Add', path, value: '26118915-6090' }],
    });
    assert.deepEqual(summary(ops), [['add', path, { value: '26118915-6090' }]]);
    const withManager = applyPatch(existingUser(), ops, 'User');
    assert.deepEqual(withManager[ENTERPRISE_USER_SCHEMA], { manager: { value: '26118915-6090' } });
    const cleared = entra({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path, value: '' }],
    });
    assert.deepEqual(summary(cleared), [['remove', path, undefined]]);
    assert.equal(applyPatch(withManager, cleared, 'User')[ENTERPRISE_USER_SCHEMA], undefined);
  });
  test('boolean strings inside complex values and extension objects', () => {
    const ops = entra({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Add', path: 'emails', value: [{ value: 'a@x', type: 'other', primary: 'True' }] },
        { op: 'Replace', path: 'emails[type eq "work"].primary', value: 'false' },
        { op: 'Replace', path: 'emails[type eq "work"]', value: { value: 'w@x', primary: 'FALSE' } },
        { op: 'Add', path: ENTERPRISE_USER_SCHEMA, value: { manager: 'm1', department: 'True' } },
      ],
    });
    assert.deepEqual(summary(ops), [
      ['add', 'emails', [{ value: 'a@x', type: 'other', primary: true }]],
      ['replace', 'emails[type eq "work"].primary', false],
      ['replace', 'emails[type eq "work"]', { value: 'w@x', primary: false }],
      ['add', ENTERPRISE_USER_SCHEMA, { manager: { value: 'm1' }, department: 'True' }],
    ]);
  });
  test('does not touch non-boolean attributes or what it does not recognise', () => {
    const ops = entra({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Replace', path: 'title', value: 'True' },
        { op: 'Replace', path: 'active', value: 'maybe' },
      ],
    });
    assert.deepEqual(summary(ops), [
      ['replace', 'title', 'True'],
      ['replace', 'active', 'maybe'],
    ]);
  });
  test('input operations are not modified', () => {
    const parsed = parsePatchRequest(
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
      },
      'User',
    );
    const copy = structuredClone(parsed);
    normalizeEntraPatch(parsed, 'User');
    assert.deepEqual(parsed, copy);
  });
});

describe('normalizeEntraBooleans / normalizeEntraResource (POST and PUT bodies)', () => {
  test('converts boolean attributes only, at every level', () => {
    const body = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'True',
      active: 'False',
      emails: [{ primary: 'true', type: 'work', value: 'a@x' }],
      [ENTERPRISE_USER_SCHEMA]: { Manager: '123456', department: 'false' },
      unknownThing: 'True',
    };
    assert.deepEqual(normalizeEntraBooleans(body, 'User'), {
      ...body,
      active: false,
      emails: [{ primary: true, type: 'work', value: 'a@x' }],
    });
    assert.deepEqual(normalizeEntraResource(body, 'User'), {
      ...body,
      active: false,
      emails: [{ primary: true, type: 'work', value: 'a@x' }],
      [ENTERPRISE_USER_SCHEMA]: { Manager: { value: '123456' }, department: 'false' },
    });
    assert.equal(body.active, 'False', 'input untouched');
  });
  test('a "__proto__" key stays an ordinary property', () => {
    const body = JSON.parse('{"userName":"x","__proto__":{"polluted":true}}') as ScimResourceJson;
    const out = normalizeEntraBooleans(body, 'User');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['userName', '__proto__']);
  });
});

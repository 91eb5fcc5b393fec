import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENTERPRISE_USER_SCHEMA } from './filter/attribute-schema.ts';
import { canonicalResource } from './resource-body.ts';
import { cardNumberReader, renderUser, userFromResource, type ScimUserRow } from './user-resource.ts';

const row = (over: Partial<ScimUserRow> = {}): ScimUserRow => ({
  id: 7,
  username: 'ada@example.org',
  fullName: 'Ada Lovelace',
  department: null,
  disabled: 0,
  disabledReason: null,
  scimExternalId: null,
  attributes: '{}',
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  ...over,
});

describe('user-resource', () => {
  test('a body round-trips: canonical names, columns derived, the document keeps what was written', () => {
    const resource = canonicalResource(
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_SCHEMA],
        USERNAME: 'Ada@Example.org',
        externalId: 'x-1',
        active: 'False',
        Name: { GivenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ type: 'home', value: 'ada@home.example' }, { type: 'Work', value: 'ada@example.org', primary: 'true' }],
        [ENTERPRISE_USER_SCHEMA.toUpperCase()]: { Department: 'Analytical Engines', employeeNumber: '0042', manager: 'boss' },
        id: 'ignored',
        groups: [{ value: 'ignored' }],
        unknownThing: 1,
      },
      'User',
    );
    const { doc, columns } = userFromResource(resource, cardNumberReader(`${ENTERPRISE_USER_SCHEMA}:employeeNumber`));
    assert.deepEqual(columns, {
      username: 'ada@example.org',
      fullName: 'Ada Lovelace',
      email: 'ada@example.org',
      otherEmails: '["ada@home.example"]',
      department: 'Analytical Engines',
      office: null,
      cardNumber: '0042',
      scimExternalId: 'x-1',
      disabled: true,
    });
    assert.deepEqual(doc, {
      userName: 'Ada@Example.org',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ type: 'home', value: 'ada@home.example' }, { type: 'Work', value: 'ada@example.org', primary: true }],
      [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '0042', manager: { value: 'boss' } },
    });
    const rendered = renderUser(row({ attributes: JSON.stringify({ scim: doc }), department: 'Analytical Engines', disabled: 1, scimExternalId: 'x-1' }), { base: 'https://h/scim/v2' });
    assert.equal(rendered.userName, 'Ada@Example.org');
    assert.equal(rendered.active, false);
    assert.deepEqual(rendered[ENTERPRISE_USER_SCHEMA], { employeeNumber: '0042', manager: { value: 'boss' }, department: 'Analytical Engines' });
    assert.deepEqual(rendered.meta, { resourceType: 'User', created: '2026-01-01T00:00:00.000Z', lastModified: '2026-01-02T00:00:00.000Z', location: 'https://h/scim/v2/Users/7', version: 'W/"3"' });
  });

  test('columns win over the document where they are the truth', () => {
    const rendered = renderUser(row({ username: 'grace@example.org', attributes: JSON.stringify({ scim: { userName: 'Ada@Example.org', title: 'Countess' } }) }), { base: '' });
    assert.equal(rendered.userName, 'grace@example.org', 'the stored spelling is used only while it is the same name');
    assert.equal(rendered.title, 'Countess');
    assert.equal(rendered.displayName, 'Ada Lovelace');
    assert.deepEqual(rendered.schemas, ['urn:ietf:params:scim:schemas:core:2.0:User']);
  });

  test('fullName falls back to name.formatted, then given and family names', () => {
    const columnsOf = (r: Record<string, unknown>) => userFromResource({ userName: 'u', ...r }, () => null).columns.fullName;
    assert.equal(columnsOf({ displayName: 'Shown', name: { formatted: 'F' } }), 'Shown');
    assert.equal(columnsOf({ name: { formatted: 'Formatted Name', givenName: 'G' } }), 'Formatted Name');
    assert.equal(columnsOf({ name: { givenName: 'G', familyName: 'F' } }), 'G F');
    assert.equal(columnsOf({}), '');
  });

  test('card number readers: attribute, sub-attribute, filtered multi-valued, unusable settings', () => {
    const r = { userName: 'u', emails: [{ type: 'home', value: 'h@x' }, { type: 'work', value: 'w@x' }], name: { givenName: ' 123 ' } };
    assert.equal(cardNumberReader('emails[type eq "work"].value')(r), 'w@x');
    assert.equal(cardNumberReader('name.givenName')(r), '123');
    assert.equal(cardNumberReader('emails')(r), 'h@x');
    assert.equal(cardNumberReader('nope[')(r), null);
    assert.equal(cardNumberReader('')(r), null);
  });
});

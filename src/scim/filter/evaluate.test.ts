import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpoolError } from '../../errors.ts';
import { ENTERPRISE_USER_SCHEMA, resolveAttribute, resolveSubAttribute } from './attribute-schema.ts';
import { compileFilter, matchesFilter, validateFilter } from './evaluate.ts';
import { parseScimFilter } from './parser.ts';

const bjensen = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_SCHEMA],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'BJensen-Ext',
  userName: 'bjensen@example.com',
  name: { familyName: "O'Malley", givenName: 'Barbara' },
  displayName: 'Babs Jensen',
  userType: 'Employee',
  title: 'Tour Guide',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  ims: [{ value: 'someaimhandle', type: 'aim' }],
  meta: {
    resourceType: 'User',
    created: '2010-01-23T04:56:22Z',
    lastModified: '2011-05-13T04:42:34Z',
    version: 'W/"3694e05e9dff591"',
  },
  [ENTERPRISE_USER_SCHEMA]: {
    employeeNumber: '701984',
    department: 'Tour Operations',
    manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d' },
  },
};

const m = (filter: string, resource: object = bjensen, type: 'User' | 'Group' = 'User'): boolean =>
  matchesFilter(resource, parseScimFilter(filter), type);

function invalid(filter: string, message: RegExp, type: 'User' | 'Group' = 'User'): void {
  assert.throws(
    () => validateFilter(parseScimFilter(filter), type),
    (e: unknown) =>
      e instanceof SpoolError &&
      e.code === 'scim.invalid_filter' &&
      e.status === 400 &&
      message.test(e.message),
  );
}

describe('matchesFilter: RFC 7644 §3.4.2.2 semantics', () => {
  test('eq on caseExact=false strings ignores case (userName, RFC 7643 §4.1)', () => {
    assert.equal(m('userName eq "BJENSEN@example.com"'), true);
    assert.equal(m('UserName Eq "bjensen@example.com"'), true);
    assert.equal(m('userName eq "someone"'), false);
  });
  test('id and externalId are caseExact (RFC 7643 §3.1)', () => {
    assert.equal(m('externalId eq "BJensen-Ext"'), true);
    assert.equal(m('externalId eq "bjensen-ext"'), false);
    assert.equal(m('id eq "2819C223-7F76-453A-919D-413861904646"'), false);
    assert.equal(m('id eq "2819c223-7f76-453a-919d-413861904646"'), true);
  });
  test('co, sw, ew, and ne', () => {
    assert.equal(m('name.familyName co "malley"'), true);
    assert.equal(m('userName sw "BJ"'), true);
    assert.equal(m('userName ew "@EXAMPLE.COM"'), true);
    assert.equal(m('userName ew "@example.org"'), false);
    assert.equal(m('userType ne "Employee"'), false);
    assert.equal(m('userType ne "Intern"'), true);
    assert.equal(m('nickName ne "x"'), true, 'an absent attribute is "ne" anything');
  });
  test('pr: present and non-empty', () => {
    assert.equal(m('title pr'), true);
    assert.equal(m('nickName pr'), false);
    assert.equal(m('emails pr'), true);
    assert.equal(m('name pr'), true);
    assert.equal(m('title pr', { ...bjensen, title: '' }), false);
    assert.equal(m('emails pr', { ...bjensen, emails: [] }), false);
    assert.equal(m('title eq null'), false);
    assert.equal(m('nickName eq null'), true);
    assert.equal(m('title ne null'), true);
  });
  test('gt/ge/lt/le on dateTime compare instants', () => {
    assert.equal(m('meta.lastModified gt "2011-05-13T04:42:33Z"'), true);
    assert.equal(m('meta.lastModified gt "2011-05-13T04:42:34Z"'), false);
    assert.equal(m('meta.lastModified ge "2011-05-13T04:42:34Z"'), true);
    assert.equal(
      m('meta.lastModified lt "2011-05-13T06:42:34+02:00"'),
      false,
      'same instant in another zone',
    );
    assert.equal(m('meta.lastModified le "2011-05-13T06:42:34+02:00"'), true);
    assert.equal(m('meta.created lt "2011-01-01T00:00:00Z"'), true);
  });
  test('gt/lt on strings are lexicographic and case-insensitive', () => {
    assert.equal(m('userName gt "A"'), true);
    assert.equal(m('userName lt "C"'), true);
    assert.equal(m('userName gt "bz"'), false);
  });
  test('multi-valued: any value matches; a complex attribute compares its value sub-attribute', () => {
    assert.equal(m('emails co "jensen.org"'), true);
    assert.equal(m('emails.value co "example.org"'), false);
    assert.equal(m('emails.type eq "home"'), true);
    assert.equal(m('emails ne "babs@jensen.org"'), false);
  });
  test('value paths evaluate one element at a time', () => {
    assert.equal(m('emails[type eq "work" and value co "@example.com"]'), true);
    assert.equal(
      m('emails[type eq "home" and value co "@example.com"]'),
      false,
      'conditions met by different elements',
    );
    assert.equal(
      m('emails.type eq "home" and emails.value co "@example.com"'),
      true,
      'without brackets each condition is separate',
    );
    assert.equal(m('emails[type eq "work"].value eq "BJENSEN@example.com"'), true);
    assert.equal(m('emails[type eq "home"].value eq "bjensen@example.com"'), false);
    assert.equal(m('emails[not (type eq "work")]'), true);
    assert.equal(m('emails[primary eq true].type eq "work"'), true);
    assert.equal(m('ims[type eq "xmpp" and value co "@foo.com"] or emails[type eq "work"]'), true);
    assert.equal(m('emails[type eq "work"]', { userName: 'x' }), false);
  });
  test('logic: and, or, not, grouping (RFC example)', () => {
    assert.equal(
      m('userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")'),
      true,
    );
    assert.equal(
      m('userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")'),
      false,
    );
    assert.equal(m('not (userType eq "Employee")'), false);
    assert.equal(m('title pr or userType eq "Intern"'), true);
    assert.equal(m('nickName pr or userType eq "Intern"'), false);
  });
  test('booleans', () => {
    assert.equal(m('active eq true'), true);
    assert.equal(m('active eq false'), false);
    assert.equal(m('active ne false'), true);
    assert.equal(m('active eq false', { ...bjensen, active: false }), true);
  });
  test('extension attributes: URN-qualified or unqualified, any case', () => {
    assert.equal(
      m('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"'),
      true,
    );
    assert.equal(m('URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:DEPARTMENT sw "tour"'), true);
    assert.equal(m('employeeNumber eq "701984"'), true);
    assert.equal(
      m(
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"',
      ),
      true,
    );
    assert.equal(m('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"'), false);
    assert.equal(m('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B"'), true);
  });
  test('resource keys are matched case-insensitively too', () => {
    assert.equal(m('userName eq "x"', { USERNAME: 'X' }), true);
    assert.equal(
      m('employeeNumber eq "1"', { [ENTERPRISE_USER_SCHEMA.toLowerCase()]: { EmployeeNumber: '1' } }),
      true,
    );
  });
  test('Group filters Entra sends', () => {
    const group = {
      id: 'g1',
      displayName: 'Group1DisplayName',
      externalId: '8aa1a0c0',
      members: [{ value: 'u1' }, { value: 'U2' }],
    };
    assert.equal(m('displayName eq "group1displayname"', group, 'Group'), true);
    assert.equal(m('members[value eq "u1"]', group, 'Group'), true);
    assert.equal(
      m('members eq "u2"', group, 'Group'),
      true,
      'members.value is caseExact=false per RFC 7643 §8.7.1',
    );
    assert.equal(m('id eq "g1" and members.value eq "u3"', group, 'Group'), false);
  });
  test('compileFilter can be reused across resources', () => {
    const pred = compileFilter(parseScimFilter('userName sw "a"'), 'User');
    assert.deepEqual([{ userName: 'alice' }, { userName: 'bob' }, {}].map(pred), [true, false, false]);
  });
});

describe('validateFilter: schema errors are 400 invalid_filter, never silent', () => {
  test('unknown attributes, schemas and sub-attributes', () => {
    invalid('foo eq "x"', /Unknown attribute 'foo' for User resources/);
    invalid('name.nickName eq "x"', /'name' has no sub-attribute 'nickName'/);
    invalid('userName.x eq "x"', /'userName' has no sub-attributes/);
    invalid('urn:example:schemas:custom:1.0:User:tag eq "x"', /Unknown schema/);
    invalid('userName eq "x"', /Unknown attribute 'userName' for Group resources/, 'Group');
    invalid('emails[foo eq "x"]', /'emails' has no sub-attribute 'foo'/);
    invalid('emails[name.givenName eq "x"]', /name a sub-attribute of emails/);
    invalid('userName[value eq "x"]', /not a multi-valued complex attribute/);
  });
  test('type mismatches', () => {
    invalid('active eq "true"', /'active' is a boolean/);
    invalid('active gt true', /'gt' cannot be used with the boolean attribute 'active'/);
    invalid('userName eq 5', /put the value in double quotes/);
    invalid('userName co true', /put the value in double quotes/);
    invalid('meta.lastModified gt "yesterday"', /not a valid dateTime/);
    invalid('meta.lastModified co "2011"', /'co' cannot be used with the dateTime/);
    invalid('name eq "x"', /complex attribute; compare one of its sub-attributes, e.g. name.formatted/);
    invalid('addresses eq "x"', /complex attribute/);
    invalid('userName gt null', /only eq and ne accept null/);
  });
  test('password cannot be filtered on', () => {
    invalid('password eq "secret"', /cannot be used in a filter/);
    invalid('password pr', /cannot be used in a filter/);
  });
  test('errors are thrown before any resource is looked at', () => {
    assert.throws(() => compileFilter(parseScimFilter('userName eq "a" or bogus pr'), 'User'), SpoolError);
  });
});

describe('resolveAttribute (for the SQL translation)', () => {
  test('canonical names, schemas and comparable leaves', () => {
    const un = resolveAttribute('User', { attr: 'USERNAME' });
    assert.equal(un.canonical, 'userName');
    assert.equal(un.isExtension, false);
    assert.equal(un.comparable?.caseExact, false);
    const dep = resolveAttribute('User', { attr: 'department' });
    assert.equal(dep.canonical, `${ENTERPRISE_USER_SCHEMA}:department`);
    assert.equal(dep.isExtension, true);
    const mgr = resolveAttribute('User', {
      schema: ENTERPRISE_USER_SCHEMA.toLowerCase(),
      attr: 'Manager',
      sub: 'Value',
    });
    assert.equal(mgr.canonical, `${ENTERPRISE_USER_SCHEMA}:manager.value`);
    const emails = resolveAttribute('User', { attr: 'emails' });
    assert.equal(emails.comparable?.name, 'value');
    assert.equal(emails.attribute.multiValued, true);
    assert.equal(resolveAttribute('User', { attr: 'name' }).comparable, undefined);
    assert.equal(resolveAttribute('User', { attr: 'id' }).attribute.caseExact, true);
    assert.equal(resolveAttribute('Group', { attr: 'members', sub: 'value' }).canonical, 'members.value');
    const type = resolveSubAttribute('User', emails, { attr: 'TYPE' });
    assert.equal(type.canonical, 'emails.type');
  });
  test('errors carry the requested code', () => {
    assert.throws(
      () => resolveAttribute('User', { attr: 'nope' }, 'scim.invalid_path'),
      (e: unknown) => e instanceof SpoolError && e.code === 'scim.invalid_path',
    );
  });
});

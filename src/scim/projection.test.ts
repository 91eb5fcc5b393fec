import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpoolError } from '../errors.ts';
import { ERROR_SCHEMA, ScimHttpError, scimErrorBody, toScimFailure } from './errors.ts';
import { parseProjection, project, wants } from './projection.ts';

const EXT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', EXT],
  id: '1',
  userName: 'u',
  name: { givenName: 'G', familyName: 'F' },
  emails: [{ type: 'work', value: 'w@x' }, { type: 'home', value: 'h@x' }],
  [EXT]: { department: 'D', employeeNumber: '9' },
  meta: { resourceType: 'User' },
};

describe('projection (RFC 7644 §3.9)', () => {
  test('attributes keeps id and schemas plus what is named, sub-attributes included', () => {
    const p = parseProjection('userName, emails.type,name.familyName', undefined, 'User');
    assert.deepEqual(project(user, p), { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: '1', userName: 'u', emails: [{ type: 'work' }, { type: 'home' }], name: { familyName: 'F' } });
  });

  test('extension attributes and whole extensions; unknown names are ignored', () => {
    assert.deepEqual(project(user, parseProjection(`${EXT}:department,nope,urn:x:y`, undefined, 'User')), { schemas: user.schemas, id: '1', [EXT]: { department: 'D' } });
    assert.deepEqual(project(user, parseProjection([EXT], undefined, 'User'))[EXT], user[EXT]);
  });

  test('excludedAttributes removes, never id; attributes wins when both are given', () => {
    const out = project(user, parseProjection(undefined, `emails,${EXT},id,name.givenName`, 'User'));
    assert.equal(out.emails, undefined);
    assert.equal(out[EXT], undefined);
    assert.equal(out.id, '1');
    assert.deepEqual(out.name, { familyName: 'F' });
    assert.deepEqual(out.schemas, ['urn:ietf:params:scim:schemas:core:2.0:User']);
    assert.deepEqual(Object.keys(project(user, parseProjection('userName', 'userName', 'User'))), ['schemas', 'id', 'userName']);
  });

  test('wants tells callers whether to load members or groups at all', () => {
    assert.equal(wants(parseProjection(undefined, 'members', 'Group'), 'members', true), false);
    assert.equal(wants(parseProjection('displayName', undefined, 'Group'), 'members', true), false);
    assert.equal(wants(parseProjection('members.value', undefined, 'Group'), 'members', true), true);
    assert.equal(wants(parseProjection(undefined, undefined, 'User'), 'groups', false), false);
  });
});

describe('SCIM error bodies (RFC 7644 §3.12)', () => {
  test('status is a string, scimType from the code, detail with the hint', () => {
    const body = scimErrorBody(400, new SpoolError('scim.invalid_filter', 'Bad filter.', { hint: 'Fix it.' }));
    assert.deepEqual(body, { schemas: [ERROR_SCHEMA], status: '400', scimType: 'invalidFilter', detail: 'Bad filter. Fix it.' });
    assert.deepEqual(scimErrorBody(404, new SpoolError('scim.not_found', 'Gone.', { status: 404 })), { schemas: [ERROR_SCHEMA], status: '404', detail: 'Gone.' });
  });

  test('Fastify failures and unknown errors map to SCIM statuses', () => {
    assert.equal(toScimFailure({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }).status, 415);
    assert.equal(toScimFailure({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }).status, 413);
    assert.equal(toScimFailure(new SyntaxError('x')).error.code, 'http.invalid_json');
    assert.equal(toScimFailure(new ScimHttpError(405, 'scim.method_not_allowed', 'no')).status, 405);
    const internal = toScimFailure(new Error('secret detail'));
    assert.equal(internal.status, 500);
    assert.doesNotMatch(internal.error.message, /secret/);
  });
});

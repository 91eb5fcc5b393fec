/**
 * SCIM conformance, part 3: bad input and failure cases (RFC 7644 §3.12). Every error is an RFC error body
 * with `status` as a string and the right scimType; nothing is applied partially; filters that cannot be
 * understood never widen into "everything".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, ENTERPRISE, ERROR, GROUP_SCHEMA, USER_SCHEMA, entraUser, patchOps, q, scimClient, startScimServer, type Json, type ScimResponse, type ScimTestServer } from './scim-client.ts';
import { testEngines } from './helpers/stores.ts';

function assertScimError(r: ScimResponse, status: number, scimType?: string): void {
  assert.equal(r.status, status, r.text);
  assert.match(String(r.headers['content-type']), /^application\/scim\+json/);
  assert.deepEqual(r.body.schemas, [ERROR]);
  assert.equal(r.body.status, String(status), 'status is a string');
  assert.equal(typeof r.body.detail, 'string');
  assert.ok(r.body.detail.length > 0);
  if (scimType !== undefined) assert.equal(r.body.scimType, scimType);
}

for (const engine of testEngines()) {
  describe(`SCIM: errors and bad input on ${engine}`, () => {
    let s: ScimTestServer;
    let user: Json;
    before(async () => {
      s = await startScimServer(engine);
      user = (await s.client.post('Users', entraUser({ displayName: 'Original Name' }))).body;
    });
    after(async () => s.dispose());

    test('no token, a wrong token, a token in the query string: 401 in the SCIM error schema', async () => {
      const anonymous = scimClient(s.http, () => undefined);
      const none = await anonymous.get('Users');
      assertScimError(none, 401);
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      assertScimError(await anonymous.get('Users', { authorization: 'Bearer spool_scim_not-a-real-token' }), 401);
      assertScimError(await anonymous.get('Users', { authorization: `Basic ${Buffer.from(`x:${s.token}`).toString('base64')}` }), 401);
      assertScimError(await anonymous.get(`Users?access_token=${s.token}`), 401);
      assertScimError(await anonymous.post('Users', entraUser()), 401);
    });

    test('invalid JSON, an empty body, a wrong content type, a body over 1 MB', async () => {
      assertScimError(await s.client.post('Users', '{"schemas": ['), 400, 'invalidSyntax');
      assertScimError(await s.client.post('Users', ''), 400, 'invalidSyntax');
      assertScimError(await s.client.post('Users', '[1,2]'), 400, 'invalidSyntax');
      assertScimError(await s.client.post('Users', JSON.stringify(entraUser()), { 'content-type': 'text/plain' }), 415);
      assertScimError(await s.client.post('Users', 'userName=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
      const ok = await s.client.post('Users', JSON.stringify(entraUser()), { 'content-type': 'application/json; charset=utf-8' });
      assert.equal(ok.status, 201, 'application/json is accepted too');
      const huge = entraUser({ displayName: 'x'.repeat(1_100_000) });
      assertScimError(await s.client.post('Users', huge), 413);
    });

    test('schemas: missing, unknown, or not naming the resource type', async () => {
      const { schemas: _schemas, ...noSchemas } = entraUser();
      assertScimError(await s.client.post('Users', noSchemas), 400, 'invalidSyntax');
      assertScimError(await s.client.post('Users', entraUser({ schemas: [USER_SCHEMA, 'urn:example:unknown:2.0:User'] })), 400, 'invalidValue');
      assertScimError(await s.client.post('Users', entraUser({ schemas: [GROUP_SCHEMA] })), 400, 'invalidValue');
      assertScimError(await s.client.post('Groups', { schemas: [USER_SCHEMA], displayName: 'x' }), 400, 'invalidValue');
    });

    test('missing userName, wrong types; unknown attributes are ignored', async () => {
      const { userName: _u, ...noName } = entraUser();
      assertScimError(await s.client.post('Users', noName), 400, 'invalidValue');
      assertScimError(await s.client.post('Users', entraUser({ userName: 42 })), 400, 'invalidValue');
      assertScimError(await s.client.post('Users', entraUser({ userName: '   ' })), 400, 'invalidValue');
      assertScimError(await s.client.post('Users', entraUser({ active: 'maybe' })), 400, 'invalidValue');
      assertScimError(await s.client.post('Users', entraUser({ name: 'not an object' })), 400, 'invalidValue');
      assertScimError(await s.client.post('Users', entraUser({ emails: [{ value: 'a@b.c', primary: 'yes' }] })), 400, 'invalidValue');
      assertScimError(await s.client.post('Users', entraUser({ emails: [{ value: 'a@b.c', primary: true }, { value: 'b@b.c', primary: true }] })), 400, 'invalidValue');
      assertScimError(await s.client.post('Groups', { schemas: [GROUP_SCHEMA] }), 400, 'invalidValue');
      const extra = await s.client.post('Users', entraUser({ favoriteColor: 'blue', [ENTERPRISE]: { employeeNumber: '1', shoeSize: 44 } }));
      assert.equal(extra.status, 201, extra.text);
      assert.equal(extra.body.favoriteColor, undefined);
      assert.deepEqual(extra.body[ENTERPRISE], { employeeNumber: '1' });
    });

    test('unusual Unicode, very long values and SQL-looking text are stored exactly, or refused when unstorable', async () => {
      const body = entraUser({ userName: 'Zoë.Ünïcødé.用户@例え.jp', displayName: `${'é\u0301🙂'.repeat(3000)} end`, title: "Robert'); DROP TABLE users;--", nickName: 'a\\b"c%_d' });
      const r = await s.client.post('Users', body);
      assert.equal(r.status, 201, r.text);
      for (const key of ['userName', 'displayName', 'title', 'nickName']) assert.equal(r.body[key], body[key]);
      const found = await s.client.get(`Users?filter=${q('title eq "robert\'); drop table users;--"')}`);
      assert.equal(found.body.totalResults, 1);
      const like = await s.client.get(`Users?filter=${q('nickName co "%_"')}`);
      assert.equal(like.body.totalResults, 1, 'LIKE wildcards in values are plain characters');
      assertScimError(await s.client.post('Users', entraUser({ displayName: 'nul\u0000byte' })), 400, 'invalidValue');
      assertScimError(await s.client.post('Users', JSON.stringify(entraUser()).replace('"displayName":"', '"displayName":"\\ud800')), 400, 'invalidValue');
      assertScimError(await s.client.post('Users', entraUser({ userName: 'tab\there' })), 400, 'invalidValue');
    });

    test('malformed or unsupported filters are 400 invalidFilter, never "everything"', async () => {
      for (const filter of ['userName eq', 'userName xx "a"', '(userName eq "a"', 'userName eq "a" and', 'foo eq "a"', 'active eq "yes"', 'userName gt 5', 'name eq "x"', 'emails[type eq "work"', 'emails[value[type eq "x"]]', 'password eq "x"', 'id gt "5"', 'meta.location eq "x"', 'userName eq "a" extra', '"string"', 'not userName eq "a"', 'x'.repeat(5000)]) {
        assertScimError(await s.client.get(`Users?filter=${q(filter)}`), 400, 'invalidFilter');
      }
      assertScimError(await s.client.get(`Groups?filter=${q('members.display eq "x"')}`), 400, 'invalidFilter');
      assertScimError(await s.client.get(`Groups?filter=${q('userName eq "x"')}`), 400, 'invalidFilter');
    });

    test('bad query parameters', async () => {
      assertScimError(await s.client.get('Users?startIndex=abc'), 400, 'invalidValue');
      assertScimError(await s.client.get('Users?count=1.5'), 400, 'invalidValue');
      assertScimError(await s.client.get('Users?sortBy=title'), 400, 'invalidValue');
      assertScimError(await s.client.get('Users?sortBy=userName&sortOrder=sideways'), 400, 'invalidValue');
      const many = await s.client.get('Users?count=100000');
      assert.equal(many.status, 200, 'count above maxResults is capped');
    });

    test('PATCH: bad path, empty Operations, bad op, missing schemas, remove without path, read-only target', async () => {
      const at = `Users/${user.id}`;
      assertScimError(await s.client.patch(at, patchOps({ op: 'replace', path: 'nope', value: 'x' })), 400, 'invalidPath');
      assertScimError(await s.client.patch(at, patchOps({ op: 'replace', path: 'emails[type eq', value: 'x' })), 400, 'invalidPath');
      assertScimError(await s.client.patch(at, patchOps({ op: 'replace', path: 'name.nope', value: 'x' })), 400, 'invalidPath');
      assertScimError(await s.client.patch(at, patchOps()), 400, 'invalidValue');
      assertScimError(await s.client.patch(at, patchOps({ op: 'frobnicate', path: 'title', value: 'x' })), 400, 'invalidSyntax');
      assertScimError(await s.client.patch(at, { Operations: [{ op: 'replace', path: 'title', value: 'x' }] }), 400, 'invalidSyntax');
      assertScimError(await s.client.patch(at, patchOps({ op: 'remove' })), 400, 'noTarget');
      assertScimError(await s.client.patch(at, patchOps({ op: 'replace', path: 'id', value: '1' })), 400, 'mutability');
      assertScimError(await s.client.patch(at, patchOps({ op: 'remove', path: 'userName' })), 400, 'invalidValue');
      assertScimError(await s.client.patch(at, patchOps({ op: 'replace', path: 'active', value: 'perhaps' })), 400, 'invalidValue');
    });

    test('a failed multi-operation PATCH applies nothing', async () => {
      const at = `Users/${user.id}`;
      const before = (await s.client.get(at)).body;
      const bad = [
        patchOps({ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'replace', path: 'active', value: false }, { op: 'replace', path: 'nope', value: 1 }),
        patchOps({ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'remove', path: 'userName' }),
        patchOps({ op: 'add', path: 'title', value: 'Boss' }, { op: 'add', path: 'emails', value: [{ value: 'a@b.c', primary: 'no' }] }),
      ];
      for (const body of bad) assert.equal((await s.client.patch(at, body)).status, 400);
      const after = (await s.client.get(at)).body;
      assert.deepEqual(after, before, 'nothing changed, not even the version');
      const other = (await s.client.post('Users', entraUser())).body;
      assertScimError(await s.client.patch(at, patchOps({ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'replace', path: 'userName', value: other.userName.toUpperCase() })), 409, 'uniqueness');
      assert.deepEqual((await s.client.get(at)).body, before);
    });

    test('unknown ids are 404; duplicates are 409 uniqueness', async () => {
      for (const path of ['Users/999999', 'Users/not-a-number', 'Users/0', 'Groups/999999', 'Groups/abc']) assertScimError(await s.client.get(path), 404);
      assertScimError(await s.client.patch('Users/999999', patchOps({ op: 'replace', path: 'title', value: 'x' })), 404);
      assertScimError(await s.client.put('Users/999999', entraUser()), 404);
      assertScimError(await s.client.delete('Groups/999999'), 404);
      assertScimError(await s.client.post('Users', entraUser({ userName: user.userName })), 409, 'uniqueness');
      const g = (await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Unique Group' })).body;
      assertScimError(await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'UNIQUE group' }), 409, 'uniqueness');
      const g2 = (await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Second Group' })).body;
      assertScimError(await s.client.patch(`Groups/${g2.id}`, patchOps({ op: 'replace', path: 'displayName', value: 'unique group' })), 409, 'uniqueness');
      assertScimError(await s.client.put(`Groups/${g2.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Unique Group' }), 409, 'uniqueness');
      assert.equal((await s.client.get(`Groups/${g.id}`)).body.displayName, 'Unique Group');
    });

    test('If-Match with a stale version: 412 on PUT, PATCH and DELETE, and nothing changes', async () => {
      const u = (await s.client.post('Users', entraUser())).body;
      const stale = { 'if-match': 'W/"0"' };
      assertScimError(await s.client.patch(`Users/${u.id}`, patchOps({ op: 'replace', path: 'title', value: 'x' }), stale), 412);
      assertScimError(await s.client.put(`Users/${u.id}`, entraUser({ userName: u.userName }), stale), 412);
      assertScimError(await s.client.delete(`Users/${u.id}`, stale), 412);
      assert.deepEqual((await s.client.get(`Users/${u.id}`)).body, u);
      assert.equal((await s.client.delete(`Users/${u.id}`, { 'if-match': u.meta.version })).status, 204);
    });

    test('unknown endpoints, wrong methods and bulk', async () => {
      assertScimError(await s.client.get('Nope'), 404);
      assertScimError(await s.client.get(`${BASE}`), 404);
      assertScimError(await s.client.get('Users/1/extra'), 404);
      const wrong = await s.client.delete('Users');
      assertScimError(wrong, 405);
      assert.equal(wrong.headers.allow, 'GET, POST');
      assertScimError(await s.client.post('Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] }), 501);
    });

    test('the provisioning log lists failures first and never contains a token', async () => {
      const { token: apiToken } = await s.app.services.auth.createToken('api', 'log reader', 'test');
      const log = await s.http.inject({ method: 'GET', url: '/api/v1/scim/log?limit=1000', headers: { authorization: `Bearer ${apiToken}` } });
      assert.equal(log.statusCode, 200, log.body);
      const entries = log.json() as Json[];
      const firstOk = entries.findIndex((e) => e.ok);
      assert.ok(firstOk > 0 && entries.slice(firstOk).every((e) => e.ok), 'failures come first');
      const unauthorized = entries.find((e) => e.status === 401);
      assert.ok(unauthorized, 'a request without a valid token is logged');
      assert.equal(unauthorized.operation, 'authenticate');
      assert.ok(!log.body.includes(s.token) && !log.body.includes(s.token.slice(11)) && !log.body.includes('spool_scim_not-a-real-token'), 'tokens never reach the log');
      const created = entries.find((e) => e.operation === 'create' && e.ok);
      assert.ok(created && created.resourceType === 'User' && created.status === 201 && typeof created.durationMs === 'number');
      const failures = await s.http.inject({ method: 'GET', url: '/api/v1/scim/log?failures=true', headers: { authorization: `Bearer ${apiToken}` } });
      assert.ok((failures.json() as Json[]).every((e) => !e.ok));
      assert.ok((failures.json() as Json[]).some((e) => e.status === 409 && /already exists/.test(e.error)));
    });
  });
}

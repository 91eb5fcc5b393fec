/**
 * SCIM conformance, part 1: the request sequences Microsoft Entra ID's provisioning service sends, as
 * documented in "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID" and
 * "Known issues … SCIM 2.0 protocol compliance" (both dialects: the default one and ?aadOptscim062020).
 * Written from the client's side: HTTP requests and responses only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, ENTERPRISE, GROUP_SCHEMA, LIST, USER_SCHEMA, entraUser, patchOps, q, startScimServer, type ScimTestServer } from './scim-client.ts';
import { testEngines } from './helpers/stores.ts';

for (const engine of testEngines()) {
  describe(`SCIM: Entra provisioning sequences on ${engine}`, () => {
    let s: ScimTestServer;
    before(async () => {
      s = await startScimServer(engine);
    });
    after(async () => s.dispose());

    test('Test connection: a filter for a random userName answers 200 with an empty ListResponse', async () => {
      const r = await s.client.get(`Users?filter=${q('userName eq "9f7a5a2e-1e36-4f26-8ae7-e1b2c9d5f0a1"')}`);
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^application\/scim\+json/);
      assert.deepEqual(r.body, { schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    });

    test('tenant URL flags such as ?aadOptscim062020 do not affect routing', async () => {
      const a = await s.client.get(`${BASE}/Users?aadOptscim062020&filter=${q('userName eq "nobody"')}`);
      assert.equal(a.status, 200);
      assert.equal(a.body.totalResults, 0);
      const glued = await s.client.get(`${BASE}?aadOptscim062020/Users?filter=${q('userName eq "nobody"')}`);
      assert.equal(glued.status, 200, glued.text);
      assert.deepEqual(glued.body.schemas, [LIST]);
    });

    test('match by filter, then create: 201 with Location, ETag and meta; what Entra wrote reads back', async () => {
      const body = entraUser({ [ENTERPRISE]: { employeeNumber: '4711', department: 'Finance', costCenter: 'CC-1', manager: { value: 'm-1' } }, title: 'Clerk', preferredLanguage: 'fr-CA', phoneNumbers: [{ type: 'work', value: '+1 555 0100' }], addresses: [{ type: 'work', formatted: 'Room 12', locality: 'Montréal', primary: true }] });
      const miss = await s.client.get(`Users?filter=${q(`userName eq "${body.userName}"`)}`);
      assert.equal(miss.body.totalResults, 0);
      const created = await s.client.post('Users', body);
      assert.equal(created.status, 201, created.text);
      const u = created.body;
      assert.ok(u.id);
      assert.equal(created.headers.location, u.meta.location);
      assert.match(String(created.headers.location), new RegExp(`/scim/v2/Users/${u.id}$`));
      assert.equal(created.headers.etag, u.meta.version);
      assert.match(u.meta.version, /^W\/"\d+"$/);
      assert.equal(u.meta.resourceType, 'User');
      assert.ok(!Number.isNaN(Date.parse(u.meta.created)) && !Number.isNaN(Date.parse(u.meta.lastModified)));
      assert.deepEqual(u.schemas, [USER_SCHEMA, ENTERPRISE]);
      for (const key of ['userName', 'externalId', 'active', 'displayName', 'emails', 'name', 'title', 'preferredLanguage', 'phoneNumbers', 'addresses']) {
        assert.deepEqual(u[key], body[key], `${key} reads back as written`);
      }
      assert.deepEqual(u[ENTERPRISE], body[ENTERPRISE]);
      const hit = await s.client.get(`Users?filter=${q(`userName eq "${body.userName}"`)}`);
      assert.equal(hit.body.totalResults, 1);
      assert.equal(hit.body.Resources[0].id, u.id);
      const byId = await s.client.get(`Users/${u.id}`);
      assert.equal(byId.status, 200);
      assert.deepEqual(byId.body.name, body.name);
      assert.deepEqual(byId.body.groups ?? [], []);
    });

    test('userName matching is case-insensitive and the original spelling is kept', async () => {
      const body = entraUser({ userName: 'Mixed.Case@Contoso.COM' });
      const created = await s.client.post('Users', body);
      assert.equal(created.status, 201, created.text);
      const r = await s.client.get(`Users?filter=${q('userName eq "mixed.case@contoso.com"')}`);
      assert.equal(r.body.totalResults, 1);
      assert.equal(r.body.Resources[0].userName, 'Mixed.Case@Contoso.COM');
      const dup = await s.client.post('Users', entraUser({ userName: 'MIXED.CASE@contoso.com' }));
      assert.equal(dup.status, 409);
      assert.equal(dup.body.scimType, 'uniqueness');
    });

    test('update with the default dialect: capitalised ops, value-path emails, name parts, userName', async () => {
      const u = (await s.client.post('Users', entraUser())).body;
      const r = await s.client.patch(`Users/${u.id}`, patchOps(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@contoso.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0199' },
      ));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.emails.find((e: { type: string }) => e.type === 'work').value, 'updatedEmail@contoso.com');
      assert.equal(r.body.name.familyName, 'updatedFamilyName');
      assert.deepEqual(r.body.phoneNumbers, [{ type: 'mobile', value: '+1 555 0199' }]);
      const renamed = await s.client.patch(`Users/${u.id}`, patchOps({ op: 'Replace', path: 'userName', value: `renamed-${u.id}@contoso.com` }));
      assert.equal(renamed.status, 200, renamed.text);
      const found = await s.client.get(`Users?filter=${q(`userName eq "RENAMED-${u.id}@contoso.com"`)}`);
      assert.equal(found.body.totalResults, 1);
      const byEmail = await s.client.get(`Users?filter=${q('emails[type eq "work"].value eq "UPDATEDEMAIL@contoso.com"')}`);
      assert.deepEqual(byEmail.body.Resources.map((x: { id: string }) => x.id), [u.id]);
    });

    test('update with aadOptscim062020: lower-case ops, real booleans, path-less replace with dotted and URN keys', async () => {
      const u = (await s.client.post('Users', entraUser())).body;
      const r = await s.client.patch(`${BASE}/Users/${u.id}?aadOptscim062020`, patchOps({
        op: 'replace',
        value: { 'name.givenName': 'Grace', 'name.familyName': 'Hopper', displayName: 'Grace Hopper', [`${ENTERPRISE}:employeeNumber`]: '1906', [`${ENTERPRISE}:department`]: 'Navy', active: true },
      }));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.name.givenName, 'Grace');
      assert.equal(r.body.name.familyName, 'Hopper');
      assert.equal(r.body.displayName, 'Grace Hopper');
      assert.equal(r.body[ENTERPRISE].employeeNumber, '1906');
      assert.equal(r.body[ENTERPRISE].department, 'Navy');
      const again = await s.client.get(`Users/${u.id}`);
      assert.equal(again.body[ENTERPRISE].employeeNumber, '1906');
    });

    test('deactivate with "False" as a string and with false; reactivate; inactive users are still found', async () => {
      const u = (await s.client.post('Users', entraUser())).body;
      const off = await s.client.patch(`Users/${u.id}`, patchOps({ op: 'Replace', path: 'active', value: 'False' }));
      assert.equal(off.status, 200, off.text);
      assert.equal(off.body.active, false);
      const found = await s.client.get(`Users?filter=${q(`userName eq "${u.userName}"`)}`);
      assert.equal(found.body.Resources[0].active, false, 'inactive users appear in reads and filters');
      const inactive = await s.client.get(`Users?filter=${q(`active eq false and userName eq "${u.userName}"`)}`);
      assert.equal(inactive.body.totalResults, 1);
      const on = await s.client.patch(`Users/${u.id}`, patchOps({ op: 'replace', path: 'active', value: true }));
      assert.equal(on.body.active, true);
      const offAgain = await s.client.patch(`Users/${u.id}`, patchOps({ op: 'replace', path: 'active', value: false }));
      assert.equal(offAgain.body.active, false);
      const onAgain = await s.client.patch(`Users/${u.id}`, patchOps({ op: 'Replace', path: 'active', value: 'True' }));
      assert.equal(onAgain.body.active, true);
      const created = await s.client.post('Users', entraUser({ active: 'False' }));
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.active, false, 'booleans as strings are accepted in POST too');
    });

    test('manager as a bare id string and as {value}; always returned as {value}; empty removes it', async () => {
      const boss = (await s.client.post('Users', entraUser())).body;
      const u = (await s.client.post('Users', entraUser())).body;
      const a = await s.client.patch(`Users/${u.id}`, patchOps({ op: 'Add', path: `${ENTERPRISE}:manager`, value: boss.id }));
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(a.body[ENTERPRISE].manager, { value: boss.id });
      const b = await s.client.patch(`Users/${u.id}`, patchOps({ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: 'other-id' } }));
      assert.deepEqual(b.body[ENTERPRISE].manager, { value: 'other-id' });
      const put = await s.client.put(`Users/${u.id}`, { ...entraUser({ userName: u.userName, externalId: u.externalId }), [ENTERPRISE]: { manager: boss.id } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.body[ENTERPRISE].manager, { value: boss.id });
      const cleared = await s.client.patch(`Users/${u.id}`, patchOps({ op: 'Replace', path: `${ENTERPRISE}:manager`, value: '' }));
      assert.equal(cleared.status, 200, cleared.text);
      assert.equal(cleared.body[ENTERPRISE]?.manager, undefined);
    });

    test('hard delete: 204, then 404 for the id and an empty filter result', async () => {
      const u = (await s.client.post('Users', entraUser())).body;
      const del = await s.client.delete(`Users/${u.id}`);
      assert.equal(del.status, 204);
      assert.equal((await s.client.get(`Users/${u.id}`)).status, 404);
      assert.equal((await s.client.get(`Users?filter=${q(`userName eq "${u.userName}"`)}`)).body.totalResults, 0);
      assert.equal((await s.client.delete(`Users/${u.id}`)).status, 404);
    });

    test('groups: create, find by displayName without members, rename, add and remove members in both dialects, delete', async () => {
      const users = [];
      for (let i = 0; i < 4; i++) users.push((await s.client.post('Users', entraUser())).body);
      const [u1, u2, u3, u4] = users as [{ id: string }, { id: string }, { id: string }, { id: string }];
      const g = await s.client.post('Groups', { schemas: [GROUP_SCHEMA], externalId: 'grp-ext-1', displayName: 'Print Staff', meta: { resourceType: 'Group' } });
      assert.equal(g.status, 201, g.text);
      const gid = g.body.id as string;
      assert.match(String(g.headers.location), new RegExp(`/Groups/${gid}$`));
      const found = await s.client.get(`Groups?excludedAttributes=members&filter=${q('displayName eq "print staff"')}`);
      assert.equal(found.body.totalResults, 1);
      assert.equal(found.body.Resources[0].id, gid);
      assert.equal(found.body.Resources[0].members, undefined);
      const rename = await s.client.patch(`Groups/${gid}`, patchOps({ op: 'Replace', path: 'displayName', value: 'Print Staff (all)' }));
      assert.equal(rename.status, 204, rename.text);
      // Default dialect: Add with a value array, Remove on `members` with a value array.
      const add = await s.client.patch(`Groups/${gid}`, patchOps({ op: 'Add', path: 'members', value: [{ $ref: null, value: u1.id }, { value: u2.id }, { value: u3.id }] }));
      assert.equal(add.status, 204, add.text);
      const rm = await s.client.patch(`Groups/${gid}`, patchOps({ op: 'Remove', path: 'members', value: [{ $ref: null, value: u2.id }] }));
      assert.equal(rm.status, 204, rm.text);
      // aadOptscim062020: lower-case ops and a value filter.
      const add2 = await s.client.patch(`Groups/${gid}?aadOptscim062020`, patchOps({ op: 'add', path: 'members', value: [{ value: u4.id }] }));
      assert.equal(add2.status, 204, add2.text);
      const rm2 = await s.client.patch(`Groups/${gid}?aadOptscim062020`, patchOps({ op: 'remove', path: `members[value eq "${u3.id}"]` }));
      assert.equal(rm2.status, 204, rm2.text);
      const again = await s.client.patch(`Groups/${gid}`, patchOps({ op: 'remove', path: `members[value eq "${u3.id}"]` }));
      assert.equal(again.status, 204, 'removing a non-member again is a harmless no-op (Entra retries)');
      const read = await s.client.get(`Groups/${gid}`);
      assert.equal(read.body.displayName, 'Print Staff (all)');
      assert.deepEqual(read.body.members.map((m: { value: string }) => m.value).sort(), [u1.id, u4.id].sort());
      const member = await s.client.get(`Groups?filter=${q(`members[value eq "${u4.id}"]`)}&excludedAttributes=members`);
      assert.deepEqual(member.body.Resources.map((x: { id: string }) => x.id), [gid]);
      const userView = await s.client.get(`Users/${u1.id}`);
      assert.deepEqual(userView.body.groups.map((x: { value: string }) => x.value), [gid]);
      assert.equal((await s.client.delete(`Groups/${gid}`)).status, 204);
      assert.equal((await s.client.get(`Groups/${gid}`)).status, 404);
      assert.equal((await s.client.get(`Users/${u1.id}`)).status, 200, 'deleting a group keeps its users');
    });

    test('requests without a User-Agent are served', async () => {
      const r = await s.client.get(`Users?filter=${q('userName eq "x"')}`, { 'user-agent': '' });
      assert.equal(r.status, 200);
    });
  });
}

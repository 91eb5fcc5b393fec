/**
 * SCIM conformance, part 2: RFC 7644 behaviour from the client's side — filters (§3.4.2.2), paging
 * (§3.4.2.4), sorting (§3.4.2.3), attributes/excludedAttributes (§3.9), POST .search (§3.4.3), discovery
 * (§4), ETags (§3.14) and PUT (§3.5.1). Expected results are worked out by hand from the data below.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENTERPRISE, GROUP_SCHEMA, LIST, USER_SCHEMA, patchOps, q, startScimServer, type Json, type ScimTestServer } from './scim-client.ts';
import { testEngines } from './helpers/stores.ts';

const PEOPLE: Record<string, Json> = {
  A: { userName: 'alice@ex.com', externalId: 'ext-A', displayName: 'Alice Archer', title: 'Engineer', active: true, name: { givenName: 'Alice', familyName: 'Archer' }, emails: [{ type: 'work', value: 'alice@ex.com', primary: true }, { type: 'home', value: 'alice@home.org' }], [ENTERPRISE]: { department: 'R&D', employeeNumber: '100' } },
  B: { userName: 'bob@ex.com', externalId: 'ext-B', displayName: 'Bob Baker', title: 'Manager', active: false, name: { givenName: 'Bob', familyName: 'Baker' }, emails: [{ type: 'work', value: 'bob@ex.com' }], [ENTERPRISE]: { department: 'Sales', employeeNumber: '200' } },
  C: { userName: 'carol@other.org', externalId: 'ext-C', displayName: 'Carol Clark', active: true, name: { givenName: 'Carol', familyName: 'Clark' }, emails: [{ type: 'home', value: 'carol@home.org' }], [ENTERPRISE]: { department: 'r&d' } },
  D: { userName: 'dave@ex.com', externalId: 'ext-D', displayName: 'Dave Dunn', title: 'engineer', active: true, name: { givenName: 'Dave', familyName: 'Dunn' }, [ENTERPRISE]: { employeeNumber: '300' } },
};

const FILTERS: Array<[string, string[]]> = [
  ['userName eq "ALICE@EX.COM"', ['A']],
  ['USERNAME Eq "bob@ex.com"', ['B']],
  ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "dave@ex.com"', ['D']],
  ['userName sw "b"', ['B']],
  ['userName ew "@ex.com"', ['A', 'B', 'D']],
  ['userName co "AR"', ['C']],
  ['userName ne "alice@ex.com"', ['B', 'C', 'D']],
  ['userName gt "c"', ['C', 'D']],
  ['userName le "bob@ex.com"', ['A', 'B']],
  ['title eq "engineer"', ['A', 'D']],
  ['title pr', ['A', 'B', 'D']],
  ['not (title pr)', ['C']],
  ['title ne "Manager"', ['A', 'C', 'D']],
  ['active eq false', ['B']],
  ['active eq true and title eq "Manager"', []],
  ['userName ew "@ex.com" and not (active eq false)', ['A', 'D']],
  ['title eq "Manager" or title eq "Engineer" and active eq false', ['B']],
  ['(title eq "Manager" or title eq "Engineer") and active eq true', ['A', 'D']],
  ['not (userName sw "a" or userName sw "b")', ['C', 'D']],
  ['emails[type eq "work" and value co "@ex.com"]', ['A', 'B']],
  ['emails[type eq "home"]', ['A', 'C']],
  ['emails[type eq "work"].value eq "BOB@ex.com"', ['B']],
  ['emails[type eq "home" and value eq "alice@ex.com"]', []],
  ['emails[not (type eq "work")]', ['A', 'C']],
  ['emails.value co "home.org"', ['A', 'C']],
  ['emails co "home.org"', ['A', 'C']],
  ['emails pr', ['A', 'B', 'C']],
  ['emails[primary eq true]', ['A']],
  [`${ENTERPRISE}:department eq "R&D"`, ['A', 'C']],
  ['department eq "sales"', ['B']],
  [`${ENTERPRISE}:employeeNumber gt "150"`, ['B', 'D']],
  [`${ENTERPRISE}:employeeNumber pr and not (${ENTERPRISE}:department pr)`, ['D']],
  ['name.givenName sw "A"', ['A']],
  ['name.familyName ew "n"', ['D']],
  ['displayName co "ar"', ['A', 'C']],
  ['externalId eq "ext-A"', ['A']],
  ['externalId eq "EXT-A"', []],
  ['userName eq "x\\" or 1=1 --"', []],
  ["userName eq \"'; DROP TABLE users; --\"", []],
];

for (const engine of testEngines()) {
  describe(`SCIM: RFC 7644 queries and representations on ${engine}`, () => {
    let s: ScimTestServer;
    const ids: Record<string, string> = {};
    const nameOf = (id: string): string => Object.entries(ids).find(([, v]) => v === id)?.[0] ?? `?${id}`;

    before(async () => {
      s = await startScimServer(engine);
      for (const [key, person] of Object.entries(PEOPLE)) {
        const r = await s.client.post('Users', { schemas: [USER_SCHEMA, ENTERPRISE], ...person });
        assert.equal(r.status, 201, r.text);
        ids[key] = r.body.id as string;
      }
    });
    after(async () => s.dispose());

    for (const [filter, expected] of FILTERS) {
      test(`filter ${filter}`, async () => {
        const r = await s.client.get(`Users?filter=${q(filter)}`);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body.Resources.map((u: Json) => nameOf(u.id)).sort(), expected);
        assert.equal(r.body.totalResults, expected.length);
      });
    }

    test('filter on id and on meta.created', async () => {
      const byId = await s.client.get(`Users?filter=${q(`id eq "${ids.B}"`)}`);
      assert.deepEqual(byId.body.Resources.map((u: Json) => nameOf(u.id)), ['B']);
      const a = (await s.client.get(`Users/${ids.A}`)).body;
      const since = await s.client.get(`Users?filter=${q(`meta.created ge "${a.meta.created}"`)}`);
      assert.equal(since.body.totalResults, 4);
      const before = await s.client.get(`Users?filter=${q(`meta.lastModified lt "2000-01-01T00:00:00Z"`)}`);
      assert.equal(before.body.totalResults, 0);
    });

    test('paging: startIndex and count with totalResults; out-of-range values are clamped', async () => {
      const page = await s.client.get('Users?sortBy=userName&startIndex=2&count=2');
      assert.equal(page.status, 200);
      assert.equal(page.body.totalResults, 4);
      assert.equal(page.body.startIndex, 2);
      assert.equal(page.body.itemsPerPage, 2);
      assert.deepEqual(page.body.Resources.map((u: Json) => nameOf(u.id)), ['B', 'C']);
      const zero = await s.client.get('Users?sortBy=userName&startIndex=0&count=1');
      assert.equal(zero.body.startIndex, 1, 'startIndex < 1 is treated as 1');
      assert.deepEqual(zero.body.Resources.map((u: Json) => nameOf(u.id)), ['A']);
      const negative = await s.client.get('Users?startIndex=-5&count=-1');
      assert.equal(negative.status, 200);
      assert.equal(negative.body.totalResults, 4, 'count < 0 is treated as 0: only the total');
      assert.equal(negative.body.itemsPerPage, 0);
      assert.deepEqual(negative.body.Resources, []);
      const beyond = await s.client.get(`Users?startIndex=10&count=5&filter=${q('userName pr')}`);
      assert.equal(beyond.body.totalResults, 4);
      assert.deepEqual(beyond.body.Resources, []);
      const single = await s.client.get(`Users?startIndex=2&filter=${q('userName eq "alice@ex.com"')}`);
      assert.equal(single.body.totalResults, 1);
      assert.deepEqual(single.body.Resources, []);
    });

    test('sortBy and sortOrder', async () => {
      const desc = await s.client.get('Users?sortBy=displayName&sortOrder=descending');
      assert.deepEqual(desc.body.Resources.map((u: Json) => nameOf(u.id)), ['D', 'C', 'B', 'A']);
      const byExternal = await s.client.get(`Users?sortBy=externalId&filter=${q('userName ew "@ex.com"')}`);
      assert.deepEqual(byExternal.body.Resources.map((u: Json) => nameOf(u.id)), ['A', 'B', 'D']);
    });

    test('attributes and excludedAttributes', async () => {
      const only = await s.client.get(`Users?attributes=userName,emails.value&filter=${q('userName eq "alice@ex.com"')}`);
      assert.deepEqual(only.body.Resources[0], { schemas: [USER_SCHEMA], id: ids.A, userName: 'alice@ex.com', emails: [{ value: 'alice@ex.com' }, { value: 'alice@home.org' }] });
      const ext = await s.client.get(`Users/${ids.A}?attributes=${ENTERPRISE}:department,NAME.givenName`);
      assert.deepEqual(ext.body, { schemas: [USER_SCHEMA, ENTERPRISE], id: ids.A, name: { givenName: 'Alice' }, [ENTERPRISE]: { department: 'R&D' } });
      const without = await s.client.get(`Users/${ids.A}?excludedAttributes=emails,name,${ENTERPRISE}`);
      assert.equal(without.body.emails, undefined);
      assert.equal(without.body.name, undefined);
      assert.equal(without.body[ENTERPRISE], undefined);
      assert.deepEqual(without.body.schemas, [USER_SCHEMA]);
      assert.equal(without.body.userName, 'alice@ex.com');
      assert.ok(without.body.meta);
      const idStays = await s.client.get(`Users/${ids.A}?excludedAttributes=id`);
      assert.equal(idStays.body.id, ids.A, 'id is always returned');
    });

    test('POST /Users/.search and POST /.search with a SearchRequest', async () => {
      const search = { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName ew "@ex.com"', attributes: ['userName'], sortBy: 'userName', startIndex: 1, count: 2 };
      const r = await s.client.post('Users/.search', search);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.schemas, [LIST]);
      assert.equal(r.body.totalResults, 3);
      assert.deepEqual(r.body.Resources.map((u: Json) => u.userName), ['alice@ex.com', 'bob@ex.com']);
      const g = await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Search Group' });
      const root = await s.client.post('.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'displayName sw "S"' });
      assert.equal(root.status, 200, root.text);
      assert.deepEqual(root.body.Resources.map((x: Json) => x.id), [g.body.id]);
      const miss = await s.client.post('Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "nobody"' });
      assert.equal(miss.body.totalResults, 0);
    });

    test('discovery: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
      const spc = await s.client.get('ServiceProviderConfig');
      assert.equal(spc.status, 200);
      assert.equal(spc.body.patch.supported, true);
      assert.equal(spc.body.filter.supported, true);
      assert.equal(spc.body.etag.supported, true);
      assert.equal(spc.body.bulk.supported, false);
      assert.equal(spc.body.authenticationSchemes[0].type, 'oauthbearertoken');
      const types = await s.client.get('ResourceTypes');
      assert.deepEqual(types.body.Resources.map((t: Json) => t.id).sort(), ['Group', 'User']);
      const user = await s.client.get('resourcetypes/User');
      assert.equal(user.body.endpoint, '/Users');
      assert.deepEqual(user.body.schemaExtensions, [{ schema: ENTERPRISE, required: false }]);
      const schemas = await s.client.get('Schemas');
      assert.deepEqual(schemas.body.Resources.map((x: Json) => x.id).sort(), [ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA].sort());
      const core = await s.client.get(`Schemas/${USER_SCHEMA}`);
      const userName = core.body.attributes.find((a: Json) => a.name === 'userName');
      assert.equal(userName.required, true);
      assert.equal(userName.uniqueness, 'server');
      assert.equal((await s.client.get('Schemas/urn:nope')).status, 404);
    });

    test('resource segments are case-insensitive', async () => {
      assert.equal((await s.client.get(`users/${ids.A}`)).status, 200);
      assert.equal((await s.client.get(`USERS?filter=${q('userName eq "bob@ex.com"')}`)).body.totalResults, 1);
      assert.equal((await s.client.get('serviceproviderconfig')).status, 200);
    });

    test('ETags: If-Match with the current version applies, If-None-Match answers 304', async () => {
      const cur = await s.client.get(`Users/${ids.D}`);
      const etag = String(cur.headers.etag);
      assert.equal(etag, cur.body.meta.version);
      assert.equal((await s.client.get(`Users/${ids.D}`, { 'if-none-match': etag })).status, 304);
      const ok = await s.client.patch(`Users/${ids.D}`, patchOps({ op: 'replace', path: 'nickName', value: 'D' }), { 'if-match': etag });
      assert.equal(ok.status, 200, ok.text);
      assert.notEqual(ok.body.meta.version, etag, 'a change gives a new version');
      const stale = await s.client.patch(`Users/${ids.D}`, patchOps({ op: 'replace', path: 'nickName', value: 'E' }), { 'if-match': etag });
      assert.equal(stale.status, 412);
    });

    test('PUT replaces the resource: attributes left out are cleared, readOnly ones ignored', async () => {
      const put = await s.client.put(`Users/${ids.D}`, { schemas: [USER_SCHEMA], id: 'ignored', userName: 'dave@ex.com', externalId: 'ext-D', displayName: 'Dave Dunn', meta: { version: 'W/"999"' }, groups: [{ value: '1' }] });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.body.id, ids.D);
      assert.equal(put.body.title, undefined);
      assert.equal(put.body.name, undefined);
      assert.equal(put.body[ENTERPRISE], undefined);
      assert.equal(put.body.active, true, 'active left out of a PUT stays as it was');
      const again = await s.client.get(`Users?filter=${q('title eq "engineer"')}`);
      assert.deepEqual(again.body.Resources.map((u: Json) => nameOf(u.id)), ['A']);
    });
  });
}

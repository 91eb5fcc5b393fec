/**
 * SCIM conformance, part 4: groups at scale and the effects of provisioning on Spool itself. Requests are
 * HTTP only; Spool-side effects that SCIM cannot show (balances, the disabled flag, card numbers) are read
 * through Spool's own services.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENTERPRISE, GROUP_SCHEMA, entraUser, patchOps, q, startScimServer, type Json, type ScimTestServer } from './scim-client.ts';
import { testEngines } from './helpers/stores.ts';

const memberIds = (g: Json): string[] => ((g.members ?? []) as Json[]).map((m) => String(m.value)).sort();

for (const engine of testEngines()) {
  describe(`SCIM: groups and Spool effects on ${engine}`, () => {
    let s: ScimTestServer;
    before(async () => {
      s = await startScimServer(engine);
    });
    after(async () => s.dispose());

    async function createUsers(n: number, prefix: string): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, n - i) }, (_, k) => s.client.post('Users', entraUser({ userName: `${prefix}-${i + k}@big.example`, emails: [] }))),
        );
        for (const r of batch) {
          assert.equal(r.status, 201, r.text);
          ids.push(r.body.id as string);
        }
      }
      return ids;
    }

    test('a 2,000-member group: adding and removing one member, in both dialects', async () => {
      const ids = await createUsers(2002, 'big');
      const members = ids.slice(0, 2000);
      const created = await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Everyone', members: members.slice(0, 1000).map((value) => ({ value })) });
      assert.equal(created.status, 201, created.text);
      const gid = created.body.id as string;
      const rest = await s.client.patch(`Groups/${gid}`, patchOps({ op: 'Add', path: 'members', value: members.slice(1000).map((value) => ({ value })) }));
      assert.equal(rest.status, 204, rest.text);
      const v0 = (await s.client.get(`Groups/${gid}?attributes=displayName`)).body.meta;
      assert.equal(v0, undefined, 'attributes=displayName leaves meta out');
      const before = await s.client.get(`Groups/${gid}`);
      assert.equal(before.body.members.length, 2000);
      const [extra1, extra2] = ids.slice(2000) as [string, string];
      assert.equal((await s.client.patch(`Groups/${gid}`, patchOps({ op: 'Add', path: 'members', value: [{ value: extra1 }] }))).status, 204);
      assert.equal((await s.client.patch(`Groups/${gid}?aadOptscim062020`, patchOps({ op: 'add', path: 'members', value: [{ value: extra2 }] }))).status, 204);
      assert.equal((await s.client.patch(`Groups/${gid}`, patchOps({ op: 'Remove', path: 'members', value: [{ value: members[0] }] }))).status, 204);
      assert.equal((await s.client.patch(`Groups/${gid}?aadOptscim062020`, patchOps({ op: 'remove', path: `members[value eq "${members[1]}"]` }))).status, 204);
      const after = await s.client.get(`Groups/${gid}`);
      assert.deepEqual(memberIds(after.body), [...members.slice(2), extra1, extra2].sort());
      assert.equal(Number(/\d+/.exec(after.body.meta.version)?.[0]), Number(/\d+/.exec(before.body.meta.version)?.[0]) + 4, 'each member change is a new version');
      const isMember = await s.client.get(`Groups?excludedAttributes=members&filter=${q(`displayName eq "everyone" and members.value eq "${extra1}"`)}`);
      assert.equal(isMember.body.totalResults, 1);
      const notMember = await s.client.get(`Groups?excludedAttributes=members&filter=${q(`members[value eq "${members[0]}"]`)}`);
      assert.equal(notMember.body.totalResults, 0);
    });

    test('member replace, remove-all, path-less add and PUT', async () => {
      const [a, b, c] = (await createUsers(3, 'rep')) as [string, string, string];
      const gid = (await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Replace Me', members: [{ value: a }] })).body.id as string;
      assert.equal((await s.client.patch(`Groups/${gid}`, patchOps({ op: 'replace', path: 'members', value: [{ value: b }, { value: c }] }))).status, 204);
      assert.deepEqual(memberIds((await s.client.get(`Groups/${gid}`)).body), [b, c].sort());
      assert.equal((await s.client.patch(`Groups/${gid}`, patchOps({ op: 'add', value: { members: [{ value: a }], externalId: 'ext-rep' } }))).status, 204);
      const g = (await s.client.get(`Groups/${gid}`)).body;
      assert.deepEqual(memberIds(g), [a, b, c].sort());
      assert.equal(g.externalId, 'ext-rep');
      assert.equal((await s.client.patch(`Groups/${gid}`, patchOps({ op: 'remove', path: 'members' }))).status, 204);
      assert.deepEqual(memberIds((await s.client.get(`Groups/${gid}`)).body), []);
      const put = await s.client.put(`Groups/${gid}`, { schemas: [GROUP_SCHEMA], displayName: 'Replaced', members: [{ value: c }] });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.body.displayName, 'Replaced');
      assert.deepEqual(memberIds((await s.client.get(`Groups/${gid}`)).body), [c]);
    });

    test('a failed group PATCH applies nothing', async () => {
      const [a, b] = (await createUsers(2, 'atomic')) as [string, string];
      const gid = (await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Atomic', members: [{ value: a }] })).body.id as string;
      const before = (await s.client.get(`Groups/${gid}`)).body;
      const attempts = [
        patchOps({ op: 'add', path: 'members', value: [{ value: b }] }, { op: 'add', path: 'members', value: [{ value: '999999' }] }),
        patchOps({ op: 'replace', path: 'displayName', value: 'Renamed' }, { op: 'add', path: 'members', value: [{ value: 'not-an-id' }] }),
        patchOps({ op: 'remove', path: `members[value eq "${a}"]` }, { op: 'remove', path: 'members[display eq "x"]' }),
        patchOps({ op: 'add', path: 'members', value: [{ value: b }] }, { op: 'replace', path: 'displayName', value: '' }),
        patchOps({ op: 'add', path: 'members', value: [{ value: b, type: 'Group' }] }),
      ];
      for (const body of attempts) {
        const r = await s.client.patch(`Groups/${gid}`, body);
        assert.equal(r.status, 400, `${JSON.stringify(body.Operations)}: ${r.text}`);
      }
      const missing = await s.client.patch(`Groups/${gid}`, attempts[0]);
      assert.match(missing.body.detail, /999999/);
      assert.equal(missing.body.scimType, 'invalidValue');
      assert.deepEqual((await s.client.get(`Groups/${gid}`)).body, before);
      const withUnknown = await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Never Created', members: [{ value: a }, { value: '424242' }] });
      assert.equal(withUnknown.status, 400);
      assert.equal((await s.client.get(`Groups?filter=${q('displayName eq "Never Created"')}`)).body.totalResults, 0);
    });

    test('active=false disables the Spool user keeping balance, history and memberships; active=true restores', async () => {
      const u = (await s.client.post('Users', entraUser())).body;
      const gid = (await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Keepers', members: [{ value: u.id }] })).body.id;
      await s.app.services.users.adjustBalance(`#${u.id}`, '7.50', 'Top-up', 'test');
      assert.equal((await s.client.patch(`Users/${u.id}`, patchOps({ op: 'Replace', path: 'active', value: 'False' }))).status, 200);
      const off = await s.app.services.users.show(`#${u.id}`);
      assert.equal(off.user.disabled, true);
      assert.equal(off.user.source, 'scim');
      assert.equal(off.account?.balanceCents, 750);
      assert.deepEqual(off.groups.map((g) => String(g.id)), [gid]);
      assert.equal((await s.client.patch(`Users/${u.id}`, patchOps({ op: 'replace', path: 'active', value: true }))).status, 200);
      const on = await s.app.services.users.show(`#${u.id}`);
      assert.equal(on.user.disabled, false);
      assert.equal(on.account?.balanceCents, 750);
    });

    test('new users get group-driven initial credit when Entra adds them to a group with a policy', async () => {
      await s.app.services.settings.set('sync.initial-credit-cents', 100, 'test');
      await s.app.services.settings.set('sync.initial-restricted', true, 'test');
      s.app.services.scim.runtime.refresh();
      const policy = (await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Faculty' })).body;
      await s.app.services.groups.setPolicy(`#${policy.id}`, { initialCredit: '20.00', initialRestricted: false }, 'test');
      const u = (await s.client.post('Users', entraUser())).body;
      const fresh = await s.app.services.users.show(`#${u.id}`);
      assert.equal(fresh.account?.balanceCents, 100, 'defaults first: Entra adds group memberships later');
      assert.equal(fresh.account?.restricted, true);
      assert.equal((await s.client.patch(`Groups/${policy.id}`, patchOps({ op: 'Add', path: 'members', value: [{ value: u.id }] }))).status, 204);
      const joined = await s.app.services.users.show(`#${u.id}`);
      assert.equal(joined.account?.balanceCents, 2000, 'brought up to the group initial credit');
      assert.equal(joined.account?.restricted, false);
      assert.deepEqual(joined.transactions.map((t) => t.amountCents).sort((x, y) => x - y), [100, 1900]);
      await s.client.patch(`Groups/${policy.id}`, patchOps({ op: 'remove', path: `members[value eq "${u.id}"]` }));
      await s.client.patch(`Groups/${policy.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: u.id }] }));
      assert.equal((await s.app.services.users.show(`#${u.id}`)).account?.balanceCents, 2000, 'granted once, not on every re-join');
      await s.app.services.settings.set('sync.initial-credit-cents', 0, 'test');
      s.app.services.scim.runtime.refresh();
    });

    test('the card number follows scim.card-number-attribute', async () => {
      const u = (await s.client.post('Users', entraUser({ [ENTERPRISE]: { employeeNumber: ' 00123 ' } }))).body;
      assert.equal((await s.app.services.users.show(`#${u.id}`)).user.cardNumber, '00123');
      await s.app.services.settings.set('scim.card-number-attribute', 'emails[type eq "work"].value', 'test');
      s.app.services.scim.runtime.refresh();
      const v = (await s.client.post('Users', entraUser({ emails: [{ type: 'home', value: 'h@x.org' }, { type: 'work', value: 'card-by-mail@x.org' }] }))).body;
      assert.equal((await s.app.services.users.show(`#${v.id}`)).user.cardNumber, 'card-by-mail@x.org');
      await s.app.services.settings.set('scim.card-number-attribute', `${ENTERPRISE}:employeeNumber`, 'test');
      s.app.services.scim.runtime.refresh();
    });

    test('scim.delete-mode=disable keeps the user disabled with history; SCIM sees it as gone; a new POST restores it', async () => {
      await s.app.services.settings.set('scim.delete-mode', 'disable', 'test');
      s.app.services.scim.runtime.refresh();
      const body = entraUser();
      const u = (await s.client.post('Users', body)).body;
      const gid = (await s.client.post('Groups', { schemas: [GROUP_SCHEMA], displayName: 'Leavers', members: [{ value: u.id }] })).body.id;
      await s.app.services.users.adjustBalance(`#${u.id}`, '3.00', 'Top-up', 'test');
      assert.equal((await s.client.delete(`Users/${u.id}`)).status, 204);
      assert.equal((await s.client.get(`Users/${u.id}`)).status, 404);
      assert.equal((await s.client.get(`Users?filter=${q(`userName eq "${u.userName}"`)}`)).body.totalResults, 0);
      assert.deepEqual(memberIds((await s.client.get(`Groups/${gid}`)).body), [], 'not listed as a member either');
      const kept = await s.app.services.users.show(`#${u.id}`);
      assert.equal(kept.user.disabled, true);
      assert.equal(kept.account?.balanceCents, 300);
      const back = await s.client.post('Users', body);
      assert.equal(back.status, 201, back.text);
      assert.equal(back.body.id, u.id, 'the same Spool user comes back');
      assert.equal(back.body.active, true);
      assert.equal((await s.app.services.users.show(`#${u.id}`)).account?.balanceCents, 300);
      await s.app.services.settings.set('scim.delete-mode', 'delete', 'test');
      s.app.services.scim.runtime.refresh();
      assert.equal((await s.client.delete(`Users/${u.id}`)).status, 204);
      await assert.rejects(s.app.services.users.show(`#${u.id}`), { code: 'users.not_found' });
    });

    test('users that exist in Spool from another source are matched by userName and adopted on first write', async () => {
      const local = await s.app.services.users.add({ username: 'Legacy.User', fullName: 'Legacy User', department: 'Library' }, 'test');
      const found = await s.client.get(`Users?filter=${q('userName eq "legacy.user"')}`);
      assert.equal(found.body.totalResults, 1);
      const u = found.body.Resources[0];
      assert.equal(u.displayName, 'Legacy User');
      assert.equal(u[ENTERPRISE].department, 'Library');
      const r = await s.client.patch(`Users/${u.id}`, patchOps({ op: 'Add', path: 'externalId', value: 'aad-legacy' }, { op: 'Add', path: 'title', value: 'Librarian' }));
      assert.equal(r.status, 200, r.text);
      const after = await s.app.services.users.show(local.id);
      assert.equal(after.user.source, 'scim');
      assert.equal(after.user.sourceId, String(local.id));
      assert.equal(after.user.scimExternalId, 'aad-legacy');
    });
  });
}

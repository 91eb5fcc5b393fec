/**
 * applyPlan's user updates on SQLite and PostgreSQL (where they go as one UPDATE ... FROM (VALUES ...) per set of
 * columns, bulk.ts updateManyById): two users swapping names, changed details, a disable and an enable, NULLs and
 * the integer columns, the version counter, and the sync digest kept by the statement that sets it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emptyCounts, type SourceUser, type SyncPlan, type UserUpdate } from '../src/domain/sync/types.ts';
import { NO_DETAILS } from '../src/domain/sync/fingerprint.ts';
import { applyPlan } from '../src/services/sync/apply-plan.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';

const plan = (p: Partial<SyncPlan>): SyncPlan => ({
  userAdds: [], userUpdates: [], userDisables: [], userDeletes: [], groupAdds: [], groupUpdates: [], groupRemoves: [], memberships: [],
  issues: [], counts: emptyCounts(), stopped: null, digestRefresh: [], groupKeys: [], forgetGroupKeys: false, ...p,
});

const user = (username: string, over: Partial<SourceUser> = {}): SourceUser => ({
  sourceId: `id-${username}`, username, usernameAlias: null, dn: `uid=${username},ou=people,dc=example`, details: { ...NO_DETAILS, fullName: username }, disabled: false, ...over,
});

const update = (id: number, from: string, u: SourceUser, over: Partial<UserUpdate>): UserUpdate => ({
  id, from, user: u, rename: false, changes: [], enable: false, disable: false, relink: false, writeCard: false, writeCard2: false, writeDetails: false, writePin: false, digest: null, ...over,
});

for (const engine of testEngines()) {
  describe(`user updates applied on ${engine}`, () => {
    let app: TestApp;
    const id: Record<string, number> = {};
    before(async () => {
      app = await openTestApp(engine);
      for (const name of ['ann', 'bob', 'cat', 'dan', 'eve']) id[name] = (await app.services.users.add({ username: name, fullName: name.toUpperCase(), department: 'Old' }, 'test')).id;
      await app.services.users.setDisabled(id.eve!, true, 'test');
    });
    after(async () => app?.dispose());

    test('renames that swap names, details, disable, enable, digests: each row exactly as planned', async () => {
      const ann = user('bob', { details: { ...NO_DETAILS, fullName: 'Ann Now Bob', department: 'Sales' } });
      const bob = user('ann');
      const cat = user('cat', { details: { ...NO_DETAILS, fullName: 'CAT', department: null, email: 'cat@example.org', otherEmails: ['c@example.org'] } });
      const dan = user('dan', { disabled: true, details: { ...NO_DETAILS, fullName: 'DAN', department: 'Old' } });
      const eve = user('eve', { details: { ...NO_DETAILS, fullName: 'EVE', department: 'Old' } });
      await applyPlan(plan({
        userUpdates: [
          update(id.ann!, 'ann', ann, { rename: true, changes: ['username', 'details'], writeDetails: true, digest: 111 }),
          update(id.bob!, 'bob', bob, { rename: true, changes: ['username'], digest: 222 }),
          update(id.cat!, 'cat', cat, { changes: ['details'], writeDetails: true, digest: 2 ** 52 + 3 }),
          update(id.dan!, 'dan', dan, { changes: ['disabled'], disable: true, digest: 444 }),
          update(id.eve!, 'eve', eve, { changes: ['enabled'], enable: true, digest: null }),
        ],
      }), { db: app.store.db, engine, now: '2026-11-24T12:00:00.000Z', actor: 'test', sourceName: 'primary', defaults: { balanceCents: 0, restricted: false }, storeGroups: [], log: () => undefined });

      const rows = await app.store.db.selectFrom('users').select(['id', 'username', 'fullName', 'email', 'otherEmails', 'department', 'disabled', 'disabledReason', 'syncDigest', 'version'])
        .orderBy('id').execute();
      const by = new Map(rows.map((r) => [r.id, { ...r, syncDigest: r.syncDigest === null ? null : Number(r.syncDigest), version: Number(r.version), disabled: Number(r.disabled) }]));
      assert.deepEqual(by.get(id.ann!), { id: id.ann, username: 'bob', fullName: 'Ann Now Bob', email: null, otherEmails: '[]', department: 'Sales', disabled: 0, disabledReason: null, syncDigest: 111, version: 2 });
      assert.deepEqual(by.get(id.bob!), { id: id.bob, username: 'ann', fullName: 'BOB', email: null, otherEmails: '[]', department: 'Old', disabled: 0, disabledReason: null, syncDigest: 222, version: 2 });
      assert.deepEqual(by.get(id.cat!), { id: id.cat, username: 'cat', fullName: 'CAT', email: 'cat@example.org', otherEmails: '["c@example.org"]', department: null, disabled: 0, disabledReason: null, syncDigest: 2 ** 52 + 3, version: 2 });
      assert.deepEqual(by.get(id.dan!), { id: id.dan, username: 'dan', fullName: 'DAN', email: null, otherEmails: '[]', department: 'Old', disabled: 1, disabledReason: 'source', syncDigest: 444, version: 2 });
      const e = by.get(id.eve!)!;
      assert.equal(e.disabled, 0);
      assert.equal(e.disabledReason, null);
      assert.equal(e.syncDigest, null);
    });
  });
}

/**
 * applyPlan's bulk load of memberships (a first sync's hundreds of thousands), on SQLite and PostgreSQL: the rows
 * the plan asks for, the user index rebuilt, foreign keys in force again, and a plan naming a user removed
 * meanwhile refused whole. PostgreSQL loads them with COPY, which has no ON CONFLICT: a pair stored already sends the
 * load back to INSERT … ON CONFLICT DO NOTHING.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { emptyCounts, type SyncPlan } from '../src/domain/sync/types.ts';
import { applyPlan, type ApplyContext } from '../src/services/sync/apply-plan.ts';
import { isSpoolError } from '../src/errors.ts';
import { openTestApp, testEngines, type TestApp } from './helpers/stores.ts';

const plan = (p: Partial<SyncPlan>): SyncPlan => ({
  userAdds: [], userUpdates: [], userDisables: [], userDeletes: [], groupAdds: [], groupUpdates: [], groupRemoves: [], memberships: [],
  issues: [], counts: emptyCounts(), stopped: null, digestRefresh: [], groupKeys: [], forgetGroupKeys: false, ...p,
});

for (const engine of testEngines()) {
  describe(`bulk load of memberships on ${engine}`, () => {
    let app: TestApp;
    let ctx: ApplyContext;
    const ids: number[] = [];
    before(async () => {
      app = await openTestApp(engine);
      for (let i = 0; i < 40; i++) ids.push((await app.services.users.add({ username: `bulk${i}`, fullName: `Bulk ${i}` }, 'test')).id);
      ctx = { db: app.store.db, engine, now: new Date().toISOString(), actor: 'test', sourceName: 'primary', defaults: { balanceCents: 0, restricted: false }, storeGroups: [], log: () => undefined, bulkMemberships: 1, exclusiveConnection: true };
    });
    after(async () => app?.dispose());

    const members = async (): Promise<string[]> => (await app.store.db.selectFrom('memberships').innerJoin('groups', 'groups.id', 'memberships.groupId')
      .select(['groups.name', 'memberships.userId', 'memberships.direct']).orderBy('groups.name').orderBy('memberships.userId').execute()).map((r) => `${r.name}:${r.userId}:${r.direct}`);
    const one = async (q: string): Promise<unknown[]> => (await sql.raw<Record<string, unknown>>(q).execute(app.store.db)).rows.map((r) => Object.values(r)[0]);
    /** The user index and the foreign keys, as the engine reports them. */
    const schema = async (): Promise<{ index: number; foreignKeys: unknown[] }> => engine === 'sqlite'
      ? { index: (await one("select count(*) from sqlite_master where name = 'memberships_user_idx'"))[0] as number, foreignKeys: await one('pragma foreign_keys') }
      : {
        index: Number((await one("select count(*) from pg_indexes where tablename = 'memberships' and indexname = 'memberships_user_idx'"))[0]),
        foreignKeys: (await one("select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'memberships'::regclass and contype = 'f' order by 1")),
      };
    let original: { index: number; foreignKeys: unknown[] };

    test('new groups and their members in one transaction; index and foreign keys as before', async () => {
      original = await schema();
      await applyPlan(plan({
        groupAdds: [{ ref: -1, sourceId: 'g-1', name: 'bulk-a', dn: 'cn=bulk-a', changed: null }, { ref: -2, sourceId: 'g-2', name: 'bulk-b', dn: 'cn=bulk-b', changed: null }],
        memberships: [
          { group: -1, groupName: 'bulk-a', add: ids.slice(0, 30), addDirect: ids.slice(0, 30).map((_, i) => i % 2), remove: [], setDirect: [] },
          { group: -2, groupName: 'bulk-b', add: ids.slice(20), addDirect: ids.slice(20).map(() => 1), remove: [], setDirect: [] },
        ],
      }), { ...ctx, batchSize: 2 });
      const rows = await members();
      assert.equal(rows.length, 50);
      assert.ok(rows.includes(`bulk-a:${ids[1]}:1`) && rows.includes(`bulk-a:${ids[0]}:0`) && rows.includes(`bulk-b:${ids[39]}:1`));
      assert.deepEqual(await schema(), original);
      assert.equal(original.index, 1);
      assert.deepEqual(original.foreignKeys, engine === 'sqlite' ? [1] : ['FOREIGN KEY (group_id) REFERENCES groups(id) ON DELETE CASCADE', 'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE']);
      if (engine === 'sqlite') assert.deepEqual(await one('pragma foreign_key_check'), []);
    });

    test('a plan naming a user removed since it was made writes no membership at all', async () => {
      // An empty table again, as at a first sync (bulk loads are for tables holding at most a quarter of what comes).
      await app.store.db.deleteFrom('memberships').execute();
      await app.store.db.deleteFrom('users').where('id', '=', ids[5]!).execute();
      await assert.rejects(
        applyPlan(plan({
          groupAdds: [{ ref: -1, sourceId: 'g-3', name: 'bulk-c', dn: 'cn=bulk-c', changed: null }],
          memberships: [{ group: -1, groupName: 'bulk-c', add: ids.slice(0, 10), addDirect: ids.slice(0, 10).map(() => 1), remove: [], setDirect: [] }],
        }), ctx),
        (e) => isSpoolError(e) && e.code === 'sync.conflict' && /Run the sync again/.test(e.hint ?? ''),
      );
      assert.deepEqual(await members(), []);
      assert.equal((await app.store.db.selectFrom('groups').select('id').where('name', '=', 'bulk-c').execute()).length, 1, 'the group itself was added before');
      assert.deepEqual(await schema(), original);
    });

    test('a pair that is stored already stays once, and the rest of the load goes in', async () => {
      const [a] = await app.store.db.selectFrom('groups').select('id').where('name', '=', 'bulk-a').execute();
      await app.store.db.deleteFrom('memberships').execute();
      await app.store.db.insertInto('memberships').values({ groupId: a!.id, userId: ids[12]!, direct: 0 }).execute();
      const add = ids.slice(10, 20);
      await applyPlan(plan({ memberships: [{ group: a!.id, groupName: 'bulk-a', add, addDirect: add.map(() => 1), remove: [], setDirect: [] }] }), ctx);
      const rows = await members();
      assert.deepEqual(rows, add.map((id) => `bulk-a:${id}:${id === ids[12] ? 0 : 1}`));
      assert.deepEqual(await schema(), original);
    });
  });
}

/**
 * applyPlan's bulk load of memberships on SQLite (a first sync's hundreds of thousands): the same rows as the
 * ordinary path, the user index rebuilt, foreign keys on again, and a plan naming a user removed meanwhile
 * refused whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { emptyCounts, type SyncPlan } from '../src/domain/sync/types.ts';
import { applyPlan, type ApplyContext } from '../src/services/sync/apply-plan.ts';
import { isSpoolError } from '../src/errors.ts';
import { openTestApp, type TestApp } from './helpers/stores.ts';

const plan = (p: Partial<SyncPlan>): SyncPlan => ({
  userAdds: [], userUpdates: [], userDisables: [], userDeletes: [], groupAdds: [], groupUpdates: [], groupRemoves: [], memberships: [],
  issues: [], counts: emptyCounts(), stopped: null, digestRefresh: [], ...p,
});

describe('bulk load of memberships (SQLite)', () => {
  let app: TestApp;
  let ctx: ApplyContext;
  const ids: number[] = [];
  before(async () => {
    app = await openTestApp('sqlite');
    for (let i = 0; i < 40; i++) ids.push((await app.services.users.add({ username: `bulk${i}`, fullName: `Bulk ${i}` }, 'test')).id);
    ctx = { db: app.store.db, engine: 'sqlite', now: new Date().toISOString(), actor: 'test', sourceName: 'primary', defaults: { balanceCents: 0, restricted: false }, storeGroups: [], log: () => undefined, bulkMemberships: 1 };
  });
  after(async () => app?.dispose());

  const members = async (): Promise<string[]> => (await app.store.db.selectFrom('memberships').innerJoin('groups', 'groups.id', 'memberships.groupId')
    .select(['groups.name', 'memberships.userId', 'memberships.direct']).orderBy('groups.name').orderBy('memberships.userId').execute()).map((r) => `${r.name}:${r.userId}:${r.direct}`);
  const pragma = async (q: string): Promise<unknown[]> => (await sql.raw<Record<string, unknown>>(q).execute(app.store.db)).rows.map((r) => Object.values(r)[0]);

  test('new groups and their members, in one transaction, index rebuilt and foreign keys on', async () => {
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
    assert.deepEqual(await pragma("select sql from sqlite_master where name = 'memberships_user_idx'"), ['CREATE INDEX memberships_user_idx on memberships (user_id)']);
    assert.deepEqual(await pragma('pragma foreign_keys'), [1]);
    assert.deepEqual(await pragma('pragma foreign_key_check'), []);
  });

  test('a plan naming a user removed since it was made writes no membership at all', async () => {
    // An empty table again, as at a first sync (bulk loads are for tables holding at most a quarter of what comes).
    await app.store.db.deleteFrom('memberships').execute();
    const gone = ids[5]!;
    await app.store.db.deleteFrom('users').where('id', '=', gone).execute();
    await assert.rejects(
      applyPlan(plan({
        groupAdds: [{ ref: -1, sourceId: 'g-3', name: 'bulk-c', dn: 'cn=bulk-c', changed: null }],
        memberships: [{ group: -1, groupName: 'bulk-c', add: ids.slice(0, 10), addDirect: ids.slice(0, 10).map(() => 1), remove: [], setDirect: [] }],
      }), ctx),
      (e) => isSpoolError(e) && e.code === 'sync.conflict' && /Run the sync again/.test(e.hint ?? ''),
    );
    assert.deepEqual(await members(), []);
    assert.equal((await app.store.db.selectFrom('groups').select('id').where('name', '=', 'bulk-c').execute()).length, 1, 'the group itself was added before');
    assert.deepEqual(await pragma("select count(*) from sqlite_master where name = 'memberships_user_idx'"), [1]);
    assert.deepEqual(await pragma('pragma foreign_keys'), [1]);
  });
});

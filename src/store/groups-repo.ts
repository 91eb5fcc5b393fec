/** Groups and memberships. Membership writes touch one row per change, whatever the group's size. */
import { sql } from 'kysely';
import type { Db } from './database.ts';
import type { GroupRow } from './schema.ts';
import { chunks, escapeLike } from './sql-errors.ts';

export interface GroupListItem extends GroupRow {
  memberCount: number;
}

export function createGroupsRepo(db: Db) {
  return {
    async findById(id: number): Promise<GroupRow | undefined> {
      return db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async findByName(name: string): Promise<GroupRow | undefined> {
      return db.selectFrom('groups').selectAll().where('nameKey', '=', name.trim().toLowerCase()).executeTakeFirst();
    },
    async count(search?: string): Promise<number> {
      let q = db.selectFrom('groups');
      if (search) q = q.where('nameKey', 'like', sql<string>`${'%' + escapeLike(search.toLowerCase()) + '%'} escape '\\'`);
      const r = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async list(opts: { search?: string | undefined; limit: number; offset: number }): Promise<GroupListItem[]> {
      let q = db.selectFrom('groups');
      if (opts.search) q = q.where('nameKey', 'like', sql<string>`${'%' + escapeLike(opts.search.toLowerCase()) + '%'} escape '\\'`);
      const rows = await q
        .selectAll('groups')
        .select((eb) => eb.selectFrom('memberships').whereRef('memberships.groupId', '=', 'groups.id').select(eb.fn.countAll<number>().as('c')).as('memberCount'))
        .orderBy('nameKey')
        .limit(opts.limit)
        .offset(opts.offset)
        .execute();
      return rows.map((r) => ({ ...r, memberCount: Number(r.memberCount ?? 0) }));
    },
    async insert(row: { name: string; source: string; sourceName?: string | null; sourceId?: string | null; ldapDn?: string | null; scimExternalId?: string | null; attributes?: string }, now: string): Promise<number> {
      const r = await db
        .insertInto('groups')
        .values({ ...row, nameKey: row.name.trim().toLowerCase(), attributes: row.attributes ?? '{}', createdAt: now, updatedAt: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async update(id: number, patch: Partial<Omit<GroupRow, 'id' | 'version'>>, now: string): Promise<void> {
      const set = { ...patch, updatedAt: now, version: sql<number>`version + 1` };
      if (patch.name !== undefined) Object.assign(set, { nameKey: patch.name.trim().toLowerCase() });
      await db.updateTable('groups').set(set).where('id', '=', id).execute();
    },
    async delete(id: number): Promise<boolean> {
      const r = await db.deleteFrom('groups').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async memberCount(groupId: number): Promise<number> {
      const r = await db.selectFrom('memberships').where('groupId', '=', groupId).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async members(groupId: number, limit: number, offset: number): Promise<Array<{ id: number; username: string; fullName: string; direct: boolean }>> {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.userId')
        .select(['users.id', 'users.username', 'users.fullName', 'memberships.direct'])
        .where('memberships.groupId', '=', groupId)
        .orderBy('users.username')
        .limit(limit)
        .offset(offset)
        .execute();
      return rows.map((r) => ({ ...r, direct: r.direct === 1 }));
    },
    async addMembers(groupId: number, userIds: readonly number[], direct = true): Promise<void> {
      await forgetSyncKey(db, groupId);
      for (const part of chunks(userIds, 5000)) {
        await db
          .insertInto('memberships')
          .values(part.map((userId) => ({ groupId, userId, direct: direct ? 1 : 0 })))
          .onConflict((oc) => oc.columns(['groupId', 'userId']).doNothing())
          .execute();
      }
    },
    async removeMembers(groupId: number, userIds: readonly number[]): Promise<void> {
      await forgetSyncKey(db, groupId);
      for (const part of chunks(userIds, 5000)) {
        await db.deleteFrom('memberships').where('groupId', '=', groupId).where('userId', 'in', part).execute();
      }
    },
  };
}

export type GroupsRepo = ReturnType<typeof createGroupsRepo>;

/**
 * Members changed outside a directory sync: the group's entry key no longer vouches for its memberships, so the
 * next full sync compares them (migration 003).
 */
async function forgetSyncKey(db: Db, groupId: number): Promise<void> {
  await db.updateTable('groups').set({ syncKey: null }).where('id', '=', groupId).where('syncKey', 'is not', null).execute();
}

/** Users as stored. Conversion between rows (0/1, JSON text) and the domain User lives here only. */
import { sql } from 'kysely';
import type { User, UserSource } from '../domain/users.ts';
import type { Db } from './database.ts';
import type { NewUserRow, UserPatchRow, UserRow } from './schema.ts';
import { escapeLike } from './sql-errors.ts';

export function rowToUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    usernameAlias: r.usernameAlias,
    fullName: r.fullName,
    email: r.email,
    otherEmails: parseJson<string[]>(r.otherEmails, []),
    department: r.department,
    office: r.office,
    cardNumber: r.cardNumber,
    cardNumber2: r.cardNumber2,
    homeDir: r.homeDir,
    disabled: r.disabled === 1,
    disabledAt: r.disabledAt,
    disabledReason: r.disabledReason,
    source: r.source as UserSource,
    sourceName: r.sourceName,
    sourceId: r.sourceId,
    ldapDn: r.ldapDn,
    scimExternalId: r.scimExternalId,
    attributes: parseJson<Record<string, unknown>>(r.attributes, {}),
    hasPin: r.pinHash !== null,
    version: r.version,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export type UserSortKey = 'username' | 'fullName' | 'email' | 'department' | 'source' | 'createdAt' | 'balance';

export interface UserListQuery {
  search?: string | undefined;
  source?: UserSource | undefined;
  disabled?: boolean | undefined;
  groupId?: number | undefined;
  sort?: UserSortKey | undefined;
  order?: 'asc' | 'desc' | undefined;
  limit: number;
  offset: number;
}

export interface UserListItem extends User {
  balanceCents: number;
  restricted: boolean;
}

export function createUsersRepo(db: Db) {
  const base = () => db.selectFrom('users').selectAll('users');

  function filtered(q: Omit<UserListQuery, 'limit' | 'offset' | 'sort' | 'order'>) {
    let query = db.selectFrom('users').innerJoin('accounts', 'accounts.userId', 'users.id');
    const search = q.search?.trim();
    if (search) {
      // Prefix match on indexed columns keeps this fast at 100,000 users; substring on full name.
      const term = search.toLowerCase();
      const prefix = `${escapeLike(term)}%`;
      const anywhere = `%${escapeLike(term)}%`;
      query = query.where((eb) =>
        eb.or([
          eb('users.username', 'like', sql<string>`${prefix} escape '\\'`),
          eb(sql`lower(users.full_name)`, 'like', sql<string>`${anywhere} escape '\\'`),
          eb(sql`lower(users.email)`, 'like', sql<string>`${prefix} escape '\\'`),
          eb('users.cardNumber', '=', search),
        ]),
      );
    }
    if (q.source) query = query.where('users.source', '=', q.source);
    if (q.disabled !== undefined) query = query.where('users.disabled', '=', q.disabled ? 1 : 0);
    if (q.groupId !== undefined) {
      const gid = q.groupId;
      query = query.where('users.id', 'in', (eb) => eb.selectFrom('memberships').select('userId').where('groupId', '=', gid));
    }
    return query;
  }

  return {
    async findById(id: number): Promise<UserRow | undefined> {
      return base().where('id', '=', id).executeTakeFirst();
    },
    async findByUsername(username: string): Promise<UserRow | undefined> {
      return base().where('username', '=', username.toLowerCase()).executeTakeFirst();
    },
    /** Username or alias (the alias is a second accepted sign-in name). */
    async findByLogin(name: string): Promise<UserRow | undefined> {
      const n = name.toLowerCase();
      return (
        (await base().where('username', '=', n).executeTakeFirst()) ??
        (await base().where('usernameAlias', '=', n).executeTakeFirst())
      );
    },
    async findBySourceId(source: UserSource, sourceId: string): Promise<UserRow | undefined> {
      return base().where('source', '=', source).where('sourceId', '=', sourceId).executeTakeFirst();
    },
    async insert(row: NewUserRow): Promise<number> {
      const r = await db.insertInto('users').values(row).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    async update(id: number, patch: UserPatchRow): Promise<void> {
      await db
        .updateTable('users')
        .set({ ...patch, version: sql<number>`version + 1` })
        .where('id', '=', id)
        .execute();
    },
    async delete(id: number): Promise<boolean> {
      const r = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async count(q: Omit<UserListQuery, 'limit' | 'offset' | 'sort' | 'order'> = {}): Promise<number> {
      const r = await filtered(q).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async list(q: UserListQuery): Promise<UserListItem[]> {
      const order = q.order === 'desc' ? 'desc' : 'asc';
      const sortColumn = {
        username: 'users.username',
        fullName: 'users.fullName',
        email: 'users.email',
        department: 'users.department',
        source: 'users.source',
        createdAt: 'users.createdAt',
        balance: 'accounts.balanceCents',
      } as const;
      const col = sortColumn[q.sort ?? 'username'];
      const rows = await filtered(q)
        .selectAll('users')
        .select(['accounts.balanceCents', 'accounts.restricted'])
        .orderBy(col, order)
        .orderBy('users.id', order)
        .limit(q.limit)
        .offset(q.offset)
        .execute();
      return rows.map((r) => ({ ...rowToUser(r), balanceCents: r.balanceCents, restricted: r.restricted === 1 }));
    },
    async groupsOf(userId: number): Promise<Array<{ id: number; name: string; direct: boolean }>> {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('groups', 'groups.id', 'memberships.groupId')
        .select(['groups.id', 'groups.name', 'memberships.direct'])
        .where('memberships.userId', '=', userId)
        .orderBy('groups.nameKey')
        .execute();
      return rows.map((r) => ({ id: r.id, name: r.name, direct: r.direct === 1 }));
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;

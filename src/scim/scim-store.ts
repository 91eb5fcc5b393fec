/**
 * The SQL behind SCIM: list queries built from filter-sql.ts fragments, the reads of single resources and
 * members (through a Reader: see reader.ts), and the row writes of the use cases (on the transaction's Db).
 * Membership writes touch one row per member changed, whatever the size of the group. The statements of the
 * provisioning hot paths are raw `sql` templates: through Kysely's query builder they cost more to build than to run.
 */
import { sql, type CompiledQuery } from 'kysely';
import type { Db, Engine } from '../store/database.ts';
import { columnName } from '../store/schema.ts';
import { chunks } from '../store/sql-errors.ts';
import { USERNAME_COLUMN, type Sql } from './filter-sql.ts';
import { GROUP_COLUMNS, type MemberRow, type ScimGroupRow } from './group-resource.ts';
import type { Reader } from './reader.ts';
import { SCIM_DELETED, USER_COLUMNS, type ScimUserRow } from './user-resource.ts';

/** Users SCIM can see: all but those it deleted in scim.delete-mode=disable (RFC 7644 §3.6: gone means 404). */
// A literal, not a parameter: SQLite plans the constant better, and it is Spool's own constant.
const VISIBLE = sql`(users.disabled_reason IS NULL OR users.disabled_reason <> ${sql.lit(SCIM_DELETED)})`;

export interface ListQuery {
  where: Sql | undefined;
  /** The filter matches at most one resource (e.g. `userName eq`): read it without ORDER BY, LIMIT or a window. */
  single?: boolean;
  sort: Sql | undefined;
  descending: boolean;
  offset: number;
  limit: number;
}

/**
 * One page and the total. With a filter, one query: `count(*) OVER ()` gives the total alongside the rows
 * (Entra's `userName eq` lookups are a single indexed read). Without one, a separate count keeps the page
 * query an index walk instead of a full materialisation.
 */
async function page<T>(r: Reader, from: Sql, columns: string, extra: Sql, idCol: string, q: ListQuery): Promise<{ rows: T[]; total: number }> {
  const where = q.where ? sql`${extra} AND ${q.where}` : extra;
  if (q.limit === 0) return { rows: [], total: await countRows(r, from, where) };
  if (q.where && q.single) {
    // The hot path (Entra's `userName eq "…"`): one indexed read; paging of at most one row is done here.
    const rows = await r.all<T>(sql`SELECT ${sql.raw(columns)} FROM ${from} WHERE ${where}`);
    return { rows: q.offset === 0 && rows.length <= q.limit ? rows : rows.slice(q.offset, q.offset + q.limit), total: rows.length };
  }
  const dir = sql.raw(q.descending ? 'DESC' : 'ASC');
  // RFC 7644 §3.4.2.3: resources without a value sort last ascending, first descending.
  const order = q.sort ? sql`(${q.sort}) IS NULL ${dir}, ${q.sort} ${dir}, ${sql.raw(idCol)} ${dir}` : sql.raw(`${idCol} ASC`);
  if (q.where) {
    const rows = await r.all<T & { totalResults: number | string }>(sql`SELECT ${sql.raw(columns)}, count(*) OVER () AS "totalResults" FROM ${from} WHERE ${where} ORDER BY ${order} LIMIT ${q.limit} OFFSET ${q.offset}`);
    const first = rows[0];
    return { rows, total: first ? Number(first.totalResults) : q.offset > 0 ? await countRows(r, from, where) : 0 };
  }
  const rows = await r.all<T>(sql`SELECT ${sql.raw(columns)} FROM ${from} WHERE ${where} ORDER BY ${order} LIMIT ${q.limit} OFFSET ${q.offset}`);
  return { rows, total: await countRows(r, from, where) };
}

async function countRows(r: Reader, from: Sql, where: Sql): Promise<number> {
  return Number((await r.all<{ n: number | string }>(sql`SELECT count(*) AS "n" FROM ${from} WHERE ${where}`))[0]?.n ?? 0);
}

/** SELECT of the users holding a username, compiled once per reader (the SQL text is the same for every name). */
const byUsername = new WeakMap<Reader, CompiledQuery>();

/**
 * The page of `userName eq "…"` (filter-sql.ts userNameKey gives `username`): the same rows and total as
 * listUsers with that filter, without translating and compiling the filter for each of Entra's lookups.
 */
export async function listUsersNamed(r: Reader, username: string, window: { offset: number; limit: number }): Promise<{ rows: ScimUserRow[]; total: number }> {
  let query = byUsername.get(r);
  if (!query) byUsername.set(r, (query = r.compile(sql`SELECT ${sql.raw(USER_COLUMNS)} FROM users WHERE ${USERNAME_COLUMN} = ${''} AND ${VISIBLE}`)));
  const rows = await r.allCompiled<ScimUserRow>(query, [username]);
  return { rows: window.offset === 0 && rows.length <= window.limit ? rows : rows.slice(window.offset, window.offset + window.limit), total: rows.length };
}

export function listUsers(r: Reader, q: ListQuery): Promise<{ rows: ScimUserRow[]; total: number }> {
  return page<ScimUserRow>(r, sql`users`, USER_COLUMNS, VISIBLE, 'users.id', q);
}

export function listGroups(r: Reader, q: ListQuery): Promise<{ rows: ScimGroupRow[]; total: number }> {
  return page<ScimGroupRow>(r, sql`groups`, GROUP_COLUMNS, sql`(1=1)`, 'groups.id', q);
}

export async function findUser(r: Reader, id: number): Promise<ScimUserRow | undefined> {
  return (await r.all<ScimUserRow>(sql`SELECT ${sql.raw(USER_COLUMNS)} FROM users WHERE users.id = ${id} AND ${VISIBLE}`))[0];
}

export async function findGroup(r: Reader, id: number): Promise<ScimGroupRow | undefined> {
  return (await r.all<ScimGroupRow>(sql`SELECT ${sql.raw(GROUP_COLUMNS)} FROM groups WHERE groups.id = ${id}`))[0];
}

// RETURNING names the columns of the updated row without the table (SQLite requires it).
const BUMPED_GROUP = sql.raw(`${GROUP_COLUMNS.replace(/groups\./g, '')}, CASE WHEN initial_credit_cents IS NULL AND initial_restricted IS NULL THEN 0 ELSE 1 END AS "policy"`);

/**
 * Entra's member-only PATCH in one statement: a new version for the group, read back with what the write
 * needs (RETURNING). The caller checks If-Match against `version - 1` and rolls back on a mismatch.
 */
export async function bumpGroupForWrite(db: Db, id: number, now: string): Promise<(ScimGroupRow & { hasPolicy: boolean }) | undefined> {
  const r = await sql<ScimGroupRow & { policy: number }>`UPDATE groups SET version = version + 1, updated_at = ${now} WHERE id = ${id} RETURNING ${BUMPED_GROUP}`.execute(db);
  const row = r.rows[0];
  return row && { id: row.id, name: row.name, scimExternalId: row.scimExternalId, version: row.version, createdAt: row.createdAt, updatedAt: row.updatedAt, hasPolicy: Number(row.policy) === 1 };
}

/** A group for a write, with whether it sets an initial account policy (scim-initial.ts). */
export async function findGroupForWrite(db: Db, id: number): Promise<(ScimGroupRow & { hasPolicy: boolean }) | undefined> {
  const r = await sql<ScimGroupRow & { policy: number }>`SELECT ${sql.raw(GROUP_COLUMNS)}, CASE WHEN groups.initial_credit_cents IS NULL AND groups.initial_restricted IS NULL THEN 0 ELSE 1 END AS "policy" FROM groups WHERE groups.id = ${id}`.execute(db);
  const row = r.rows[0];
  if (!row) return undefined;
  const { policy, ...group } = row;
  return { ...group, hasPolicy: Number(policy) === 1 };
}

/** The user holding a (normalised) username, including SCIM-deleted ones (they are revived by a new POST). */
export async function findUserIdByUsername(db: Db, username: string): Promise<{ id: number; disabledReason: string | null } | undefined> {
  return db.selectFrom('users').select(['id', 'disabledReason']).where('username', '=', username).executeTakeFirst();
}

export async function groupsOfUsers(r: Reader, userIds: number[]): Promise<Map<number, Array<{ id: number; name: string }>>> {
  const out = new Map<number, Array<{ id: number; name: string }>>();
  for (const part of chunks(userIds, 5000)) {
    const rows = await r.all<{ userId: number; id: number; name: string }>(
      sql`SELECT m.user_id AS "userId", g.id AS "id", g.name AS "name" FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id IN (${sql.join(part)}) ORDER BY g.name_key`,
    );
    for (const row of rows) {
      const list = out.get(row.userId) ?? [];
      list.push({ id: row.id, name: row.name });
      out.set(row.userId, list);
    }
  }
  return out;
}

export async function membersOf(r: Reader, groupId: number): Promise<MemberRow[]> {
  return r.all<MemberRow>(
    sql`SELECT users.id AS "id", users.username AS "username", users.full_name AS "fullName" FROM memberships m JOIN users ON users.id = m.user_id WHERE m.group_id = ${groupId} AND ${VISIBLE} ORDER BY users.id`,
  );
}

export async function memberIdsOf(db: Db, groupId: number): Promise<number[]> {
  const rows = await db.selectFrom('memberships').select('userId').where('groupId', '=', groupId).execute();
  return rows.map((r) => r.userId);
}

/** Of `ids`, those naming users SCIM can see. */
export async function existingUserIds(db: Db, ids: readonly number[]): Promise<Set<number>> {
  const found = new Set<number>();
  for (const part of chunks(ids, 5000)) {
    const r = await sql<{ id: number }>`SELECT users.id AS "id" FROM users WHERE users.id IN (${sql.join(part)}) AND ${VISIBLE}`.execute(db);
    for (const row of r.rows) found.add(row.id);
  }
  return found;
}

/** Column values of a new SCIM user (camelCase keys, as in schema.ts). */
export type NewScimUser = Record<'username' | 'fullName' | 'otherEmails' | 'attributes' | 'source' | 'sourceName' | 'createdAt' | 'updatedAt', string> &
  Record<'email' | 'department' | 'office' | 'cardNumber' | 'scimExternalId' | 'disabledAt' | 'disabledReason', string | null> & { disabled: number };

/**
 * Inserts a user whose source_id is its own id, in ONE statement (this is Entra's provisioning hot path):
 * SQLite hands out AUTOINCREMENT ids as sqlite_sequence.seq + 1 under the write lock the INSERT holds;
 * PostgreSQL takes the identity's next value first. The id is checked against RETURNING all the same.
 */
export async function insertScimUser(db: Db, engine: Engine, row: NewScimUser): Promise<number> {
  const keys = Object.keys(row) as Array<keyof NewScimUser>;
  const cols = sql.raw(keys.map(columnName).join(', '));
  const values = sql.join(keys.map((k) => sql`${row[k]}`));
  const r =
    engine === 'postgres'
      ? await sql<{ id: number; sourceId: string }>`INSERT INTO users (id, ${cols}, source_id) SELECT n.id, ${values}, CAST(n.id AS text) FROM (SELECT nextval(pg_get_serial_sequence('users', 'id')) AS id) n RETURNING id AS "id", source_id AS "sourceId"`.execute(db)
      : await sql<{ id: number; sourceId: string }>`INSERT INTO users (${cols}, source_id) VALUES (${values}, CAST((SELECT COALESCE(MAX(seq), 0) + 1 FROM sqlite_sequence WHERE name = 'users') AS TEXT)) RETURNING id AS "id", source_id AS "sourceId"`.execute(db);
  const out = r.rows[0] as { id: number; sourceId: string };
  if (out.sourceId !== String(out.id)) await db.updateTable('users').set({ sourceId: String(out.id) }).where('id', '=', out.id).execute();
  return out.id;
}

/**
 * Adds the visible users among `userIds` to the group in one statement per chunk (validating and inserting
 * at once); returns the ids that were not members before. One row written per new member.
 */
export async function addVisibleMembers(db: Db, groupId: number, userIds: readonly number[]): Promise<number[]> {
  const added: number[] = [];
  for (const part of chunks(userIds, 5000)) {
    const r = await sql<{ userId: number }>`INSERT INTO memberships (group_id, user_id, direct) SELECT ${groupId}, users.id, 1 FROM users WHERE users.id IN (${sql.join(part)}) AND ${VISIBLE} ON CONFLICT (group_id, user_id) DO NOTHING RETURNING user_id AS "userId"`.execute(db);
    for (const row of r.rows) added.push(row.userId);
  }
  return added;
}

/** Adds memberships; returns the ids that were not members before (one row written per new member). */
export async function addMembers(db: Db, groupId: number, userIds: readonly number[]): Promise<number[]> {
  const added: number[] = [];
  for (const part of chunks(userIds, 5000)) {
    const rows = await db
      .insertInto('memberships')
      .values(part.map((userId) => ({ groupId, userId, direct: 1 })))
      .onConflict((oc) => oc.columns(['groupId', 'userId']).doNothing())
      .returning('userId')
      .execute();
    for (const r of rows) added.push(r.userId);
  }
  return added;
}

export async function removeMembers(db: Db, groupId: number, userIds: readonly number[]): Promise<number> {
  let n = 0;
  for (const part of chunks(userIds, 5000)) {
    const r = await sql`DELETE FROM memberships WHERE group_id = ${groupId} AND user_id IN (${sql.join(part)})`.execute(db);
    n += Number(r.numAffectedRows ?? 0);
  }
  return n;
}

/** New version and modification time for a group whose members changed (its ETag must change, RFC 7644 §3.14). */
export async function touchGroup(db: Db, groupId: number, now: string): Promise<void> {
  await db.updateTable('groups').set({ updatedAt: now, version: sql<number>`version + 1` }).where('id', '=', groupId).execute();
}

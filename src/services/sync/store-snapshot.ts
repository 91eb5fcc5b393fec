/**
 * Loads what Spool holds, compactly, for planSync: users as a 53-bit fingerprint plus identity fields (read in
 * keyset pages so the driver never materialises 100,000 full rows at once), for a full sync only those whose
 * stored digest does not vouch for them (loadOwnDigests); groups; and each synced group's members as one
 * aggregated text per group (group_concat / string_agg) instead of 650,000 row objects.
 */
import { sql } from 'kysely';
import { detailsFingerprint } from '../../domain/sync/fingerprint.ts';
import type { SourceName, StoreGroup, StoreMembers, StoreUser } from '../../domain/sync/types.ts';
import type { Db, Engine } from '../../store/database.ts';
import type { UserRow } from '../../store/schema.ts';
import { rawRows } from '../../store/raw-rows.ts';
import { chunks } from '../../store/sql-errors.ts';
import { DigestIndex } from './digest-index.ts';
import { dnKey } from './dn-key.ts';
import type { StoreResolver } from './read-directory.ts';

/** The columns of USER_SELECT (below), as fromRaw names them. */
type Row = Pick<UserRow,
  | 'id' | 'username' | 'usernameAlias' | 'source' | 'sourceName' | 'sourceId' | 'ldapDn' | 'fullName' | 'email' | 'otherEmails'
  | 'department' | 'office' | 'homeDir' | 'cardNumber' | 'cardNumber2' | 'pinHash' | 'disabled' | 'disabledReason' | 'disabledAt' | 'syncDigest'>;

function parseList(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/** The few values every row repeats, as shared constants (100,000 copies of "ldap" would be 100,000 strings). */
const COMMON = new Map<string, string>(['ldap', 'internal', 'scim', 'primary', 'secondary', 'source', 'admin', 'missing-from-source'].map((v) => [v, v]));
const common = (v: string | null): string | null => (v === null ? null : COMMON.get(v) ?? v);

export function toStoreUser(r: Row): StoreUser {
  return {
    id: r.id,
    username: r.username,
    usernameAlias: r.usernameAlias,
    source: common(r.source)!,
    sourceName: common(r.sourceName),
    sourceId: r.sourceId,
    dn: r.ldapDn,
    fingerprint: detailsFingerprint({ fullName: r.fullName, email: r.email, otherEmails: r.otherEmails === '[]' ? [] : parseList(r.otherEmails), department: r.department, office: r.office, homeDir: r.homeDir }),
    cardNumber: r.cardNumber,
    cardNumber2: r.cardNumber2,
    pinHash: r.pinHash,
    disabled: r.disabled === 1,
    disabledReason: common(r.disabledReason),
    disabledAt: r.disabledAt,
    digest: r.syncDigest === null ? null : Number(r.syncDigest),
  };
}

const ownSourceName = (sourceName: SourceName) => sql<boolean>`coalesce(source_name, 'primary') = ${sourceName}`;

const USER_SELECT = `select id, username, username_alias, source, source_name, source_id, ldap_dn, full_name, email, other_emails, department, office,
  home_dir, card_number, card_number2, disabled, disabled_reason, disabled_at, pin_hash, sync_digest from users`;

/** A USER_SELECT row as an array of values (store/raw-rows.ts) → StoreUser. */
function fromRaw(r: unknown[]): StoreUser {
  return toStoreUser({
    id: Number(r[0]), username: r[1] as string, usernameAlias: r[2] as string | null, source: r[3] as string, sourceName: r[4] as string | null,
    sourceId: r[5] as string | null, ldapDn: r[6] as string | null, fullName: r[7] as string, email: r[8] as string | null, otherEmails: r[9] as string,
    department: r[10] as string | null, office: r[11] as string | null, homeDir: r[12] as string | null, cardNumber: r[13] as string | null,
    cardNumber2: r[14] as string | null, disabled: Number(r[15]), disabledReason: r[16] as string | null, disabledAt: r[17] as string | null,
    pinHash: r[18] as string | null, syncDigest: r[19] === null ? null : Number(r[19]),
  });
}

/**
 * Users matching `where` (SQL over the users table with "?" parameters), in pages of 20,000 by id, as arrays of
 * values (store/raw-rows.ts): 100,000 rows would otherwise each be built as an object keyed by column name just
 * to be read once.
 */
async function loadUsersWhere(db: Db, where: string, params: readonly unknown[]): Promise<StoreUser[]> {
  const out: StoreUser[] = [];
  let after = 0;
  while (true) {
    const rows = await rawRows(db, `${USER_SELECT} where id > ? and (${where}) order by id limit 20000`, [after, ...params]);
    for (const r of rows) out.push(fromRaw(r));
    if (rows.length < 20_000) return out;
    after = Number(rows[rows.length - 1]![0]);
  }
}

/** Users whose `column` is one of `values` (and that match `where`, SQL with "?" parameters), 5,000 values a query. */
async function loadUsersIn(db: Db, where: string, column: string, values: readonly unknown[], params: readonly unknown[] = []): Promise<StoreUser[]> {
  const out: StoreUser[] = [];
  for (const part of chunks(values, 5000)) {
    for (const r of await rawRows(db, `${USER_SELECT} where (${where}) and ${column} in (${part.map(() => '?').join(',')})`, [...params, ...part])) out.push(fromRaw(r));
  }
  return out;
}

/** Users by id (the rows of a full sync whose digest did not vouch for them). */
export const loadUsersById = (db: Db, ids: readonly number[]): Promise<StoreUser[]> => loadUsersIn(db, '1 = 1', 'id', ids);

const OTHER_SOURCES = "source <> 'ldap' or coalesce(source_name, 'primary') <> ?";

/**
 * The users not of this source (their names are taken, and a user may move between sources): all of them, or those
 * holding one of `usernames`, looked up in the username index. The plan meets other sources' users only through an
 * unrecognised entry's username, and a full sync of an unchanged directory still has a few such entries (the
 * disabled ones it does not import, say): reading the whole table for them cost about 25 ms at 100,000 users.
 */
export const loadOtherUsers = (db: Db, sourceName: SourceName, usernames?: readonly string[]): Promise<StoreUser[]> =>
  usernames ? loadUsersIn(db, OTHER_SOURCES, 'username', usernames, [sourceName]) : loadUsersWhere(db, OTHER_SOURCES, [sourceName]);

/**
 * The stored digests of this source's users, as digest → store id. A full sync looks up each entry's digest (which
 * covers its stable id) here and loads whole only the rows not found. Read as one aggregated text, like the
 * memberships: 100,000 rows of three values cost 250 ms as row arrays and 50 ms this way. Rows without a digest
 * (or without a stable id) are listed apart, to be loaded whole.
 */
export interface OwnDigests {
  byDigest: DigestIndex;
  undigested: number[];
}

export async function loadOwnDigests(db: Db, engine: Engine, sourceName: SourceName): Promise<OwnDigests> {
  // One pass over the rows (two queries cost 40 ms more at 100,000 users): digested rows as "digest:id", the others as ids.
  const usable = sql`sync_digest is not null and source_id is not null`;
  const [pair, plain] = engine === 'postgres'
    ? [sql<string>`string_agg(case when ${usable} then sync_digest::text || ':' || id::text end, ',')`, sql<string>`string_agg(case when ${usable} then null else id::text end, ',')`]
    : [sql<string>`group_concat(case when ${usable} then sync_digest || ':' || id end, ',')`, sql<string>`group_concat(case when ${usable} then null else id end, ',')`];
  const agg = await sql<{ pairs: string | null; rest: string | null; n: number }>`
    select ${pair} as pairs, ${plain} as rest, count(*) as n from users where source = 'ldap' and ${ownSourceName(sourceName)}`.execute(db);
  const byDigest = new DigestIndex(Number(agg.rows[0]?.n ?? 0));
  const undigested = agg.rows[0]?.rest ? agg.rows[0].rest.split(',').map(Number) : [];
  const text = agg.rows[0]?.pairs ?? '';
  let n = 0;
  let digest = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 44;
    if (c === 58) {
      digest = n;
      n = 0;
    } else if (c === 44) {
      // Two rows with one digest (a 2^-53 coincidence): the second is compared the slow way.
      if (i > 0 && !byDigest.add(digest, n)) undigested.push(n);
      n = 0;
    } else n = n * 10 + (c - 48);
  }
  return { byDigest, undigested };
}

/**
 * The own digests a full sync needs before it reads the directory, loaded by the main thread while the sync
 * worker starts (run-in-worker.ts), which meanwhile loads the groups itself: plain data, the digest table's
 * buffers transferable.
 */
export interface PreloadedStore {
  digests: { keys: Float64Array; ids: Int32Array; undigested: number[] };
  /** loadGroups, read by the main thread too: the worker, once started, connects instead (5,005 groups: 26 ms). */
  groups: StoreGroup[];
}

export async function preloadStore(db: Db, engine: Engine, sourceName: SourceName): Promise<PreloadedStore> {
  const own = await loadOwnDigests(db, engine, sourceName);
  return { digests: { ...own.byDigest.arrays(), undigested: own.undigested }, groups: await loadGroups(db) };
}

export function ownDigestsOf(p: PreloadedStore): OwnDigests {
  return { byDigest: new DigestIndex(0, p.digests), undigested: p.digests.undigested };
}

/**
 * Users an incremental plan can touch: by stable id (this source) or by username. A name that a row found by stable
 * id already holds is not looked up again: usernames are unique, so no other row can hold it (in a typical
 * incremental run that is every name, and the second query, with its cold index pages, is skipped).
 */
export async function loadUsersFor(db: Db, sourceIds: readonly string[], usernames: readonly string[]): Promise<StoreUser[]> {
  const byId = new Map<number, StoreUser>();
  const held = new Set<string>();
  for (const u of await loadUsersIn(db, "source = 'ldap'", 'source_id', sourceIds)) {
    byId.set(u.id, u);
    held.add(u.username);
  }
  const others = usernames.filter((n) => !held.has(n));
  if (others.length) for (const u of await loadUsersIn(db, '1 = 1', 'username', others)) byId.set(u.id, u);
  return [...byId.values()];
}

export async function loadGroups(db: Db): Promise<StoreGroup[]> {
  const rows = await db.selectFrom('groups').select(['id', 'name', 'source', 'sourceName', 'sourceId', 'ldapDn', 'attributes', 'initialCreditCents', 'initialRestricted', 'syncKey']).execute();
  return rows.map((g) => ({
    id: g.id, name: g.name, source: g.source, sourceName: g.sourceName, sourceId: g.sourceId, dn: g.ldapDn, changed: g.source === 'ldap' ? ldapChanged(g.attributes) : null,
    key: g.syncKey === null ? null : Number(g.syncKey),
    initialCreditCents: g.initialCreditCents, initialRestricted: g.initialRestricted === null ? null : g.initialRestricted === 1,
  }));
}

/**
 * Change stamps of these groups of this source as last synced (stable id → stamp): what an incremental sync asks
 * about the groups the directory reports as changed, before it decides to read them all.
 */
export async function loadGroupStamps(db: Db, sourceName: SourceName, sourceIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks(sourceIds, 5000)) {
    const rows = await rawRows(db, `select source_id, attributes from groups where source = 'ldap' and coalesce(source_name, 'primary') = ? and source_id in (${part.map(() => '?').join(',')})`, [sourceName, ...part]);
    for (const [sid, attributes] of rows) {
      const stamp = ldapChanged(String(attributes));
      if (stamp) out.set(String(sid), stamp);
    }
  }
  return out;
}

function ldapChanged(attributes: string): string | null {
  if (!attributes.includes('ldapChanged')) return null;
  try {
    const v = (JSON.parse(attributes) as { ldapChanged?: unknown }).ldapChanged;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/**
 * "25,26,15" (each value user id * 2 + direct flag) → parallel arrays, without creating a string per member. One
 * number per member rather than "id:flag": the aggregate costs SQLite 170 ms instead of 250 at 600,000 members.
 */
export function parseMemberList(text: string): StoreMembers {
  let count = text.length ? 1 : 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 44) count++;
  const userIds = new Int32Array(count);
  const direct = new Uint8Array(count);
  let k = 0;
  let n = 0;
  for (let i = 0; i <= text.length && count; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 44;
    if (c === 44) {
      userIds[k] = Math.floor(n / 2);
      direct[k++] = n % 2;
      n = 0;
    } else n = n * 10 + (c - 48);
  }
  return { userIds, direct };
}

/** Members of this source's groups, one aggregated row per group. */
export async function loadMemberships(db: Db, engine: Engine, sourceName: SourceName): Promise<Map<number, StoreMembers>> {
  const agg = engine === 'postgres'
    ? sql<string>`string_agg((m.user_id * 2 + m.direct)::text, ',')`
    : sql<string>`group_concat(m.user_id * 2 + m.direct, ',')`;
  // "group_id in (subquery)" rather than a join: SQLite then walks the memberships' primary key in group order
  // and aggregates as it goes; the join visited groups by their source index and sorted all 600,000 rows in a
  // temporary B-tree first (345 ms against 208 ms at the bench's 600,000 memberships).
  const r = await sql<{ gid: number; members: string }>`
    select m.group_id as gid, ${agg} as members
    from memberships m
    where m.group_id in (select id from groups where source = 'ldap' and ${ownSourceName(sourceName)})
    group by m.group_id`.execute(db);
  const out = new Map<number, StoreMembers>();
  for (const row of r.rows) out.set(Number(row.gid), parseMemberList(row.members ?? ''));
  return out;
}

/** Member lookups from users already loaded (full sync); the DN index is built on the first miss only. */
export function resolverFromUsers(users: readonly StoreUser[], sourceName: SourceName): StoreResolver {
  let byDn: Map<string, number> | undefined;
  let byName: Map<string, number> | undefined;
  const own = users.filter((u) => u.source === 'ldap' && (u.sourceName ?? 'primary') === sourceName);
  return {
    byDnKey(key) {
      byDn ??= new Map(own.filter((u) => u.dn).map((u) => [dnKey(u.dn!), u.id]));
      return byDn.get(key);
    },
    byUsername(name) {
      byName ??= new Map(own.map((u) => [u.username, u.id]));
      return byName.get(name);
    },
  };
}

/** Member lookups for an incremental group pass: this source's users' DNs and names, read once. */
export async function resolverFromDb(db: Db, sourceName: SourceName): Promise<StoreResolver> {
  const rows = await db.selectFrom('users').select(['id', 'username', 'ldapDn']).where('source', '=', 'ldap').where(ownSourceName(sourceName)).execute();
  const byDn = new Map<string, number>();
  const byName = new Map<string, number>();
  for (const r of rows) {
    if (r.ldapDn) byDn.set(dnKey(r.ldapDn), r.id);
    byName.set(r.username, r.id);
  }
  return { byDnKey: (k) => byDn.get(k), byUsername: (n) => byName.get(n) };
}

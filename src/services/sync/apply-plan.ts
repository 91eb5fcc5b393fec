/**
 * Applies a SyncPlan in batches, each batch one database transaction: a user is never created without its
 * account, a rename never leaves a temporary name behind. Every write is idempotent against a re-computed plan
 * (memberships insert with ON CONFLICT DO NOTHING, updates set absolute values), so a sync interrupted between
 * batches leaves a consistent store and the next sync completes the work.
 */
import { writeSync } from 'node:fs';
import { sql } from 'kysely';
import { SpoolError } from '../../errors.ts';
import { initialAccountFor, type GroupAccountPolicy, type InitialAccount } from '../../domain/groups.ts';
import { changedDetailFields, DETAIL_FIELDS, type FingerprintFields } from '../../domain/sync/fingerprint.ts';
import type { SourceName, StoreGroup, SyncPlan, UserAdd, UserUpdate } from '../../domain/sync/types.ts';
import type { Db, Engine } from '../../store/database.ts';
import type { SyncLogLine } from '../../store/sync-runs-repo.ts';
import { copyRows } from '../../store/pg-copy.ts';
import { sqliteWriter } from '../../store/raw-rows.ts';
import { chunks } from '../../store/sql-errors.ts';
import { deleteWhereIn, insertMany, reserveIds, setColumnById, updateById, updateByIdSql, updateManyById, updateWhereIn } from './bulk.ts';

export interface ApplyContext {
  db: Db;
  engine: Engine;
  now: string;
  actor: string;
  sourceName: SourceName;
  defaults: InitialAccount;
  storeGroups: readonly StoreGroup[];
  log: (line: SyncLogLine) => void;
  onProgress?: (done: number, total: number) => void;
  /** Users per transaction (default 25,000). */
  batchSize?: number;
  /** Fewest added memberships loaded in bulk (default 50,000; see bulkLoadMemberships). */
  bulkMemberships?: number;
  /**
   * Nothing else uses `db`'s connection while the plan is applied (the sync worker's own). SQLite's bulk load
   * needs it: it switches foreign keys off on the connection around its transaction.
   */
  exclusiveConnection?: boolean;
  /**
   * Ids of the plan's new users (at -ref - 1) when they were written already, with their accounts (writeNewUsers,
   * by a first sync while its groups were read: writesUsersEarly in run-source.ts).
   */
  newUserIds?: readonly number[] | undefined;
  /**
   * Called once many new users (checkpointAfterUsers, default 10,000) are committed, before the memberships are
   * written: this sync will not write those pages again, so another connection may checkpoint them meanwhile
   * (sync-service.ts).
   */
  onUsersWritten?: (() => void) | undefined;
  checkpointAfterUsers?: number | undefined;
}

/** Users per transaction by default (see applyPlan). */
export const USER_BATCH = 25_000;

/** Per-kind cap on detail lines in the sync log; the rest is summarised. */
export const LOG_DETAIL_CAP = 1000;

export function createCappedLog(log: (l: SyncLogLine) => void) {
  const counts = new Map<string, number>();
  const take = (kind: string): boolean => {
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    return n <= LOG_DETAIL_CAP;
  };
  return {
    line(kind: string, l: SyncLogLine): void {
      if (take(kind)) log(l);
    },
    /** Counts one line of `kind`; true while under the cap (for lines only worth building then). */
    take,
    flush(): void {
      for (const [kind, n] of counts) if (n > LOG_DETAIL_CAP) log({ level: 'info', message: `… and ${n - LOG_DETAIL_CAP} more: ${kind} (${n} in all).` });
      counts.clear();
    },
  };
}

const tx = <T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> => db.transaction().execute(fn);

export function planSize(p: SyncPlan): number {
  return p.userAdds.length + p.userUpdates.length + p.userDisables.length + p.userDeletes.length + p.groupAdds.length + p.groupUpdates.length + p.groupRemoves.length
    + p.memberships.reduce((a, m) => a + m.add.length + m.remove.length + m.setDirect.length, 0);
}

export async function applyPlan(plan: SyncPlan, ctx: ApplyContext): Promise<void> {
  const { db, engine, now } = ctx;
  // Transactions are large on purpose: every commit writes each page it touched to the WAL, and a batch of users
  // spread over seven indexes touches thousands of pages. A first sync of 100,000 users made 138,500 page writes
  // and 107 fsyncs at 2,000 users per transaction, 82,400 and 23 at 25,000.
  const batch = ctx.batchSize ?? USER_BATCH;
  const capped = createCappedLog(ctx.log);
  const total = planSize(plan);
  let done = 0;
  const progress = (n: number): void => {
    done += n;
    ctx.onProgress?.(done, total);
  };

  // 0. Before anything an incremental sync changes (so that an interruption cannot leave them behind).
  if (plan.forgetGroupKeys) {
    await sql`update groups set sync_key = null where source = 'ldap' and coalesce(source_name, 'primary') = ${ctx.sourceName} and sync_key is not null`.execute(db);
  }

  // SPOOL_SYNC_DEBUG=1: the time of each step on stderr, for tuning big syncs.
  const step = stepTimer();

  // 1. Groups first: memberships need their ids.
  const groupId = new Map<number, number>();
  const writer = engine === 'sqlite' ? sqliteWriter(db) : undefined;
  const groupColumns = ['name', 'name_key', 'source', 'source_name', 'source_id', 'ldap_dn', 'attributes', 'created_at', 'updated_at'];
  const groupRow = (g: SyncPlan['groupAdds'][number]): unknown[] => [g.name, g.name.trim().toLowerCase(), 'ldap', ctx.sourceName, g.sourceId, g.dn, groupAttributes(g.changed), now, now];
  for (const part of chunks(plan.groupAdds, batch)) {
    await tx(db, async (trx) => {
      if (writer) {
        // One prepared one-row statement per group (store/raw-rows.ts), inside this transaction.
        const text = `insert into groups (${groupColumns.join(',')}) values (${groupColumns.map(() => '?').join(',')})`;
        for (const g of part) groupId.set(g.ref, writer.run(text, groupRow(g)));
        return;
      }
      const rows = await insertMany(trx, engine, 'groups', groupColumns, part.map(groupRow), { returning: ['id', 'name_key'] });
      const byKey = new Map(rows.map((r) => [String(r.nameKey), Number(r.id)]));
      for (const g of part) groupId.set(g.ref, byKey.get(g.name.trim().toLowerCase())!);
    });
    for (const g of part) capped.line('groups added', { level: 'info', message: `Added group "${g.name}".`, entry: g.dn ?? g.name });
    progress(part.length);
  }
  if (plan.groupUpdates.length) {
    await tx(db, async (trx) => {
      // Two steps so that renames that swap or chain names never collide on the unique name.
      for (const g of plan.groupUpdates) if (g.changes.includes('name')) await trx.updateTable('groups').set({ nameKey: `~sync~${g.id}` }).where('id', '=', g.id).execute();
      for (const g of plan.groupUpdates) {
        if (g.changes.length === 1 && g.changes[0] === 'stamp') {
          await trx.updateTable('groups').set({ attributes: groupAttributes(g.changed) }).where('id', '=', g.id).execute();
          continue;
        }
        await trx.updateTable('groups').set({
          name: g.name, nameKey: g.name.trim().toLowerCase(), ldapDn: g.dn, source: 'ldap', sourceName: ctx.sourceName, sourceId: g.sourceId,
          attributes: groupAttributes(g.changed), updatedAt: now, version: sql<number>`version + 1`,
        }).where('id', '=', g.id).execute();
      }
    });
    for (const g of plan.groupUpdates) {
      if (g.changes[0] === 'stamp') continue;
      capped.line('groups updated', { level: 'info', message: g.changes.includes('name') ? `Renamed group "${g.from}" to "${g.name}".` : `Updated group "${g.name}" (${g.changes.join(', ')}).`, entry: g.dn ?? g.name });
    }
    progress(plan.groupUpdates.length);
  }

  step('groups');
  // 2. Existing users: updates (renames through temporary names), then users missing from the source.
  for (const part of chunks(plan.userUpdates, batch)) {
    const before = await currentDetails(db, part.filter((u) => u.writeDetails).map((u) => u.id));
    await tx(db, async (trx) => {
      for (const u of part) if (u.rename) await updateById(trx, engine, 'users', { username: `~sync~${u.id}` }, u.id);
      if (engine === 'postgres') await updateManyById(trx, 'users', part.map((u) => ({ id: u.id, set: updateSet(u, ctx, before.get(u.id)) })), 'version');
      else if (writer) {
        // Through the connection directly (store/raw-rows.ts), inside this transaction.
        for (const u of part) {
          const { text, params } = updateByIdSql(engine, 'users', updateSet(u, ctx, before.get(u.id)), u.id, 'version');
          writer.run(text, params);
        }
      } else for (const u of part) await updateById(trx, engine, 'users', updateSet(u, ctx, before.get(u.id)), u.id, 'version');
    });
    for (const u of part) logUpdate(u, before.get(u.id), capped);
    progress(part.length);
  }
  // Bookkeeping for unchanged users (first sync after an upgrade, rows another writer touched): no version bump.
  for (const part of chunks(plan.digestRefresh, 10_000)) await tx(db, (trx) => setColumnById(trx, engine, 'users', 'sync_digest', part, 'bigint'));
  for (const part of chunks(plan.userDisables, 10_000)) {
    await tx(db, (trx) => updateWhereIn(trx, engine, 'users', { disabled: 1, disabled_at: now, disabled_reason: 'missing-from-source', updated_at: now }, 'id', part.map((d) => d.id)));
    for (const d of part) capped.line('users disabled', { level: 'info', message: `Disabled user "${d.username}": no longer in the directory (balance and history kept).`, entry: d.username });
    progress(part.length);
  }

  step('user updates');
  // 3. New users with their accounts, initial credit decided by the groups they join.
  /** Store id of each new user, at -ref - 1 (refs of new users run -1, -2, ...). */
  const userId: number[] = [];
  const policies = new Map<number, GroupAccountPolicy>();
  for (const g of ctx.storeGroups) {
    if (g.initialCreditCents !== null || g.initialRestricted !== null) policies.set(g.id, { initialCreditCents: g.initialCreditCents, initialRestricted: g.initialRestricted });
  }
  const policiesOf = new Map<number, GroupAccountPolicy[]>();
  if (policies.size) {
    for (const m of plan.memberships) {
      const p = m.group > 0 ? policies.get(m.group) : undefined;
      if (!p) continue;
      for (const u of m.add) if (u < 0) (policiesOf.get(u) ?? policiesOf.set(u, []).get(u)!).push(p);
    }
  }
  const preWritten = ctx.newUserIds;
  const newIds = preWritten ?? await writeNewUsers(plan.userAdds, ctx, batch, (ref) => initialAccountFor(policiesOf.get(ref) ?? [], ctx.defaults), progress);
  if (preWritten) progress(plan.userAdds.length);
  for (const a of plan.userAdds) {
    userId[-a.ref - 1] = newIds[-a.ref - 1]!;
    // Built only under the cap: a first sync's 100,000 lines (and strings) cost 50 ms to throw away.
    if (capped.take('users added')) ctx.log({ level: 'info', message: `Added user "${a.user.username}"${a.user.disabled ? ' (disabled in the directory)' : ''}.`, entry: a.user.dn ?? a.user.username });
  }

  step('new users');
  if (!preWritten && plan.userAdds.length >= (ctx.checkpointAfterUsers ?? 10_000)) ctx.onUsersWritten?.();
  // 4. Memberships, about ten user batches' worth (250,000 by default) per transaction, or all in one when they
  // are loaded in bulk (bulkLoadMemberships), written at the same pace. Added pairs of all groups go into one
  // insertMany per write (full-size statements instead of a short one per group).
  const gid = (ref: number): number | undefined => (ref > 0 ? ref : groupId.get(ref));
  const uid = (ref: number): number | undefined => (ref > 0 ? ref : userId[-ref - 1]);
  let pending: Array<(trx: Db) => Promise<void>> = [];
  let adds: unknown[][] = [];
  let pendingSize = 0;
  const write = async (trx: Db): Promise<void> => {
    const jobs = pending;
    const rows = adds;
    pending = [];
    adds = [];
    // PostgreSQL: COPY, with ON CONFLICT's safety only if a pair turns out to be there already (bulk.ts).
    if (rows.length) await insertMany(trx, engine, 'memberships', ['group_id', 'user_id', 'direct'], rows, { ignoreConflicts: true, copyInTransaction: true });
    for (const j of jobs) await j(trx);
    progress(pendingSize);
    pendingSize = 0;
  };
  const bulk = (engine === 'postgres' || ctx.exclusiveConnection === true) && await bulkLoadable(db, plan.memberships.reduce((a, m) => a + m.add.length, 0), ctx.bulkMemberships ?? BULK_MEMBERSHIPS);
  const written = { users: new DistinctIds(), groups: new DistinctIds() };
  /** Queues the changes of one group; `full` is called when a transaction's worth is queued. */
  const queue = async (m: SyncPlan['memberships'][number], full: () => Promise<void>): Promise<void> => {
    const g = gid(m.group);
    if (g === undefined) return;
    const track = bulk && engine === 'sqlite';
    if (track && m.add.length) written.groups.add(g);
    // SQLite's bulk load: a group's new members as one JSON array per direct/nested flag, unpacked by SQLite
    // (json_each), through the connection directly. 600,000 memberships as rows of three values, 256 rows per
    // statement, cost 600,000 small arrays and 2,300 statements through Kysely (bare better-sqlite3, the rows
    // prepared beforehand: 194 ms to insert them, against 131-138 ms as 5,005 JSON arrays).
    const asJson = track && writer !== undefined;
    const direct: number[] = [];
    const nested: number[] = [];
    for (let k = 0; k < m.add.length; k++) {
      const id = uid(m.add[k]!);
      if (id === undefined) continue;
      const d = m.addDirect[k] ?? 1;
      if (asJson) (d === 1 ? direct : nested).push(id);
      else adds.push([g, id, d]);
      if (track) written.users.add(id);
    }
    if (direct.length) writer!.run(INSERT_MEMBERS, [g, 1, JSON.stringify(direct)]);
    if (nested.length) writer!.run(INSERT_MEMBERS, [g, 0, JSON.stringify(nested)]);
    if (m.remove.length) pending.push((trx) => deleteWhereIn(trx, engine, 'memberships', 'user_id', m.remove, { column: 'group_id', value: g }));
    for (const d of [0, 1]) {
      const ids = m.setDirect.filter(([, v]) => v === d).map(([id]) => id);
      if (ids.length) pending.push((trx) => updateWhereIn(trx, engine, 'memberships', { direct: d }, 'user_id', ids, { column: 'group_id', value: g }));
    }
    pendingSize += m.add.length + m.remove.length + m.setDirect.length;
    const parts = [m.add.length ? `${m.add.length} added` : '', m.remove.length ? `${m.remove.length} removed` : '', m.setDirect.length ? `${m.setDirect.length} now ${m.setDirect.length === 1 ? 'is' : 'are'} direct/nested` : ''].filter(Boolean);
    capped.line('groups with membership changes', { level: 'info', message: `Group "${m.groupName}": members ${parts.join(', ')}.`, entry: m.groupName });
    if (pendingSize >= batch * 10) await full();
  };
  if (bulk) {
    await bulkLoadMemberships(db, engine, written, async (trx) => {
      for (const m of plan.memberships) await queue(m, () => write(trx));
      await write(trx);
    });
  } else {
    for (const m of plan.memberships) await queue(m, () => tx(db, write));
    if (pending.length || adds.length) await tx(db, write);
  }

  step('memberships');
  // 5. Deletions last: users missing for longer than the grace period, and groups gone from the directory.
  for (const part of chunks(plan.userDeletes, 10_000)) {
    await tx(db, (trx) => deleteWhereIn(trx, engine, 'users', 'id', part.map((d) => d.id)));
    for (const d of part) capped.line('users deleted', { level: 'warn', message: `Deleted user "${d.username}": missing from the directory for longer than sync.delete-after-days.`, entry: d.username });
    progress(part.length);
  }
  if (plan.groupRemoves.length) {
    await tx(db, (trx) => deleteWhereIn(trx, engine, 'groups', 'id', plan.groupRemoves.map((g) => g.id)));
    for (const g of plan.groupRemoves) capped.line('groups removed', { level: 'info', message: `Removed group "${g.name}": no longer in the directory.`, entry: g.name });
    progress(plan.groupRemoves.length);
  }

  step('deletions');
  // 6. Group entry keys, once every membership is in (migration 003): a sync interrupted before this point leaves
  // the old keys, which no longer match, so the next sync compares memberships in full.
  const keys = plan.groupKeys.flatMap(([ref, key]): Array<[number, number | null]> => {
    const id = gid(ref);
    return id === undefined ? [] : [[id, key]];
  });
  for (const part of chunks(keys, 10_000)) {
    await tx(db, async (trx) => {
      // SQLite: a one-row UPDATE per group through the connection (setColumnById's CASE of 500 values is scanned
      // for every row it updates: 5,005 groups took 20-30 ms).
      if (writer) for (const [id, key] of part) writer.run('update groups set sync_key = ? where id = ?', [key, id]);
      else await setColumnById(trx, engine, 'groups', 'sync_key', part, 'bigint');
    });
  }
  step('group keys');
  capped.flush();
}

/**
 * New users with their accounts (step 3 of applyPlan), `batch` per transaction: a user is never created without its
 * account. Returns their ids, at -ref - 1. A first sync may write them before its plan is whole (writesUsersEarly
 * in run-source.ts).
 */
export async function writeNewUsers(
  adds: readonly UserAdd[], ctx: Pick<ApplyContext, 'db' | 'engine' | 'now' | 'actor' | 'sourceName' | 'exclusiveConnection'>, batch: number, accountOf: (ref: number) => InitialAccount,
  onBatch?: (written: number) => void,
): Promise<number[]> {
  const { engine, now } = ctx;
  const userId: number[] = [];
  const columns = ['username', 'username_alias', 'full_name', 'email', 'other_emails', 'department', 'office', 'card_number', 'card_number2', 'home_dir', 'disabled', 'disabled_at', 'disabled_reason', 'source', 'source_name', 'source_id', 'ldap_dn', 'attributes', 'created_at', 'updated_at', 'pin_hash', 'sync_digest'];
  const writer = engine === 'sqlite' ? sqliteWriter(ctx.db) : undefined;
  const oneRow = `insert into users (${columns.join(',')}) values (${columns.map(() => '?').join(',')})`;
  // Many users: one transaction that drops the users' indexes, inserts, and builds them again (sorting each index's
  // keys once instead of 100,000 inserts into each of seven B-trees). An interrupted load leaves no user behind (the
  // next sync adds them all); a unique index that cannot be built (two users with one name, which planning rules
  // out) fails the whole load. SQLite only on a connection of its own. PostgreSQL also drops the accounts' foreign
  // key and adds it again, checking all accounts in one join: row by row, each account locked its user's row (100,000
  // accounts: 0.45 s against 0.1 s). There, other connections wait to read users and accounts until the transaction
  // ends (about a second at 100,000 users), which a first sync of that size can afford.
  const reindex = adds.length >= reindexUsers() && (engine === 'postgres' || (writer !== undefined && ctx.exclusiveConnection === true));
  for (const part of reindex ? [adds] : chunks(adds, batch)) {
    await tx(ctx.db, async (trx) => {
      const indexes = reindex ? await dropIndexes(trx, engine, 'users') : [];
      const restoreAccountKeys = reindex && engine === 'postgres' ? await dropForeignKeys(trx, 'accounts') : undefined;
      const values = (u: UserAdd['user'], row: unknown[]): unknown[] => {
        row.length = 0;
        row.push(u.username, u.usernameAlias, u.details.fullName, u.details.email, JSON.stringify(u.details.otherEmails), u.details.department, u.details.office,
          u.details.cardNumber, u.details.cardNumber2, u.details.homeDir, u.disabled ? 1 : 0, u.disabled ? now : null, u.disabled ? 'source' : null,
          'ldap', ctx.sourceName, u.sourceId, u.dn, '{}', now, now, u.pinHash ?? null, u.digest ?? null);
        return row;
      };
      // SQLite: one prepared one-row statement per user, inside this transaction (store/raw-rows.ts says why).
      let ids: number[];
      if (writer) {
        const row: unknown[] = [];
        ids = part.map((a) => writer.run(oneRow, values(a.user, row)));
      } else {
        // PostgreSQL: ids drawn from the users' sequence first, then one COPY with them (COPY returns nothing).
        // With its indexes dropped, this transaction holds the table exclusively: the ids can be one range.
        ids = await reserveIds(trx, 'users', part.length, indexes.length > 0);
        // Each row built as COPY takes it, into one array (100,000 rows of 23 values at once cost 10-20 MB of peak RSS).
        const taken = ids;
        const row: unknown[] = [];
        await copyRows(trx, 'users', ['id', ...columns], (function* () {
          for (let i = 0; i < part.length; i++) {
            values(part[i]!.user, row).unshift(taken[i]);
            yield row;
          }
        })());
      }
      const accounts: unknown[][] = [];
      const credits: unknown[][] = [];
      // SQLite: the accounts, and initial credits, of users with the same initial settings (usually all of them) in
      // one statement each, their ids as a JSON array (bare better-sqlite3, 100,000 accounts: 29 ms against 71 ms as
      // rows of five values; a first sync of the bench's users with a site-wide initial credit took 0.15 s longer
      // than without one when the credits went in as rows).
      const sameInit = new Map<string, { init: InitialAccount; ids: number[] }>();
      for (let i = 0; i < part.length; i++) {
        const a = part[i]!;
        const id = ids[i]!;
        userId[-a.ref - 1] = id;
        const init = accountOf(a.ref);
        if (writer) {
          const k = `${init.balanceCents}:${init.restricted}`;
          (sameInit.get(k) ?? sameInit.set(k, { init, ids: [] }).get(k)!).ids.push(id);
          continue;
        }
        accounts.push([id, init.balanceCents, init.restricted ? 1 : 0, 0, now]);
        if (init.balanceCents !== 0) credits.push([id, init.balanceCents, init.balanceCents, 'Initial credit', ctx.actor, now]);
      }
      for (const { init, ids: same } of sameInit.values()) {
        const list = JSON.stringify(same);
        writer!.run(INSERT_ACCOUNTS, [init.balanceCents, init.restricted ? 1 : 0, now, list]);
        if (init.balanceCents !== 0) writer!.run(INSERT_CREDITS, [init.balanceCents, init.balanceCents, ctx.actor, now, list]);
      }
      if (accounts.length) await insertMany(trx, engine, 'accounts', ['user_id', 'balance_cents', 'restricted', 'overdraft_cents', 'updated_at'], accounts);
      if (credits.length) await insertMany(trx, engine, 'transactions', ['user_id', 'amount_cents', 'balance_after_cents', 'reason', 'actor', 'created_at'], credits);
      for (const create of indexes) await sql.raw(create).execute(trx);
      await restoreAccountKeys?.();
    });
    onBatch?.(part.length);
  }
  return userId;
}

function stepTimer(): (label: string) => void {
  if (!process.env.SPOOL_SYNC_DEBUG) return () => {};
  let last = performance.now();
  return (label) => {
    const now = performance.now();
    // Written at once (a worker's process.stderr goes through the main thread): lines stay in time order with strace's.
    writeSync(2, `[sync apply] ${label}: ${((now - last) / 1000).toFixed(2)} s (${new Date().toISOString().slice(11, 23)})\n`);
    last = now;
  };
}

/** Distinct ids (positive integers) in the order first added: a first sync adds 600,000, and Set.add cost 50-100 ms of that. */
class DistinctIds {
  private seen = new Uint8Array(1024);
  readonly list: number[] = [];

  add(id: number): void {
    if (id >= this.seen.length) {
      const grown = new Uint8Array(Math.max(id + 1, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    if (this.seen[id] === 0) {
      this.seen[id] = 1;
      this.list.push(id);
    }
  }
}

/** Fewest new users that writeNewUsers loads with the users' indexes rebuilt (SPOOL_SYNC_REINDEX_USERS in tests). */
const reindexUsers = (): number => Number(process.env.SPOOL_SYNC_REINDEX_USERS) || 50_000;

/** Drops `table`'s indexes (not those of its constraints) and returns the statements that create them again. */
async function dropIndexes(trx: Db, engine: Engine, table: string): Promise<string[]> {
  const r = engine === 'sqlite'
    ? await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'index' and tbl_name = ${table} and sql is not null`.execute(trx)
    : await sql<{ name: string; sql: string }>`select c.relname as name, pg_get_indexdef(i.indexrelid) as sql from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = ${table}::regclass and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`.execute(trx);
  for (const i of r.rows) await sql`drop index ${sql.id(i.name)}`.execute(trx);
  return r.rows.map((i) => i.sql);
}

/**
 * PostgreSQL: drops `table`'s foreign keys and returns what adds them again, which checks every row in one join (and
 * fails with code 23503 if a referenced row went away meanwhile).
 */
async function dropForeignKeys(trx: Db, table: string): Promise<() => Promise<void>> {
  const fks = await sql<{ name: string; def: string }>`select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
    where conrelid = ${table}::regclass and contype = 'f'`.execute(trx);
  for (const fk of fks.rows) await sql`alter table ${sql.id(table)} drop constraint ${sql.id(fk.name)}`.execute(trx);
  return async () => {
    for (const fk of fks.rows) await sql`alter table ${sql.id(table)} add constraint ${sql.id(fk.name)} ${sql.raw(fk.def)}`.execute(trx);
  };
}

/** New users' accounts with one initial balance and restriction, from a JSON array of user ids (SQLite). */
const INSERT_ACCOUNTS = 'insert into accounts (user_id, balance_cents, restricted, overdraft_cents, updated_at) select value, ?, ?, 0, ? from json_each(?)';

/** New users' "Initial credit" transactions of one amount, from a JSON array of user ids (SQLite). */
const INSERT_CREDITS = "insert into transactions (user_id, amount_cents, balance_after_cents, reason, actor, created_at) select value, ?, ?, 'Initial credit', ?, ? from json_each(?)";

/** A group's new members from a JSON array of user ids, all with one direct/nested flag (SQLite's bulk load). */
const INSERT_MEMBERS = 'insert into memberships (group_id, user_id, direct) select ?, value, ? from json_each(?) where true on conflict do nothing';

/** Memberships a store loads in bulk (bulkLoadMemberships): at least this many, into a table holding at most a quarter as many. */
const BULK_MEMBERSHIPS = 50_000;

async function bulkLoadable(db: Db, adds: number, least: number): Promise<boolean> {
  if (adds < least || adds === 0) return false;
  const r = await sql<{ n: number }>`select count(*) as n from memberships`.execute(db);
  return Number(r.rows[0]?.n ?? 0) * 4 <= adds;
}

const conflict = (): SpoolError => new SpoolError('sync.conflict', 'Users or groups were removed while the sync wrote their memberships; no membership was written.', {
  hint: 'Run the sync again.', status: 409,
});

/**
 * A first sync's memberships (600,000 at the bench's size) into a table holding few, in one transaction: the user
 * index is dropped and built again after the inserts (one sorted pass instead of 600,000 scattered index inserts),
 * and foreign keys are checked for the whole load at once instead of for every row. A failure rolls everything
 * back, index and constraints included.
 *
 * SQLite (2.2 -> 1.5 s for the bench's memberships; only on a connection of its own, ApplyContext.exclusiveConnection):
 * foreign keys can only be switched off outside a transaction; they are checked at the end once per distinct user
 * and group. No other writer can remove a user or group while
 * the transaction holds the write lock, so the check sees exactly what commits.
 *
 * PostgreSQL (10-11 s -> 3.5 s): the foreign key constraints are dropped and added again, which validates every
 * row in one join and fails the whole load if a user or group went away meanwhile. Until the transaction ends,
 * other connections wait to read memberships (a first sync's few seconds).
 */
async function bulkLoadMemberships(db: Db, engine: Engine, written: { users: DistinctIds; groups: DistinctIds }, load: (trx: Db) => Promise<void>): Promise<void> {
  // The user index as migration 001 creates it, built once the rows are in.
  const loadReindexed = async (trx: Db): Promise<void> => {
    await sql`drop index if exists memberships_user_idx`.execute(trx);
    await load(trx);
    await sql`create index memberships_user_idx on memberships (user_id)`.execute(trx);
  };
  if (engine === 'postgres') {
    await tx(db, async (trx) => {
      const restoreKeys = await dropForeignKeys(trx, 'memberships');
      await loadReindexed(trx);
      await restoreKeys().catch((e: unknown) => {
        throw (e as { code?: string }).code === '23503' ? conflict() : e;
      });
    });
    return;
  }
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await tx(db, async (trx) => {
      await loadReindexed(trx);
      const missing = await sql<{ n: number }>`select
        (select count(*) from json_each(${JSON.stringify(written.users.list)}) where value not in (select id from users))
        + (select count(*) from json_each(${JSON.stringify(written.groups.list)}) where value not in (select id from groups)) as n`.execute(trx);
      if (Number(missing.rows[0]?.n ?? 0) > 0) throw conflict();
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

/** Directory groups keep their last change stamp in `attributes` (only the sync writes directory groups' attributes). */
export function groupAttributes(changed: string | null): string {
  return changed ? JSON.stringify({ ldapChanged: changed }) : '{}';
}

/**
 * Only the columns that change: SQLite rewrites an index entry for every indexed column named in SET, whether or
 * not its value changed, so a department change must not name username, email or full_name (1,000 changed users
 * otherwise dirty thousands of index pages). updateById adds version = version + 1.
 */
function updateSet(u: UserUpdate, ctx: ApplyContext, before: Details | undefined): Record<string, unknown> {
  const d = u.user.details;
  const set: Record<string, unknown> = {};
  if (u.rename) set.username = u.user.username;
  if (u.changes.includes('usernameAlias')) set.usernameAlias = u.user.usernameAlias;
  if (u.changes.includes('dn')) set.ldapDn = u.user.dn;
  if (u.writeDetails) {
    for (const f of before ? changedDetailFields(before, d) : DETAIL_FIELDS) set[f] = f === 'otherEmails' ? JSON.stringify(d.otherEmails) : d[f];
  }
  if (u.writeCard) set.cardNumber = d.cardNumber;
  if (u.writeCard2) set.cardNumber2 = d.cardNumber2;
  if (u.writePin) set.pinHash = u.user.pinHash ?? null;
  if (u.relink) Object.assign(set, { source: 'ldap', sourceName: ctx.sourceName, sourceId: u.user.sourceId });
  if (u.disable) Object.assign(set, { disabled: 1, disabledAt: ctx.now, disabledReason: 'source' });
  if (u.enable) Object.assign(set, { disabled: 0, disabledAt: null, disabledReason: null });
  set.syncDigest = u.digest;
  set.updatedAt = ctx.now;
  return set;
}

type Details = FingerprintFields;

async function currentDetails(db: Db, ids: number[]): Promise<Map<number, Details>> {
  const out = new Map<number, Details>();
  for (const part of chunks(ids, 5000)) {
    const rows = await db.selectFrom('users').select(['id', 'fullName', 'email', 'otherEmails', 'department', 'office', 'homeDir']).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, { ...r, otherEmails: JSON.parse(r.otherEmails) as string[] });
  }
  return out;
}

function logUpdate(u: UserUpdate, before: Details | undefined, capped: ReturnType<typeof createCappedLog>): void {
  const entry = u.user.dn ?? u.user.username;
  const fields = u.changes.flatMap((c) => (c === 'details' ? (before ? changedDetailFields(before, u.user.details) : ['details']) : c === 'username' || c === 'disabled' || c === 'enabled' ? [] : [c]));
  if (u.rename) capped.line('users renamed', { level: 'info', message: `Renamed user "${u.from}" to "${u.user.username}" (same directory entry; balance and history kept).`, entry });
  if (u.disable) capped.line('users disabled', { level: 'info', message: `Disabled user "${u.user.username}": disabled in the directory.`, entry });
  if (u.enable) capped.line('users enabled', { level: 'info', message: `Enabled user "${u.user.username}" again: active in the directory.`, entry });
  if (u.relink) capped.line('users re-linked', { level: 'info', message: `User "${u.user.username}" now follows directory entry ${u.user.sourceId}.`, entry });
  if (fields.length) capped.line('users updated', { level: 'info', message: `Updated user "${u.user.username}": ${fields.join(', ')}.`, entry });
}

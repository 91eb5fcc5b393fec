/**
 * One directory source, one sync pass: read (full: in a worker thread while this thread loads the store snapshot;
 * incremental: only entries changed since the cursor), plan, apply.
 */
import { openLdapConnection } from '../../directory/ldap/index.ts';
import type { InitialAccount } from '../../domain/groups.ts';
import { planSync, planUsers, type UserPlan } from '../../domain/sync/plan.ts';
import type { PlanOptions, StoreGroup, PlanStop, StoreMembers, StoreSnapshot, SyncCounts, SyncIssue, SyncMode } from '../../domain/sync/types.ts';
import type { Db, Engine } from '../../store/database.ts';
import type { SyncLogLine } from '../../store/sync-runs-repo.ts';
import { directoryPinDigester } from '../../security/pins.ts';
import { applyPlan, USER_BATCH, writeNewUsers } from './apply-plan.ts';
import type { SourceCursor } from './cursor.ts';
import { changedSinceClause } from './cursor.ts';
import { describeChanges, type PlannedChanges } from './describe-plan.ts';
import { entryKeySeed } from './entry-keys.ts';
import type { LdapSource } from './ldap-source.ts';
import type { ReadOptions, ReadProgress, ReadResult } from './read-directory.ts';
import { finishSnapshot, highestCommittedUsn, mergeGroupPass, readRaw, readSource } from './read-directory.ts';
import { readGroupPass } from './read-groups.ts';
import type { GroupReader } from './group-reader.ts';
import { isSpoolError } from '../../errors.ts';
import { loadGroups, loadGroupStamps, loadMemberships, loadOtherUsers, loadOwnDigests, loadUsersById, loadUsersFor, ownDigestsOf, resolverFromDb, resolverFromUsers, type OwnDigests, type PreloadedStore } from './store-snapshot.ts';

export interface SourceRunOptions {
  db: Db;
  engine: Engine;
  now: Date;
  actor: string;
  mode: SyncMode;
  dryRun: boolean;
  allowMassDelete: boolean;
  cursor: SourceCursor | undefined;
  settings: Record<string, unknown>;
  defaults: InitialAccount;
  /** Subkey for directory PIN digests, base64 (plain data: it crosses to the sync worker). */
  pinKey: string;
  /** `db` is this pass's own connection (the sync worker's): see ApplyContext.exclusiveConnection. */
  exclusiveConnection?: boolean | undefined;
  /** Full syncs in the worker: own digests, loaded by the main thread meanwhile (null: load them here). */
  preloaded?: Promise<PreloadedStore | null> | undefined;
  /** See ApplyContext.onUsersWritten. */
  onUsersWritten?: (() => void) | undefined;
  /** Starts a group reader (group-reader.ts): the sync worker's, for a first sync that writes its users early. */
  startGroupReader?: (() => GroupReader) | undefined;
  log: (l: SyncLogLine) => void;
  onPhase: (phase: string, extra?: Partial<{ usersRead: number; groupsRead: number; applied: number; toApply: number }>) => void;
}

/** What a pass reports (plain data: it crosses from the sync worker to the main thread). */
export interface SourceRunResult {
  source: LdapSource['name'];
  url: string;
  mode: SyncMode;
  /** Why an incremental request ran as a full sync. */
  fellBack: string | null;
  counts: SyncCounts;
  stopped: PlanStop | null;
  /** The first 10,000 issues (the sync log has them all). */
  issues: SyncIssue[];
  warnings: number;
  errors: number;
  /** Dry runs: the planned changes by name. */
  changes: PlannedChanges | null;
  cursor: SourceCursor | null;
  usersRead: number;
  groupsRead: boolean;
  excluded: number;
}

interface Read {
  result: ReadResult;
  store: StoreSnapshot;
  url: string;
  startUsn: string | undefined;
  mode: SyncMode;
  fellBack: string | null;
  /** Full syncs: entries whose key matched their row's digest, read no further than their names. */
  recognised?: number;
  /** Full syncs: every user and group entry as the last full sync left them (memberships not compared). */
  membersSame?: boolean;
  /** The users' part of the plan, planned (and its new users written: newUserIds) while the groups were read elsewhere. */
  usersPlan?: UserPlan | undefined;
  newUserIds?: number[] | undefined;
  earlyWriteMs?: number | undefined;
}

/** Users per transaction; smaller batches make a long first sync visibly progress (and tests interruptible). */
const userBatch = (): number => Number(process.env.SPOOL_SYNC_BATCH) || USER_BATCH;

/** New users from which their pages are worth checkpointing while the memberships are written (ApplyContext.onUsersWritten). */
const checkpointAfterUsers = (): number => Number(process.env.SPOOL_SYNC_CHECKPOINT_USERS) || 10_000;

function planOptionsOf(src: LdapSource, o: SourceRunOptions, mode: SyncMode): PlanOptions {
  return {
    sourceName: src.name, mode, importDisabled: src.importDisabled, updateDetails: src.updateDetails,
    missingUsers: o.settings['sync.missing-users'] as 'keep' | 'disable' | 'delete',
    deleteAfterDays: Number(o.settings['sync.delete-after-days']),
    deleteProtectionPercent: Number(o.settings['sync.delete-protection-percent']),
    allowMassDelete: o.allowMassDelete, now: o.now,
  };
}

/**
 * A first sync writes its new users while another thread reads the groups.
 *
 * Once the user entries are read, a first sync of 100,000 users still had the groups to read and their 600,000
 * member values to resolve (about 0.45 s, the directory server needing 0.13 s of it to send them), then the
 * users and their accounts to write (about 1.3 s), all on the worker's one thread, the machine's other core idle.
 * The users' part of the plan needs no group, so it is planned as soon as the last user entry is in, and written
 * while a group reader (group-reader.ts: a worker of its own, started before the users are read, with a directory
 * connection of its own) reads the groups; it gets only the users' DNs and names, and answers with the groups,
 * their members as user indexes. Bench first sync, five alternating pairs against the previous commit: 4.64-5.00 s
 * against 4.84-6.12 s, faster in every pair (by 0.20-1.12 s, median 0.31 s); peak RSS 347-363 MB against 325-336 MB.
 *
 * Only where nothing in the groups can change what a new user's row or account will be:
 * - the source holds no user in Spool yet: nothing to update, rename, disable or delete (delete protection has
 *   nothing to protect), and the plan turns out to hold new users only;
 * - every user entry is imported (ldap.import = all: with import groups, the groups decide which users there are);
 * - no Spool group sets an initial credit or restriction (those decide a new user's account by membership);
 * - not a dry run.
 * A sync that fails after the users were written (the directory gone during the group pass) leaves them with their
 * accounts, each batch one transaction: the next sync recognises them by their keys and completes the memberships,
 * as after any interrupted apply.
 */
function writesUsersEarly(src: LdapSource, o: SourceRunOptions, firstSync: boolean, storeGroups: readonly StoreGroup[]): boolean {
  return o.startGroupReader !== undefined && firstSync && src.syncGroups && src.importMode === 'all' && !o.dryRun
    && storeGroups.every((g) => g.initialCreditCents === null && g.initialRestricted === null);
}

/** A group reader, or none when its worker cannot be started (the pass then runs in this thread, as usual). */
function startReader(o: SourceRunOptions): GroupReader | undefined {
  try {
    return o.startGroupReader?.();
  } catch {
    return undefined;
  }
}

const onlyNewUsers = (p: UserPlan): boolean => p.userAdds.length > 0 && p.stopped === null
  && p.userUpdates.length + p.userDisables.length + p.userDeletes.length + p.digestRefresh.length === 0;

const pinDigestOf = (o: SourceRunOptions): ((pin: string) => string) => directoryPinDigester(Buffer.from(o.pinKey, 'base64'));

/**
 * A full read. The store side starts as the stored digests of this source's users (loadOwnDigests); an entry
 * whose digest matches its row's becomes a "same" record (sameRecordOf), and only the rows left over (changed,
 * missing from the directory, without a digest) and other sources' users are loaded whole.
 */
async function readFull(src: LdapSource, o: SourceRunOptions, onProgress: (p: ReadProgress) => void, fellBack: string | null): Promise<Read> {
  o.onPhase('loading store');
  // Connecting meanwhile: the TCP and TLS handshakes and the bind are round trips (several tens of ms to Azure AD
  // Domain Services' Secure LDAP over the internet) that need nothing from the store.
  const connecting = openLdapConnection(src.connection);
  connecting.catch(() => undefined); // awaited below, unless loading the store fails first
  let groups: StoreGroup[];
  let own: OwnDigests;
  try {
    const pre = o.preloaded ? await o.preloaded : null;
    groups = pre?.groups ?? await loadGroups(o.db);
    own = pre ? ownDigestsOf(pre) : await loadOwnDigests(o.db, o.engine, src.name);
  } catch (e) {
    void connecting.then((c) => c.close(), () => undefined);
    throw e;
  }
  o.onPhase('connecting');
  const conn = await connecting;
  let reader: GroupReader | undefined;
  try {
    const startUsn = src.schema.changeAttr === 'uSNChanged' ? await highestCommittedUsn(conn) : undefined;
    let confirmed = 0;
    const sameRow = (key: number): number | undefined => {
      const id = own.byDigest.take(key);
      if (id !== undefined) confirmed++;
      return id;
    };
    const ownGroups = groups.filter((g) => g.source === 'ldap' && (g.sourceName ?? 'primary') === src.name);
    const storedGroups = {
      keys: new Map(ownGroups.flatMap((g) => (g.sourceId && g.key !== null && g.key !== undefined ? [[g.sourceId, g.key] as const] : []))),
      count: ownGroups.length,
      usersUnchanged: () => !own.byDigest.hasUntaken(),
    };
    const firstSync = !own.byDigest.hasUntaken() && own.undigested.length === 0;
    const started = writesUsersEarly(src, o, firstSync, groups) ? startReader(o) : undefined;
    reader = started;
    // A reader that fails on its own (not the directory failing it) leaves the pass to this thread and connection.
    const groupPass: ReadOptions['groupPass'] = started && ((users, keying) => started.read(users, keying)
      .catch((e: unknown) => (isSpoolError(e) && e.code.startsWith('ldap.') ? Promise.reject(e) : readGroupPass(conn, src, users, keying, () => undefined))));
    // With no stored digest to find (a first sync), entries are decoded whole at once: decoding their names first,
    // to look for a row that cannot be there, cost a first sync of 100,000 users about 0.2 s.
    const raw = await readRaw(conn, src, { groups: src.syncGroups ? 'all' : 'none', now: o.now, onProgress, sameRow: own.byDigest.hasUntaken() ? sameRow : undefined, storedGroups, keySeed: entryKeySeed(src, o.pinKey), pinDigest: pinDigestOf(o), groupPass });
    o.onPhase('loading changed users');
    const rest = own.undigested.concat(own.byDigest.untaken());
    // Other sources' users matter only to entries read whole (their names may be taken): by name when there are
    // few such entries, else all of them (one pass over the table).
    const unrecognised = raw.users.length - confirmed;
    const others = unrecognised === 0 ? []
      : await loadOtherUsers(o.db, src.name, unrecognised <= 5000 ? raw.users.flatMap((u) => (u.sameId === undefined ? [u.username] : [])) : undefined);
    let usersPlan: UserPlan | undefined;
    let newUserIds: number[] | undefined;
    let earlyWriteMs: number | undefined;
    if (raw.groupsLater) {
      // The group pass runs elsewhere meanwhile (writesUsersEarly): the users are planned, and written, now.
      o.onPhase('planning');
      usersPlan = planUsers({ users: raw.users, issues: raw.issues, protectedSourceIds: new Set(raw.protectedSourceIds) }, { users: others }, planOptionsOf(src, o, 'full'));
      if (onlyNewUsers(usersPlan)) {
        const adds = usersPlan.userAdds.length;
        let done = 0;
        o.onPhase('applying', { applied: 0, toApply: adds });
        const ctx = { db: o.db, engine: o.engine, now: o.now.toISOString(), actor: o.actor, sourceName: src.name, exclusiveConnection: o.exclusiveConnection };
        const t = Date.now();
        newUserIds = await writeNewUsers(usersPlan.userAdds, ctx, userBatch(), () => o.defaults, (n) => o.onPhase('applying', { applied: (done += n), toApply: adds }));
        earlyWriteMs = Date.now() - t;
        o.log({ level: 'info', message: `Added ${adds} new user(s) with their accounts in ${(earlyWriteMs / 1000).toFixed(1)} s while the groups were read; their group memberships follow.` });
        if (adds >= checkpointAfterUsers()) o.onUsersWritten?.();
      }
      o.onPhase('reading groups');
      mergeGroupPass(raw, await raw.groupsLater, src.schema.changeAttr);
    }
    const users = (await loadUsersById(o.db, rest)).concat(others);
    const result = finishSnapshot(raw, src, resolverFromUsers(users, src.name));
    // "Same" records that finishSnapshot left out (not in the import groups any more) leave their rows to planSync
    // like any row whose entry is gone: those are loaded too.
    const kept = result.snapshot.users.filter((u) => u.sameId !== undefined);
    if (kept.length < confirmed) {
      const keptIds = new Set(kept.map((u) => u.sameId));
      const dropped = raw.users.filter((u) => u.sameId !== undefined && !keptIds.has(u.sameId)).map((u) => u.sameId!);
      users.push(...(await loadUsersById(o.db, dropped)));
    }
    // Stored memberships are compared only for groups whose members were resolved.
    const memberships = src.syncGroups && raw.groups && !raw.membersSame ? await loadMemberships(o.db, o.engine, src.name) : new Map<number, StoreMembers>();
    return { result, store: { users, groups, memberships }, url: conn.url, startUsn, mode: 'full', fellBack, recognised: confirmed, membersSame: raw.membersSame, usersPlan, newUserIds, earlyWriteMs };
  } finally {
    reader?.stop();
    await conn.close();
  }
}

async function readIncremental(src: LdapSource, o: SourceRunOptions, onProgress: (p: ReadProgress) => void): Promise<Read> {
  o.onPhase('connecting');
  const conn = await openLdapConnection(src.connection);
  let fellBack: string | null;
  try {
    const c = changedSinceClause(o.cursor, src.schema.changeAttr, conn.url);
    if (!('clause' in c)) {
      fellBack = c.reason;
      o.log({ level: 'info', message: `An incremental sync is not possible (${c.reason}); running a full sync instead.` });
    } else {
      // AD: the watermark is read before the searches, so changes committed meanwhile are picked up next time.
      const startUsn = src.schema.changeAttr === 'uSNChanged' ? await highestCommittedUsn(conn) : undefined;
      const knownGroupStamps = (sids: string[]): Promise<Map<string, string>> => loadGroupStamps(o.db, src.name, sids);
      const result = await readSource(conn, src, {
        now: o.now, changedSince: c.clause, knownGroupStamps, pinDigest: pinDigestOf(o), keySeed: entryKeySeed(src, o.pinKey), groups: src.syncGroups || src.importMode === 'groups' ? 'if-changed' : 'none', resolver: () => resolverFromDb(o.db, src.name), onProgress,
      });
      o.onPhase('loading store');
      const su = result.snapshot.users;
      // Unread groups are neither planned nor applied (no memberships change, so no group decides a new user's
      // account either): the store's groups are loaded only when the directory's were read.
      const [users, groups, memberships] = await Promise.all([
        loadUsersFor(o.db, su.map((u) => u.sourceId), su.map((u) => u.username)),
        result.groupsRead ? loadGroups(o.db) : Promise.resolve([]),
        result.groupsRead && src.syncGroups ? loadMemberships(o.db, o.engine, src.name) : Promise.resolve(new Map<number, StoreMembers>()),
      ]);
      if (src.importMode === 'groups' && !result.groupsRead) {
        // Group membership did not change, so a changed user is in scope exactly when it was imported before.
        const known = new Set(users.filter((u) => u.source === 'ldap' && u.sourceId).map((u) => u.sourceId));
        result.snapshot.users = su.filter((u) => known.has(u.sourceId));
      }
      return { result, store: { users, groups, memberships }, url: conn.url, startUsn, mode: 'incremental', fellBack: null };
    }
  } finally {
    await conn.close();
  }
  return readFull(src, o, onProgress, fellBack);
}

export async function runSource(src: LdapSource, o: SourceRunOptions): Promise<SourceRunResult> {
  const started = Date.now();
  const onProgress = (p: ReadProgress): void => o.onPhase(p.phase === 'users' ? 'reading users' : 'reading groups', { usersRead: p.users, groupsRead: p.groups });
  const r = o.mode === 'incremental' ? await readIncremental(src, o, onProgress) : await readFull(src, o, onProgress, null);
  const { result: read, store } = r;
  // Time spent writing users while the groups were read is not reading time (that line of the log has it).
  o.log({ level: 'info', message: `Read ${read.snapshot.users.length} user(s)${read.groupsRead ? ` and ${read.snapshot.groups?.length ?? 0} synced group(s)` : ''} from ${r.url} in ${((Date.now() - started - (r.earlyWriteMs ?? 0)) / 1000).toFixed(1)} s${read.excluded ? `; ${read.excluded} excluded by OU` : ''}${read.notInImportGroups ? `; ${read.notInImportGroups} not in the import groups` : ''}${r.recognised ? `; ${r.recognised} entries unchanged since the last sync` : ''}${r.membersSame ? '; group memberships unchanged' : ''}.` });

  o.onPhase('planning', { usersRead: read.snapshot.users.length });
  const plan = planSync(read.snapshot, store, planOptionsOf(src, o, r.mode), r.usersPlan);
  for (const i of plan.issues) o.log({ level: i.level, message: i.message, entry: i.entry ?? null });
  if (!plan.stopped && !o.dryRun) {
    o.onPhase('applying');
    await applyPlan(plan, {
      db: o.db, engine: o.engine, now: o.now.toISOString(), actor: o.actor, sourceName: src.name, defaults: o.defaults, storeGroups: store.groups, log: o.log,
      batchSize: userBatch(),
      exclusiveConnection: o.exclusiveConnection,
      onUsersWritten: o.onUsersWritten,
      checkpointAfterUsers: checkpointAfterUsers(),
      newUserIds: r.newUserIds,
      onProgress: (done, total) => o.onPhase('applying', { applied: done, toApply: total }),
    });
  }
  const value = r.startUsn ?? read.maxChange ?? (r.mode === 'incremental' ? o.cursor?.value : undefined);
  const cursor = src.schema.changeAttr && value ? { attr: src.schema.changeAttr, value, url: r.url, durationMs: Date.now() - started } : null;
  return {
    source: src.name, url: r.url, mode: r.mode, fellBack: r.fellBack, counts: plan.counts, stopped: plan.stopped,
    issues: plan.issues.slice(0, 10_000), warnings: plan.issues.filter((i) => i.level === 'warn').length, errors: plan.issues.filter((i) => i.level === 'error').length,
    changes: o.dryRun ? describeChanges([plan]) : null,
    cursor, usersRead: read.snapshot.users.length, groupsRead: read.groupsRead, excluded: read.excluded,
  };
}

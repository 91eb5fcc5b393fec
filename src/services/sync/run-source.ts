/**
 * One directory source, one sync pass: read (full: in a worker thread while this thread loads the store snapshot;
 * incremental: only entries changed since the cursor), plan, apply.
 */
import { openLdapConnection } from '../../directory/ldap/index.ts';
import type { InitialAccount } from '../../domain/groups.ts';
import { planSync } from '../../domain/sync/plan.ts';
import type { PlanStop, StoreMembers, StoreSnapshot, SyncCounts, SyncIssue, SyncMode } from '../../domain/sync/types.ts';
import type { Db, Engine } from '../../store/database.ts';
import type { SyncLogLine } from '../../store/sync-runs-repo.ts';
import { directoryPinDigester } from '../../security/pins.ts';
import { applyPlan } from './apply-plan.ts';
import type { SourceCursor } from './cursor.ts';
import { changedSinceClause } from './cursor.ts';
import { describeChanges, type PlannedChanges } from './describe-plan.ts';
import { entryKeySeed } from './entry-keys.ts';
import type { LdapSource } from './ldap-source.ts';
import type { ReadProgress, ReadResult } from './read-directory.ts';
import { finishSnapshot, highestCommittedUsn, readRaw, readSource } from './read-directory.ts';
import { loadGroups, loadGroupStamps, loadMemberships, loadOtherUsers, loadOwnDigests, loadUsersById, loadUsersFor, ownDigestsOf, resolverFromDb, resolverFromUsers, type PreloadedStore } from './store-snapshot.ts';

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
}

const pinDigestOf = (o: SourceRunOptions): ((pin: string) => string) => directoryPinDigester(Buffer.from(o.pinKey, 'base64'));

/**
 * A full read. The store side starts as the stored digests of this source's users (loadOwnDigests); an entry
 * whose digest matches its row's becomes a "same" record (sameRecordOf), and only the rows left over (changed,
 * missing from the directory, without a digest) and other sources' users are loaded whole.
 */
async function readFull(src: LdapSource, o: SourceRunOptions, onProgress: (p: ReadProgress) => void, fellBack: string | null): Promise<Read> {
  o.onPhase('loading store');
  const groups = await loadGroups(o.db);
  const pre = o.preloaded ? await o.preloaded : null;
  const own = pre ? ownDigestsOf(pre) : await loadOwnDigests(o.db, o.engine, src.name);
  o.onPhase('connecting');
  const conn = await openLdapConnection(src.connection);
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
    // With no stored digest to find (a first sync), entries are decoded whole at once: decoding their names first,
    // to look for a row that cannot be there, cost a first sync of 100,000 users about 0.2 s.
    const raw = await readRaw(conn, src, { groups: src.syncGroups ? 'all' : 'none', now: o.now, onProgress, sameRow: own.byDigest.hasUntaken() ? sameRow : undefined, storedGroups, keySeed: entryKeySeed(src, o.pinKey), pinDigest: pinDigestOf(o) });
    o.onPhase('loading changed users');
    const rest = own.undigested.concat(own.byDigest.untaken());
    // Other sources' users matter only to entries read whole (their names may be taken); when every entry was
    // recognised, the full table scan that finds them is skipped.
    const others = raw.users.length === confirmed ? [] : await loadOtherUsers(o.db, src.name);
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
    return { result, store: { users, groups, memberships }, url: conn.url, startUsn, mode: 'full', fellBack, recognised: confirmed, membersSame: raw.membersSame };
  } finally {
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
  o.log({ level: 'info', message: `Read ${read.snapshot.users.length} user(s)${read.groupsRead ? ` and ${read.snapshot.groups?.length ?? 0} synced group(s)` : ''} from ${r.url} in ${((Date.now() - started) / 1000).toFixed(1)} s${read.excluded ? `; ${read.excluded} excluded by OU` : ''}${read.notInImportGroups ? `; ${read.notInImportGroups} not in the import groups` : ''}${r.recognised ? `; ${r.recognised} entries unchanged since the last sync` : ''}${r.membersSame ? '; group memberships unchanged' : ''}.` });

  o.onPhase('planning', { usersRead: read.snapshot.users.length });
  const plan = planSync(read.snapshot, store, {
    sourceName: src.name, mode: r.mode, importDisabled: src.importDisabled, updateDetails: src.updateDetails,
    missingUsers: o.settings['sync.missing-users'] as 'keep' | 'disable' | 'delete',
    deleteAfterDays: Number(o.settings['sync.delete-after-days']),
    deleteProtectionPercent: Number(o.settings['sync.delete-protection-percent']),
    allowMassDelete: o.allowMassDelete, now: o.now,
  });
  for (const i of plan.issues) o.log({ level: i.level, message: i.message, entry: i.entry ?? null });
  if (!plan.stopped && !o.dryRun) {
    o.onPhase('applying');
    await applyPlan(plan, {
      db: o.db, engine: o.engine, now: o.now.toISOString(), actor: o.actor, sourceName: src.name, defaults: o.defaults, storeGroups: store.groups, log: o.log,
      // Users per transaction; smaller batches make a long first sync visibly progress (and tests interruptible).
      batchSize: Number(process.env.SPOOL_SYNC_BATCH) || undefined,
      exclusiveConnection: o.exclusiveConnection,
      onUsersWritten: o.onUsersWritten,
      checkpointAfterUsers: Number(process.env.SPOOL_SYNC_CHECKPOINT_USERS) || undefined,
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

/**
 * Reads one LDAP source: users first (each entry mapped and dropped at once, so only the mapped fields live on),
 * then groups, whose member values are resolved to user indexes as they stream in (member DNs are never kept).
 * Paged searches (RFC 2696) throughout; AD's ranged `member;range=` values are followed (MS-ADTS 3.1.1.3.1.3.3).
 * readRaw() needs nothing but the connection; finishSnapshot() (finish-snapshot.ts) then resolves nesting, import
 * groups and members known only to the store.
 */
import type { LdapConnection, LdapEntry } from '../../directory/ldap/index.ts';
import { all, completeEntry, escapeFilterValue, first, isEntryDisabled, pagedSearch, pagedSearchPages, readEntry, stableIdOf, userAttributes, attrKey } from '../../directory/ldap/index.ts';
import { entryKey, sameRecordOf } from '../../domain/sync/fingerprint.ts';
import { mapDirectoryUser, mapIdentity, type DirectoryUserInput } from '../../domain/sync/map-user.ts';
import type { SourceSnapshot, SourceUser, SyncIssue } from '../../domain/sync/types.ts';
import { describeError } from '../../errors.ts';
import { dnKey, keyWithin } from './dn-key.ts';
import { userKeying } from './entry-keys.ts';
import { finishSnapshot } from './finish-snapshot.ts';
import { andFilter, isDn, laterChange, wrap } from './filters.ts';
import { readGroupPass, type GroupKeying, type GroupPassResult, type GroupPassUsers } from './read-groups.ts';
import type { LdapSource } from './ldap-source.ts';
import { userFieldMap } from './ldap-source.ts';

export { andFilter, wrap } from './filters.ts';
export { finishSnapshot } from './finish-snapshot.ts';

/** LDAP_MATCHING_RULE_IN_CHAIN: AD expands nested membership server-side (MS-ADTS 3.1.1.3.4.4.3). */
export const IN_CHAIN = '1.2.840.113556.1.4.1941';

export interface ReadProgress {
  phase: 'users' | 'groups';
  users: number;
  groups: number;
}

export interface StoreResolver {
  /** Store user id of an own-source user by DN key, for members not read in this run. */
  byDnKey(key: string): number | undefined;
  byUsername(name: string): number | undefined;
}

export interface ReadOptions {
  now: Date;
  /** Extra filter clause selecting changed entries, e.g. "(modifyTimestamp>=20260101000000Z)". */
  changedSince?: string | undefined;
  /** 'all': read every group; 'none': skip groups; 'if-changed': read them all if any changed since the cursor. */
  groups: 'all' | 'none' | 'if-changed';
  onProgress?: ((p: ReadProgress) => void) | undefined;
  /** Stores directory PINs (see userFieldMap). */
  pinDigest?: ((pin: string) => string) | undefined;
  /** Stop after this many users. */
  userLimit?: number | undefined;
  /**
   * Key user entries by their bytes (entryKey, with this seed from entry-keys.ts): each mapped user's `digest`, when
   * its mapping raised no warning.
   */
  keySeed?: number | undefined;
  /**
   * Full syncs: the stored row whose digest is this key, taken once (an entry listed twice must not claim the row
   * twice). Entries are then decoded in part first, and an entry whose key is found becomes a "same" record
   * (sameRecordOf) without the rest of it ever being decoded or mapped.
   */
  sameRow?: ((key: number) => number | undefined) | undefined;
  /**
   * Full syncs with keySeed: the groups as stored, so that an unchanged directory's members need not be resolved
   * (read-groups.ts, GroupKeying). `usersUnchanged` is asked once, after the user pass: no user of this source
   * missing from it.
   */
  storedGroups?: { keys: ReadonlyMap<string, number>; count: number; usersUnchanged: () => boolean } | undefined;
  /**
   * 'if-changed': stamps of these groups as last synced (stable id → stamp); a candidate with its known stamp is
   * unchanged. Asked only for the candidates the directory returns (usually none).
   */
  knownGroupStamps?: ((sourceIds: string[]) => Promise<ReadonlyMap<string, string>>) | undefined;
  /**
   * Full syncs: runs the group pass somewhere else (another thread, with a connection of its own) instead of here;
   * readRaw then returns once the users are read, with RawDirectory.groupsLater.
   */
  groupPass?: ((users: GroupPassUsers, keying: GroupKeying | undefined) => Promise<GroupPassResult>) | undefined;
}

/** A group as read: user members by index, everything else as DN keys (nested groups, or users not read). */
export interface RawGroup {
  sourceId: string;
  name: string;
  dn: string;
  key: string;
  changed: string | null;
  users: number[];
  /** Member DN keys that are not users of this read ("uid:<name>" for memberUid values). */
  other: string[];
  /** The entry's key (entryKey), when the read keyed groups and the entry's bytes hold all its members. */
  entryKey?: number | undefined;
}

export interface RawDirectory {
  users: SourceUser[];
  groups: RawGroup[] | null;
  issues: SyncIssue[];
  protectedSourceIds: string[];
  protectedGroupIds: string[];
  /** Largest change-attribute value seen (uSNChanged / modifyTimestamp), for the next incremental sync. */
  maxChange: string | null;
  excluded: number;
  /** AD in-chain import: users were already limited to the import groups' members by the server. */
  importFilteredByServer: boolean;
  /** Every user and group entry as the last full sync left it: members were not resolved (GroupKeying). */
  membersSame: boolean;
  /** ReadOptions.groupPass: the group pass, still running elsewhere (see mergeGroupPass). */
  groupsLater?: Promise<GroupPassResult> | undefined;
}

export interface ReadResult {
  snapshot: SourceSnapshot;
  maxChange: string | null;
  groupsRead: boolean;
  excluded: number;
  /** Users kept out by "import members of groups". */
  notInImportGroups: number;
}

/** Distinguished names of the configured import groups (names are looked up by the group name attribute). */
export async function resolveGroupDns(conn: LdapConnection, src: LdapSource, refs: string[], issues: SyncIssue[]): Promise<string[]> {
  const out: string[] = [];
  for (const ref of refs) {
    if (isDn(ref)) {
      out.push(ref);
      continue;
    }
    const filter = andFilter([src.schema.groupFilter, `(${src.schema.groupNameAttr}=${escapeFilterValue(ref)})`]);
    let found = 0;
    for await (const e of pagedSearch(conn, { baseDns: src.baseDns, filter, attributes: ['1.1'], pageSize: 10 })) {
      out.push(e.dn);
      found++;
    }
    if (!found) issues.push({ level: 'error', code: 'sync.import_group_not_found', message: `The import group "${ref}" was not found in the directory; its members are not imported.`, entry: ref });
  }
  return out;
}

const NONE: string[] = [];

/** Adapts an entry to the mapper without a closure per entry. */
class EntryInput implements DirectoryUserInput {
  constructor(private readonly e: LdapEntry, public readonly stableId: string | undefined, public readonly disabled: boolean) {}
  get dn(): string {
    return this.e.dn;
  }
  get(attr: string): string[] {
    // Values arrive as strings unless they are not UTF-8: hand the array over as it is (the mapper only reads it)
    // rather than copying it for every field of every entry.
    const vals = this.e.attrs.get(attrKey(attr));
    if (!vals) return NONE;
    for (const v of vals) if (typeof v !== 'string') return all(this.e, attr);
    return vals as string[];
  }
}

/** Reads users and (per options) groups. */
export async function readRaw(conn: LdapConnection, src: LdapSource, opts: ReadOptions): Promise<RawDirectory> {
  const schema = src.schema;
  const issues: SyncIssue[] = [];
  const protectedSourceIds: string[] = [];
  const protectedGroupIds: string[] = [];
  const users: SourceUser[] = [];
  const excludeKeys = src.excludeOus.map(dnKey);
  const fields = userFieldMap(src, opts.pinDigest);
  let count = 0;
  let maxChange: string | null = null;
  let excluded = 0;
  let groupCount = 0;
  const progress = (phase: ReadProgress['phase']): void => opts.onProgress?.({ phase, users: count, groups: groupCount });

  // In-chain import: AD expands nesting and returns only members of the import groups.
  let inChainClause: string | null = null;
  if (src.importMode === 'groups' && schema.nestedGroupsRule === 'in-chain') {
    const dns = await resolveGroupDns(conn, src, src.importGroups, issues);
    inChainClause = dns.length ? `(|${dns.map((d) => `(memberOf:${IN_CHAIN}:=${escapeFilterValue(d)})`).join('')})` : '(objectClass=spool-no-import-group)';
  }
  const userFilter = andFilter([schema.userFilter, src.excludeFilter ? `(!${wrap(src.excludeFilter)})` : null, opts.changedSince, inChainClause]);
  const attributes = userAttributes(schema);
  const seed = opts.keySeed;
  const sameRow = seed === undefined ? undefined : opts.sameRow;
  const keyed = seed === undefined ? undefined : userKeying(src, sameRow !== undefined);
  /** Users read whole (not recognised by their key), and entries that could not be used. */
  let unrecognised = 0;
  /**
   * Disabled entries that are not imported (no row to recognise them by): an order-free sum of their keys, and
   * their count. Part of the group keys' seed, so that any change among them also counts as a change.
   */
  let neutralSum = 0;
  let neutralCount = 0;
  reading: for await (const page of pagedSearchPages(conn, { baseDns: src.baseDns, filter: userFilter, attributes, pageSize: src.pageSize, keyed })) for (let e of page) {
    if (excludeKeys.length && excludeKeys.some((k) => keyWithin(dnKey(e.dn), k))) {
      excluded++;
      continue;
    }
    if (schema.changeAttr) maxChange = laterChange(maxChange, first(e, schema.changeAttr), schema.changeAttr);
    let stableId: string | undefined;
    try {
      stableId = stableIdOf(e, schema.stableIdAttr);
    } catch (err) {
      issues.push({ level: 'error', code: 'sync.invalid_stable_id', message: `Entry "${e.dn}": ${describeError(err)}; it was not imported.`, entry: e.dn });
      unrecognised++;
      continue;
    }
    const disabled = isEntryDisabled(e, schema.disabledRule, opts.now);
    const key = seed !== undefined && e.rawHash !== undefined ? entryKey(e.rawHash, disabled, seed) : undefined;
    let u: SourceUser | undefined;
    if (key !== undefined && sameRow) {
      // Names first: a stored row is taken only by an entry that will stand for it.
      const id = mapIdentity(new EntryInput(e, stableId, disabled), fields);
      const row = id.ok && id.aliasIgnored === null ? sameRow(key) : undefined;
      if (id.ok && row !== undefined) u = sameRecordOf(stableId!, id.username, id.alias, e.dn, disabled, row, key);
      else e = completeEntry(e);
    }
    if (!u) {
      const r = mapDirectoryUser(new EntryInput(e, stableId, disabled), fields);
      if (r.ok && r.user.disabled && !src.importDisabled && key !== undefined) {
        neutralSum = (neutralSum + (key % 2 ** 52)) % 2 ** 52;
        neutralCount++;
      } else unrecognised++;
      if (!r.ok) {
        issues.push(r.error);
        if (stableId) protectedSourceIds.push(stableId);
        continue;
      }
      for (const w of r.warnings) issues.push(w);
      // An entry with warnings keeps no key: its row is compared whole every time, and the warnings logged again.
      if (key !== undefined && r.warnings.length === 0) r.user.digest = key;
      u = r.user;
    }
    users.push(u);
    count++;
    if (count % 2000 === 0) progress('users');
    if (opts.userLimit && count >= opts.userLimit) break reading;
  }
  progress('users');

  let readGroups = opts.groups === 'all' || (src.importMode === 'groups' && !inChainClause && opts.groups !== 'none');
  if (opts.groups === 'if-changed' && opts.changedSince) {
    // The cursor window overlaps the previous run (see cursor.ts), so groups already synced at their current
    // stamp show up here too: only a new stamp means a changed group.
    readGroups = false;
    const candidates = new Map<string, string>();
    const attrs = schema.changeAttr ? [schema.stableIdAttr, schema.changeAttr] : ['1.1'];
    for await (const e of pagedSearch(conn, { baseDns: src.baseDns, filter: andFilter([schema.groupFilter, opts.changedSince]), attributes: attrs, pageSize: 100 })) {
      let sid: string | undefined;
      try {
        sid = stableIdOf(e, schema.stableIdAttr);
      } catch {
        sid = undefined;
      }
      const stamp = schema.changeAttr ? first(e, schema.changeAttr) : undefined;
      if (!opts.knownGroupStamps || !sid || !stamp) {
        readGroups = true;
        break;
      }
      candidates.set(sid, stamp);
    }
    if (!readGroups && candidates.size) {
      const known = await opts.knownGroupStamps!([...candidates.keys()]);
      for (const [sid, stamp] of candidates) if (known.get(sid) !== stamp) readGroups = true;
    }
  }
  if (readGroups) {
    const stored = opts.storedGroups;
    // Import groups decide which users there are: their members are always resolved.
    const keying = seed !== undefined && stored && src.importMode === 'all'
      ? { seed: entryKey(neutralSum, false, entryKey(neutralCount, false, seed)), stored: stored.keys, storedCount: stored.count, usersUnchanged: unrecognised === 0 && !opts.userLimit && stored.usersUnchanged() }
      : undefined;
    // The users as the group pass sees them, built only when a member value is looked up (an unchanged directory's are not).
    let dnList: string[] | undefined;
    let nameList: string[] | undefined;
    const passUsers: GroupPassUsers = { dns: () => (dnList ??= users.map((u) => u.dn!)), usernames: () => (nameList ??= users.map((u) => u.username)) };
    const raw: RawDirectory = { users, groups: null, issues, protectedSourceIds, protectedGroupIds, maxChange, excluded, importFilteredByServer: inChainClause !== null, membersSame: false };
    if (opts.groupPass) {
      // Another thread reads the groups meanwhile (a first sync: writesUsersEarly in run-source.ts); the caller merges them in.
      raw.groupsLater = opts.groupPass(passUsers, keying);
      raw.groupsLater.catch(() => undefined); // awaited by the caller, unless it fails first
      return raw;
    }
    const g = await readGroupPass(conn, src, passUsers, keying, () => {
      groupCount++;
      if (groupCount % 200 === 0) progress('groups');
    });
    progress('groups');
    return mergeGroupPass(raw, g, schema.changeAttr);
  }
  return { users, groups: null, issues, protectedSourceIds, protectedGroupIds, maxChange, excluded, importFilteredByServer: inChainClause !== null, membersSame: false };
}

/** A group pass's result into the read (the groups of a read that had none yet). */
export function mergeGroupPass(raw: RawDirectory, g: GroupPassResult, changeAttr: string | null | undefined): RawDirectory {
  raw.groups = g.groups;
  raw.membersSame = g.membersSame;
  raw.maxChange = laterChange(raw.maxChange, g.maxChange ?? undefined, changeAttr ?? null);
  for (const i of g.issues) raw.issues.push(i);
  for (const id of g.protectedGroupIds) raw.protectedGroupIds.push(id);
  return raw;
}

/** readRaw + finishSnapshot in this thread (incremental syncs, Test settings, small directories). */
export async function readSource(conn: LdapConnection, src: LdapSource, opts: ReadOptions & { resolver?: (() => Promise<StoreResolver>) | undefined }): Promise<ReadResult> {
  const raw = await readRaw(conn, src, opts);
  const resolver = raw.groups && opts.resolver ? await opts.resolver() : undefined;
  return finishSnapshot(raw, src, resolver);
}

/** AD's highestCommittedUSN from the root DSE: the watermark of an incremental sync (read before searching). */
export async function highestCommittedUsn(conn: LdapConnection): Promise<string | undefined> {
  try {
    const root = await readEntry(conn, '', ['highestCommittedUSN']);
    const v = root ? first(root, 'highestCommittedUSN') : undefined;
    return v && /^\d+$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}


/**
 * The shapes a directory sync works on. Pure types: the LDAP reader (services/sync) fills a SourceSnapshot,
 * the store loader fills a StoreSnapshot, and planSync compares the two. Both snapshots are compact on purpose
 * (a 53-bit fingerprint stands for the detail fields on the store side) so that 100,000 users fit in tens of MB.
 */
import type { UserDetails } from '../users.ts';

export type SourceName = 'primary' | 'secondary';
export type SyncMode = 'full' | 'incremental';
export type MissingUsersPolicy = 'keep' | 'disable' | 'delete';

/** One line for the sync log (and Test settings): what happened, about which entry. */
export interface SyncIssue {
  level: 'info' | 'warn' | 'error';
  /** Stable machine code, e.g. "sync.duplicate_username". */
  code: string;
  message: string;
  /** The DN or username the line is about. */
  entry?: string | undefined;
}

/** A user as the directory describes it, already mapped to Spool's fields. */
export interface SourceUser {
  /** objectGUID / entryUUID / GUID as a canonical string: survives renames and moves. */
  sourceId: string;
  /** Normalised (lower-case NFC). */
  username: string;
  usernameAlias: string | null;
  dn: string | null;
  details: UserDetails;
  /** The card number could not be converted: keep whatever Spool has (a warning names the entry). */
  keepCard?: boolean;
  keepCard2?: boolean;
  /** Disabled in the directory. */
  disabled: boolean;
  /**
   * Keyed digest of the directory PIN (security/pins.ts); null when the entry has none; absent when no PIN
   * attribute is configured (PINs are then Spool's own business and never touched).
   */
  pinHash?: string | null;
  /**
   * Set by the reader when the entry's digest equals a stored row's (sameRecordOf): the store id of that row. Nothing
   * differs, the row is not loaded, and the record carries no details, so an unchanged directory costs little.
   */
  sameId?: number | undefined;
  /** userDigest() of this entry, set by the reader: what users.sync_digest holds once the row is exactly so. */
  digest?: number | undefined;
}

/**
 * A member reference inside a snapshot: `ref >= 0` is an index into SourceSnapshot.users; `ref < 0` is a store
 * user id (`-ref`), used when a group lists a user that was not read in this run (incremental sync, or an entry
 * that failed to map and must keep its memberships).
 */
export type MemberRef = number;

export interface SourceGroup {
  sourceId: string;
  name: string;
  dn: string | null;
  /** The entry's change stamp (modifyTimestamp / uSNChanged), kept to tell changed groups apart next time. */
  changed?: string | null | undefined;
  /** Resolved members (direct and nested), parallel to `direct` (1 = direct member, 0 = via a nested group). */
  members: MemberRef[];
  direct: number[];
  /** The entry's key (entryKey), stored with the group once its memberships are applied; absent: none stored. */
  key?: number | undefined;
  /**
   * Every user and group entry is as the last full sync left it, so the stored memberships are exactly what this
   * group's would resolve to: `members` is left empty and the memberships are neither loaded nor compared.
   */
  membersSame?: boolean | undefined;
}

export interface SourceSnapshot {
  users: SourceUser[];
  /** null: groups were not read in this run (group sync off, or an incremental run with no group changes). */
  groups: SourceGroup[] | null;
  /** Stable ids of entries that were seen but could not be used: never treated as missing. */
  protectedSourceIds: ReadonlySet<string>;
  /** Group stable ids seen but unusable (duplicate names...): never removed. */
  protectedGroupIds: ReadonlySet<string>;
  /** Problems found while reading and mapping entries. */
  issues: SyncIssue[];
}

export interface StoreUser {
  id: number;
  username: string;
  usernameAlias: string | null;
  source: string;
  sourceName: string | null;
  sourceId: string | null;
  dn: string | null;
  /** detailsFingerprint() of the stored details (card numbers excluded). */
  fingerprint: number;
  cardNumber: string | null;
  cardNumber2: string | null;
  /** Stored PIN digest (directory PINs) or hash (PINs set in Spool). */
  pinHash: string | null;
  disabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  /** users.sync_digest: null when the last sync did not leave the row exactly as its entry said, or another writer changed it since. */
  digest?: number | null | undefined;
}

export interface StoreGroup {
  id: number;
  name: string;
  source: string;
  sourceName: string | null;
  sourceId: string | null;
  dn: string | null;
  /** Change stamp recorded by the last sync that read this group. */
  changed?: string | null | undefined;
  /** groups.sync_key (SourceGroup.key as last applied); null when none. */
  key?: number | null | undefined;
  initialCreditCents: number | null;
  initialRestricted: boolean | null;
}

export interface StoreMembers {
  /** Typed arrays in practice: 650,000 memberships as numbers in plain arrays would cost 10 MB more. */
  userIds: ArrayLike<number>;
  direct: ArrayLike<number>;
}

/**
 * What Spool holds. In a full sync: every user and group (names must be unique across sources), except the rows
 * that "same" records (SourceUser.sameId) stand for. In an incremental sync: at least every user whose source id
 * or username occurs in the source snapshot.
 */
export interface StoreSnapshot {
  users: StoreUser[];
  groups: StoreGroup[];
  /** Current members of this source's groups, by group id (only needed when groups are synced). */
  memberships: ReadonlyMap<number, StoreMembers>;
}

export interface PlanOptions {
  sourceName: SourceName;
  mode: SyncMode;
  importDisabled: boolean;
  updateDetails: boolean;
  missingUsers: MissingUsersPolicy;
  deleteAfterDays: number;
  /** 0 turns the protection off. */
  deleteProtectionPercent: number;
  allowMassDelete: boolean;
  now: Date;
}

export interface UserAdd {
  /** Reference used by membership changes before the user has an id: -(index + 1). */
  ref: number;
  user: SourceUser;
}

export interface UserUpdate {
  id: number;
  /** Username before the sync (for the log). */
  from: string;
  user: SourceUser;
  rename: boolean;
  /** Names of the changed fields, e.g. ["department", "email"]. */
  changes: string[];
  /** Enable a user that the source had disabled (or that had gone missing and is back). */
  enable: boolean;
  /** Disable because the directory disabled the account. */
  disable: boolean;
  /** Re-link to a new stable id / source name (re-created account, primary taking over). */
  relink: boolean;
  /** When set, card numbers are written; when false the stored ones are kept. */
  writeCard: boolean;
  writeCard2: boolean;
  writeDetails: boolean;
  /** The directory's PIN changed (or appeared, or went away): write user.pinHash. */
  writePin: boolean;
  /** users.sync_digest after the update (null when the row will not be exactly what the entry says). */
  digest: number | null;
}

export interface UserDisable {
  id: number;
  username: string;
  reason: 'missing-from-source';
}

export interface UserDelete {
  id: number;
  username: string;
}

export interface GroupAdd {
  ref: number;
  sourceId: string;
  name: string;
  dn: string | null;
  changed: string | null;
}

export interface GroupUpdate {
  id: number;
  from: string;
  name: string;
  dn: string | null;
  sourceId: string;
  changed: string | null;
  /** Names of the changed fields; only "stamp" = bookkeeping, not counted as an update. */
  changes: string[];
}

export interface MembershipChange {
  /** Store group id (> 0) or a GroupAdd ref (< 0). */
  group: number;
  groupName: string;
  /** Store user ids (> 0) or UserAdd refs (< 0). */
  add: number[];
  addDirect: number[];
  remove: number[];
  /** Existing memberships whose direct/nested flag changes. */
  setDirect: Array<[userId: number, direct: number]>;
}

export interface SyncCounts {
  users: { added: number; updated: number; renamed: number; disabled: number; deleted: number; unchanged: number; skipped: number };
  groups: { added: number; updated: number; removed: number; unchanged: number };
  memberships: { added: number; removed: number; changed: number };
}

export interface PlanStop {
  code: 'sync.delete_protection' | 'sync.source_empty';
  message: string;
  hint: string;
}

export interface SyncPlan {
  userAdds: UserAdd[];
  userUpdates: UserUpdate[];
  userDisables: UserDisable[];
  userDeletes: UserDelete[];
  groupAdds: GroupAdd[];
  groupUpdates: GroupUpdate[];
  groupRemoves: Array<{ id: number; name: string }>;
  memberships: MembershipChange[];
  issues: SyncIssue[];
  counts: SyncCounts;
  /** Set when delete protection stopped the sync: nothing may be applied. */
  stopped: PlanStop | null;
  /** Unchanged users whose stored digest is missing or stale (bookkeeping, not a change): [id, digest]. */
  digestRefresh: Array<[id: number, digest: number]>;
  /** groups.sync_key to write once every membership is applied: group ref (store id, or GroupAdd ref < 0) and key. */
  groupKeys: Array<[ref: number, key: number | null]>;
  /** Clear every group key of this source (an incremental sync that changes anything). */
  forgetGroupKeys: boolean;
}

export function emptyCounts(): SyncCounts {
  return {
    users: { added: 0, updated: 0, renamed: 0, disabled: 0, deleted: 0, unchanged: 0, skipped: 0 },
    groups: { added: 0, updated: 0, removed: 0, unchanged: 0 },
    memberships: { added: 0, removed: 0, changed: 0 },
  };
}

/** Counts in one line, as the sync log's last line and `spool sync log` show them. */
export function describeCounts(c: SyncCounts): string {
  return `users +${c.users.added} ~${c.users.updated} renamed ${c.users.renamed} disabled ${c.users.disabled} deleted ${c.users.deleted} unchanged ${c.users.unchanged}; `
    + `groups +${c.groups.added} ~${c.groups.updated} -${c.groups.removed}; memberships +${c.memberships.added} -${c.memberships.removed}`;
}

/** Adds `b` into `a` (a run that syncs a primary and a secondary source reports one total). */
export function addCounts(a: SyncCounts, b: SyncCounts): SyncCounts {
  for (const part of ['users', 'groups', 'memberships'] as const) {
    const target = a[part] as unknown as Record<string, number>;
    for (const [k, v] of Object.entries(b[part])) target[k] = (target[k] ?? 0) + v;
  }
  return a;
}

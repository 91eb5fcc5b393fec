/**
 * planSync: the difference between what a directory says and what Spool holds, as a list of changes.
 *
 * Rules (issue 4):
 * - Users are matched by stable id (objectGUID / entryUUID / GUID). Same id, new username = rename: the account,
 *   balance and history stay with the user.
 * - Two entries mapping to one username are reported; neither wins (and neither is disabled as "missing").
 * - Internal and SCIM users are never touched; a directory user whose name they hold is reported, not imported.
 * - A user found in both the primary and the secondary directory belongs to the primary.
 * - Users missing from the source: keep, disable (default), or delete after N days disabled. Only in a full sync:
 *   an incremental one cannot see deletions.
 * - Delete protection: a sync that would disable or delete more than N% of this source's users, or a source that
 *   returns no users at all, stops (nothing applied) unless the admin allows it.
 * Pure code: no I/O.
 */
import { detailsFingerprint, rowOfSame } from './fingerprint.ts';
import { FirstIndex } from './first-index.ts';
import { planGroups } from './plan-groups.ts';
import type { PlanOptions, SourceSnapshot, StoreSnapshot, StoreUser, SyncIssue, SyncPlan, UserAdd, UserDelete, UserDisable, UserUpdate } from './types.ts';
import { emptyCounts } from './types.ts';

const DAY_MS = 86_400_000;

/** True when a stored row (user or group) came from the source being synced. */
export function isOwnRow(row: { source: string; sourceName: string | null }, sourceName: string): boolean {
  return row.source === 'ldap' && (row.sourceName ?? 'primary') === sourceName;
}

function holderLabel(s: StoreUser): string {
  if (s.source === 'internal') return 'an internal user';
  if (s.source === 'scim') return 'a user provisioned over SCIM';
  if (s.source === 'ldap') return `a user of the ${s.sourceName ?? 'primary'} directory`;
  return `a ${s.source} user`;
}

/** The users' part of a plan (planUsers), which planGroups then builds on. */
export interface UserPlan extends Pick<SyncPlan, 'userAdds' | 'userUpdates' | 'userDisables' | 'userDeletes' | 'issues' | 'counts' | 'stopped' | 'digestRefresh'> {
  /** Final reference of each source user: store id (> 0), UserAdd ref (< 0), 0 = not in Spool after this sync. */
  userRef: Float64Array;
  /** How many of the source's issues `issues` holds (a read adds its groups' issues after its users'). */
  sourceIssues: number;
}

/**
 * A sync's plan: the users' part (planUsers), then the groups' part on it. `users` is the users' part planned
 * already from the same users and stored users (a first sync plans and writes its users while the groups are read).
 */
export function planSync(src: SourceSnapshot, store: StoreSnapshot, opt: PlanOptions, users: UserPlan = planUsers(src, store, opt)): SyncPlan {
  const { userAdds, userUpdates, userDisables, userDeletes, counts, stopped, digestRefresh } = users;
  const issues = users.issues.concat(src.issues.slice(users.sourceIssues));
  const deleted = new Set(userDeletes.map((d) => d.id));
  const groupPart = planGroups(src, store, opt, users.userRef, deleted, issues, counts);
  // Group keys vouch for memberships only as the last full sync left users and groups: an incremental sync that
  // changes what member values resolve to (users added or gone, a DN, username or stable id, the enabled state)
  // or any group voids them all (SourceGroup.membersSame). Detail changes (office, card...) leave them be.
  const resolving = (u: UserUpdate): boolean => u.rename || u.relink || u.enable || u.disable || u.changes.includes('dn');
  const forgetGroupKeys = opt.mode === 'incremental'
    && (userAdds.length + userDisables.length + userDeletes.length + groupPart.groupAdds.length + groupPart.groupUpdates.length + groupPart.groupRemoves.length + groupPart.memberships.length > 0
      || userUpdates.some(resolving));
  return { userAdds, userUpdates, userDisables, userDeletes, ...groupPart, issues, counts, stopped, digestRefresh, forgetGroupKeys };
}

/** The users' part of a plan (rules 1-6 above): it needs the source's users and their issues, not its groups. */
export function planUsers(src: Pick<SourceSnapshot, 'users' | 'protectedSourceIds' | 'issues'>, store: Pick<StoreSnapshot, 'users'>, opt: PlanOptions): UserPlan {
  const issues: SyncIssue[] = [...src.issues];
  const counts = emptyCounts();
  const protectedIds = new Set(src.protectedSourceIds);
  const users = src.users;
  const n = users.length;

  // Rows of "same" records (SourceUser.sameId) are not in store.users: such a record is its row. The maps below
  // hold the other rows, so an unchanged directory costs a pass over the records and no lookups.
  const storeById = new Map<number, StoreUser>();
  const ownBySourceId = new Map<string, StoreUser>();
  const byUsername = new Map<string, StoreUser>();
  let ownCount = 0;
  const addRow = (s: StoreUser): void => {
    storeById.set(s.id, s);
    byUsername.set(s.username, s);
    if (isOwnRow(s, opt.sourceName)) {
      ownCount++;
      if (s.sourceId) ownBySourceId.set(s.sourceId, s);
    }
  };
  for (const s of store.users) addRow(s);
  for (let i = 0; i < n; i++) if (users[i]!.sameId !== undefined) ownCount++;

  // 1. Entries that cannot be used: the same stable id twice, or two entries claiming one username.
  const usable = new Uint8Array(n);
  const byId = new FirstIndex(n, (i) => users[i]!.sourceId);
  // First entry per username; a list only for the (rare) names claimed twice: no array per user.
  const byName = new FirstIndex(n, (i) => users[i]!.username);
  const claimedTwice = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const u = users[i]!;
    if (byId.claim(i) >= 0) {
      issues.push({ level: 'warn', code: 'sync.duplicate_entry', message: `Entry "${u.dn ?? u.username}" has the same stable id as another entry (listed twice, e.g. under two base DNs); it was read once.`, entry: u.dn ?? u.username });
      continue;
    }
    usable[i] = 1;
    const first = byName.claim(i);
    if (first >= 0) (claimedTwice.get(u.username) ?? claimedTwice.set(u.username, [first]).get(u.username)!).push(i);
  }
  for (const [name, idxs] of claimedTwice) {
    for (const i of idxs) {
      usable[i] = 0;
      protectedIds.add(users[i]!.sourceId);
    }
    counts.users.skipped += idxs.length;
    const dns = idxs.map((i) => users[i]!.dn ?? users[i]!.sourceId);
    issues.push({
      level: 'error',
      code: 'sync.duplicate_username',
      message: `${idxs.length} directory entries map to the username "${name}": ${dns.join(' | ')}. Neither was imported or updated; give each a unique username in the directory.`,
      entry: name,
    });
  }
  // Aliases are sign-in names too: one alias on two users would let one sign in as the other's print account.
  // Counted only for aliases held more than once.
  const aliasIndex = new FirstIndex(n, (i) => users[i]!.usernameAlias!);
  const aliasUse = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const a = users[i]!.usernameAlias;
    if (usable[i] && a && aliasIndex.claim(i) >= 0) aliasUse.set(a, (aliasUse.get(a) ?? 1) + 1);
  }
  const aliasOf = (i: number): string | null => {
    const a = users[i]!.usernameAlias;
    return a && aliasUse.has(a) ? null : a;
  };
  for (const [alias, c] of aliasUse) {
    issues.push({ level: 'warn', code: 'sync.duplicate_alias', message: `${c} users have the alias "${alias}"; it was left off all of them.`, entry: alias });
  }

  // A "same" record that cannot be used leaves its row unmatched: the row then takes part like any other (its
  // name stays taken, it is not "missing", another entry with its stable id may match it).
  for (let i = 0; i < n; i++) if (!usable[i] && users[i]!.sameId !== undefined) addRow(rowOfSame(users[i]!, opt.sourceName));

  // 2. Match by stable id, then by username where the stored user's own entry is gone (re-created account) or
  //    belongs to the secondary directory while this is the primary. A usable "same" record is matched already.
  const matchOf = new Int32Array(n);
  const relink = new Uint8Array(n);
  const skip = new Uint8Array(n);
  const matched = new Set<number>();
  const same = (i: number): boolean => usable[i] === 1 && users[i]!.sameId !== undefined;
  for (let i = 0; i < n; i++) {
    if (!usable[i]) continue;
    if (users[i]!.sameId !== undefined) {
      matchOf[i] = users[i]!.sameId!;
      continue;
    }
    const s = ownBySourceId.get(users[i]!.sourceId);
    if (s) {
      matchOf[i] = s.id;
      matched.add(s.id);
    }
  }
  for (let i = 0; i < n; i++) {
    if (!usable[i] || matchOf[i]) continue;
    const u = users[i]!;
    const o = byUsername.get(u.username);
    if (!o || matched.has(o.id) || o.source !== 'ldap') continue;
    const oName = o.sourceName ?? 'primary';
    if (oName === opt.sourceName) {
      const gone = o.sourceId === null || (opt.mode === 'full' && byId.find(o.sourceId) < 0 && !protectedIds.has(o.sourceId));
      if (!gone) continue;
      issues.push({ level: 'info', code: 'sync.relinked', message: `User "${u.username}" now follows directory entry "${u.dn ?? u.sourceId}" (its stable id changed, e.g. the account was re-created); balance and history kept.`, entry: u.username });
    } else if (opt.sourceName === 'primary') {
      issues.push({ level: 'info', code: 'sync.primary_takes_over', message: `User "${u.username}" also exists in the primary directory, which takes precedence over the secondary one.`, entry: u.username });
    } else {
      skip[i] = 1;
      issues.push({ level: 'info', code: 'sync.primary_wins', message: `Entry "${u.dn ?? u.username}" was skipped: user "${u.username}" comes from the primary directory, which takes precedence.`, entry: u.username });
      continue;
    }
    matchOf[i] = o.id;
    matched.add(o.id);
    relink[i] = 1;
  }

  // 3. Final usernames. Unmatched stored users keep theirs; a rename onto one of them is refused (old name kept).
  const taken = new Map<string, StoreUser>();
  for (const s of storeById.values()) if (!matched.has(s.id)) taken.set(s.username, s);
  const finalName: Array<string | undefined> = new Array(n);
  let renames = 0;
  /** The username a matched record's row has now. */
  const storedName = (i: number): string => (same(i) ? users[i]!.username : storeById.get(matchOf[i]!)!.username);
  for (let i = 0; i < n; i++) {
    if (!usable[i] || skip[i] || !matchOf[i]) continue;
    const u = users[i]!;
    if (same(i)) {
      finalName[i] = u.username;
      continue;
    }
    const s = storeById.get(matchOf[i]!)!;
    if (u.username === s.username) {
      finalName[i] = u.username;
      continue;
    }
    renames++;
    const holder = taken.get(u.username);
    if (u.username !== s.username && holder) {
      issues.push({ level: 'error', code: 'sync.rename_conflict', message: `User "${s.username}" was renamed to "${u.username}" in the directory, but that name belongs to ${holderLabel(holder)}; the old name was kept.`, entry: u.dn ?? s.username });
      finalName[i] = s.username;
    } else finalName[i] = u.username;
  }
  // A kept old name can collide with another user's new name: that rename waits too (repeat until stable).
  // Without renames every final name is a stored one, unique already.
  for (let pass = 0; renames > 0 && pass < 5; pass++) {
    const owner = new Map<string, number>();
    let changed = false;
    for (let i = 0; i < n; i++) {
      const f = finalName[i];
      if (f === undefined) continue;
      const other = owner.get(f);
      if (other === undefined) {
        owner.set(f, i);
        continue;
      }
      // The one whose final name is its new name yields.
      const loser = finalName[i] === storedName(i) ? other : i;
      const old = storedName(loser);
      issues.push({ level: 'error', code: 'sync.rename_conflict', message: `User "${old}" cannot be renamed to "${f}" yet: another user still holds that name; the old name was kept.`, entry: users[loser]!.dn ?? old });
      finalName[loser] = old;
      owner.set(f, loser === i ? other : i);
      changed = true;
    }
    if (!changed) break;
  }
  // Names matched users hold after this sync, needed only when there are new users (built on the first one). New
  // users' names need not go in: no two usable entries share a username (step 1).
  let finalNamesSet: Set<string> | undefined;
  const finalNames = (): Set<string> => (finalNamesSet ??= new Set(finalName.filter((f): f is string => f !== undefined)));

  // 4. Adds and updates.
  const userAdds: UserAdd[] = [];
  const userUpdates: UserUpdate[] = [];
  const userRef = new Float64Array(n);
  const digestRefresh: SyncPlan['digestRefresh'] = [];
  for (let i = 0; i < n; i++) {
    if (!usable[i] || skip[i]) continue;
    const u = users[i]!;
    if (!matchOf[i]) {
      if (u.disabled && !opt.importDisabled) continue;
      const holder = taken.get(u.username);
      if (holder || finalNames().has(u.username)) {
        counts.users.skipped++;
        issues.push({ level: 'error', code: 'sync.username_taken', message: `Entry "${u.dn ?? u.sourceId}" maps to username "${u.username}", which belongs to ${holder ? holderLabel(holder) : 'another directory user'}; it was not imported.`, entry: u.dn ?? u.username });
        continue;
      }
      const ref = -(userAdds.length + 1);
      userAdds.push({ ref, user: aliasOf(i) === u.usernameAlias ? u : { ...u, usernameAlias: aliasOf(i), digest: undefined } });
      userRef[i] = ref;
      counts.users.added++;
      continue;
    }
    if (same(i)) {
      userRef[i] = matchOf[i]!;
      counts.users.unchanged++;
      continue;
    }
    const s = storeById.get(matchOf[i]!)!;
    userRef[i] = s.id;
    const name = finalName[i]!;
    const alias = aliasOf(i);
    const changes: string[] = [];
    const rename = name !== s.username;
    const compare = opt.updateDetails;
    const writeDetails = compare && detailsFingerprint(u.details) !== s.fingerprint;
    if (writeDetails) changes.push('details');
    const writeCard = compare && !u.keepCard && u.details.cardNumber !== s.cardNumber;
    if (writeCard) changes.push('cardNumber');
    const writeCard2 = compare && !u.keepCard2 && u.details.cardNumber2 !== s.cardNumber2;
    if (writeCard2) changes.push('cardNumber2');
    const writePin = compare && u.pinHash !== undefined && u.pinHash !== s.pinHash;
    if (writePin) changes.push('pin');
    if (alias !== s.usernameAlias) changes.push('usernameAlias');
    if (u.dn !== s.dn) changes.push('dn');
    const isRelink = relink[i] === 1 || s.sourceId !== u.sourceId || (s.sourceName ?? 'primary') !== opt.sourceName;
    if (isRelink) changes.push('sourceId');
    const disable = u.disabled && !s.disabled;
    const enable = !u.disabled && s.disabled && (s.disabledReason === 'source' || s.disabledReason === 'missing-from-source');
    if (disable) changes.push('disabled');
    if (enable) changes.push('enabled');
    // Every compared field that differs is written, so the row ends up as the entry says unless a name or the
    // disabled state stays Spool's (a rename conflict, a duplicate alias, a user disabled by an admin).
    const finalDisabled = disable ? true : enable ? false : s.disabled;
    const digest = u.digest !== undefined && name === u.username && alias === u.usernameAlias && finalDisabled === u.disabled ? u.digest : null;
    if (!rename && changes.length === 0) {
      counts.users.unchanged++;
      if (digest !== null && digest !== s.digest) digestRefresh.push([s.id, digest]);
      continue;
    }
    if (rename) changes.unshift('username');
    userUpdates.push({
      id: s.id, from: s.username, user: { ...u, username: name, usernameAlias: alias },
      rename, changes, enable, disable, relink: isRelink, writeCard, writeCard2, writeDetails, writePin, digest,
    });
    if (disable) counts.users.disabled++;
    else if (rename) counts.users.renamed++;
    else counts.users.updated++;
  }

  // 5. Users missing from the source (full sync only).
  const userDisables: UserDisable[] = [];
  const userDeletes: UserDelete[] = [];
  if (opt.mode === 'full' && opt.missingUsers !== 'keep') {
    const cutoff = opt.now.getTime() - opt.deleteAfterDays * DAY_MS;
    for (const s of storeById.values()) {
      if (!isOwnRow(s, opt.sourceName) || matched.has(s.id)) continue;
      if (s.sourceId && protectedIds.has(s.sourceId)) continue;
      if (!s.disabled) {
        userDisables.push({ id: s.id, username: s.username, reason: 'missing-from-source' });
        counts.users.disabled++;
      } else if (opt.missingUsers === 'delete' && s.disabledAt && Date.parse(s.disabledAt) <= cutoff) {
        userDeletes.push({ id: s.id, username: s.username });
        counts.users.deleted++;
      }
    }
  }

  // 6. Delete protection.
  let stopped: SyncPlan['stopped'] = null;
  const removals = counts.users.disabled + counts.users.deleted;
  if (opt.mode === 'full' && ownCount > 0 && n === 0 && protectedIds.size === 0) {
    stopped = {
      code: 'sync.source_empty',
      message: `The directory returned no users, so all ${ownCount} users from it would be disabled or deleted. Nothing was changed.`,
      hint: 'Check the base DN, the user filter and that the bind account may read users. If the directory really is empty now, run "spool sync now --allow-mass-delete" (or confirm in the console).',
    };
  } else if (opt.deleteProtectionPercent > 0 && ownCount > 0 && removals * 100 > opt.deleteProtectionPercent * ownCount) {
    const pct = Math.round((removals * 1000) / ownCount) / 10;
    stopped = {
      code: 'sync.delete_protection',
      message: `This sync would disable or delete ${removals} of the ${ownCount} users from this directory (${pct}%), more than the ${opt.deleteProtectionPercent}% allowed by sync.delete-protection-percent. Nothing was changed.`,
      hint: 'If this is expected, run "spool sync now --allow-mass-delete" (or confirm in the console). Otherwise check the base DN, the user and exclusion filters, and the bind account\'s rights.',
    };
  }
  if (stopped && opt.allowMassDelete) {
    issues.push({ level: 'warn', code: 'sync.delete_protection_overridden', message: `Delete protection overridden by the admin: ${stopped.message.replace(' Nothing was changed.', '')}` });
    stopped = null;
  }

  return { userAdds, userUpdates, userDisables, userDeletes, issues, counts, stopped, digestRefresh, userRef, sourceIssues: src.issues.length };
}

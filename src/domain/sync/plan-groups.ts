/**
 * The group half of planSync: groups added, renamed, removed, and memberships added and removed.
 * Same rules as for users: match by stable id, two groups with one name are reported and neither wins,
 * internal and SCIM groups are never touched, the primary directory wins over the secondary.
 * Pure code: no I/O.
 */
import { normalizeGroupName } from '../groups.ts';
import type { GroupAdd, GroupUpdate, MembershipChange, PlanOptions, SourceSnapshot, StoreGroup, StoreSnapshot, SyncCounts, SyncIssue } from './types.ts';

const own = (g: StoreGroup, sourceName: string): boolean => g.source === 'ldap' && (g.sourceName ?? 'primary') === sourceName;
const key = (name: string): string => name.trim().toLowerCase();

function isValidGroupName(name: string): boolean {
  try {
    normalizeGroupName(name);
    return true;
  } catch {
    return false;
  }
}

function holderLabel(g: StoreGroup): string {
  if (g.source === 'internal') return 'a group created in Spool';
  if (g.source === 'scim') return 'a group provisioned over SCIM';
  return `a group of the ${g.sourceName ?? 'primary'} directory`;
}

export interface GroupPlan {
  groupAdds: GroupAdd[];
  groupUpdates: GroupUpdate[];
  groupRemoves: Array<{ id: number; name: string }>;
  memberships: MembershipChange[];
  groupKeys: Array<[ref: number, key: number | null]>;
}

/**
 * `userRef[i]` is the final reference of source user i (store id > 0, UserAdd ref < 0, 0 = not in Spool);
 * `deleted` holds store user ids this sync deletes (their memberships go with them).
 */
export function planGroups(
  src: SourceSnapshot, store: StoreSnapshot, opt: PlanOptions, userRef: Float64Array, deleted: ReadonlySet<number>,
  issues: SyncIssue[], counts: SyncCounts,
): GroupPlan {
  const out: GroupPlan = { groupAdds: [], groupUpdates: [], groupRemoves: [], memberships: [], groupKeys: [] };
  const groups = src.groups;
  if (groups === null) return out;
  const protectedIds = new Set(src.protectedGroupIds);

  const ownBySid = new Map<string, StoreGroup>();
  const byKey = new Map<string, StoreGroup>();
  for (const g of store.groups) {
    byKey.set(key(g.name), g);
    if (own(g, opt.sourceName) && g.sourceId) ownBySid.set(g.sourceId, g);
  }

  const usable = new Uint8Array(groups.length);
  const sids = new Set<string>();
  const byName = new Map<string, number[]>();
  groups.forEach((g, i) => {
    if (sids.has(g.sourceId)) return;
    sids.add(g.sourceId);
    if (!isValidGroupName(g.name)) {
      protectedIds.add(g.sourceId);
      issues.push({ level: 'error', code: 'sync.invalid_group_name', message: `Group "${g.dn ?? g.sourceId}" has no usable name ("${g.name}"); it was not synced.`, entry: g.dn ?? g.name });
      return;
    }
    usable[i] = 1;
    const k = key(g.name);
    const l = byName.get(k);
    if (l) l.push(i);
    else byName.set(k, [i]);
  });
  for (const [, idxs] of byName) {
    if (idxs.length < 2) continue;
    for (const i of idxs) {
      usable[i] = 0;
      protectedIds.add(groups[i]!.sourceId);
    }
    issues.push({
      level: 'error',
      code: 'sync.duplicate_group_name',
      message: `${idxs.length} directory groups are named "${groups[idxs[0]!]!.name}": ${idxs.map((i) => groups[i]!.dn ?? groups[i]!.sourceId).join(' | ')}. Neither was synced; rename one in the directory or limit the synced groups.`,
      entry: groups[idxs[0]!]!.name,
    });
  }

  const matchOf = new Map<number, StoreGroup>();
  const matched = new Set<number>();
  groups.forEach((g, i) => {
    if (!usable[i]) return;
    const s = ownBySid.get(g.sourceId);
    if (s) {
      matchOf.set(i, s);
      matched.add(s.id);
    }
  });
  groups.forEach((g, i) => {
    if (!usable[i] || matchOf.has(i)) return;
    const o = byKey.get(key(g.name));
    if (!o || matched.has(o.id) || o.source !== 'ldap') return;
    const oName = o.sourceName ?? 'primary';
    if (oName === opt.sourceName ? o.sourceId === null || (!sids.has(o.sourceId) && !protectedIds.has(o.sourceId)) : opt.sourceName === 'primary') {
      matchOf.set(i, o);
      matched.add(o.id);
    }
  });
  const taken = new Map<string, StoreGroup>();
  for (const g of store.groups) if (!matched.has(g.id)) taken.set(key(g.name), g);

  const groupRef = new Map<number, number>();
  const finalKeys = new Set<string>();
  groups.forEach((g, i) => {
    if (!usable[i]) return;
    const s = matchOf.get(i);
    if (!s) return;
    let name = g.name;
    const holder = taken.get(key(g.name));
    if (key(name) !== key(s.name) && holder) {
      issues.push({ level: 'error', code: 'sync.group_rename_conflict', message: `Group "${s.name}" was renamed to "${g.name}" in the directory, but that name belongs to ${holderLabel(holder)}; the old name was kept.`, entry: g.dn ?? s.name });
      name = s.name;
    }
    finalKeys.add(key(name));
    groupRef.set(i, s.id);
    const changes: string[] = [];
    if (name !== s.name) changes.push('name');
    if (g.dn !== s.dn) changes.push('dn');
    if (s.sourceId !== g.sourceId || (s.sourceName ?? 'primary') !== opt.sourceName) changes.push('sourceId');
    const stampOnly = changes.length === 0 && (g.changed ?? null) !== (s.changed ?? null);
    if (changes.length || stampOnly) out.groupUpdates.push({ id: s.id, from: s.name, name, dn: g.dn, sourceId: g.sourceId, changed: g.changed ?? null, changes: stampOnly ? ['stamp'] : changes });
    if (changes.length) counts.groups.updated++;
    else counts.groups.unchanged++;
  });
  groups.forEach((g, i) => {
    if (!usable[i] || matchOf.has(i)) return;
    const holder = taken.get(key(g.name));
    if (holder && !(holder.source === 'ldap' && (holder.sourceName ?? 'primary') === 'primary' && opt.sourceName === 'secondary')) {
      issues.push({ level: 'error', code: 'sync.group_name_taken', message: `Directory group "${g.dn ?? g.name}" is named "${g.name}", which belongs to ${holderLabel(holder)}; it was not synced.`, entry: g.dn ?? g.name });
      return;
    }
    if (holder || finalKeys.has(key(g.name))) return; // the primary directory's group of that name wins
    finalKeys.add(key(g.name));
    const ref = -(out.groupAdds.length + 1);
    out.groupAdds.push({ ref, sourceId: g.sourceId, name: g.name, dn: g.dn, changed: g.changed ?? null });
    groupRef.set(i, ref);
    counts.groups.added++;
  });
  // Groups gone from the source (every synced group was read: a group pass is always complete).
  for (const g of store.groups) {
    if (!own(g, opt.sourceName) || matched.has(g.id) || (g.sourceId && protectedIds.has(g.sourceId))) continue;
    out.groupRemoves.push({ id: g.id, name: g.name });
    counts.groups.removed++;
  }

  // Entry keys, written once the memberships are applied (SourceGroup.key). Every other group of this source that
  // stays loses its key: its memberships were not planned in this run (unusable, protected, or not keyed:
  // incremental syncs).
  const plannedKey = new Map<number, number>();
  groups.forEach((g, i) => {
    const ref = groupRef.get(i);
    if (ref === undefined || g.key === undefined) return;
    if (ref < 0) out.groupKeys.push([ref, g.key]);
    else plannedKey.set(ref, g.key);
  });
  const removed = new Set(out.groupRemoves.map((g) => g.id));
  for (const s of store.groups) {
    if (!own(s, opt.sourceName) || removed.has(s.id)) continue;
    const want = plannedKey.get(s.id) ?? null;
    if (want !== (s.key ?? null)) out.groupKeys.push([s.id, want]);
  }

  // Memberships of every kept group: desired (direct + nested) against stored. 650,000 memberships go through
  // here on every full sync, so the desired set is marked in typed arrays indexed by user reference instead of a
  // Map per group: want[u] = 0 (not wanted), 1 (via a nested group) or 2 (direct); -1 once matched to a stored row.
  let maxStoreId = 0;
  for (const s of store.users) if (s.id > maxStoreId) maxStoreId = s.id;
  for (const [, cur] of store.memberships) for (let k = 0; k < cur.userIds.length; k++) if (cur.userIds[k]! > maxStoreId) maxStoreId = cur.userIds[k]!;
  // Members known only to the store (an incremental sync loads only the users it touches) come as -storeId.
  for (const g of groups) for (const m of g.members) if (-m > maxStoreId) maxStoreId = -m;
  for (let i = 0; i < userRef.length; i++) if (userRef[i]! > maxStoreId) maxStoreId = userRef[i]!;
  let minRef = 0;
  for (let i = 0; i < userRef.length; i++) if (userRef[i]! < minRef) minRef = userRef[i]!;
  const wantStored = new Int8Array(maxStoreId + 1);
  const wantNew = new Int8Array(-minRef + 1);
  const wantOf = (u: number): number => (u > 0 ? wantStored[u]! : wantNew[-u]!);
  const setWant = (u: number, v: number): void => {
    if (u > 0) wantStored[u] = v;
    else wantNew[-u] = v;
  };
  const order: number[] = [];
  groups.forEach((g, i) => {
    const ref = groupRef.get(i);
    if (ref === undefined || g.membersSame) return;
    order.length = 0;
    for (let k = 0; k < g.members.length; k++) {
      const m = g.members[k]!;
      const u = m >= 0 ? userRef[m] ?? 0 : -m;
      if (!u || (u > 0 && deleted.has(u))) continue;
      const w = (g.direct[k] ?? 0) + 1;
      const had = wantOf(u);
      if (had === 0) order.push(u);
      if (had < w) setWant(u, w);
    }
    const current = ref > 0 ? store.memberships.get(ref) : undefined;
    const change: MembershipChange = { group: ref, groupName: g.name, add: [], addDirect: [], remove: [], setDirect: [] };
    if (current) {
      for (let k = 0; k < current.userIds.length; k++) {
        const id = current.userIds[k]!;
        const want = wantStored[id]!;
        if (want <= 0) {
          if (want === 0 && !deleted.has(id)) change.remove.push(id);
        } else {
          if (want - 1 !== current.direct[k]) change.setDirect.push([id, want - 1]);
          wantStored[id] = -1;
        }
      }
    }
    for (const u of order) {
      const w = wantOf(u);
      if (w > 0) {
        change.add.push(u);
        change.addDirect.push(w - 1);
      }
      setWant(u, 0);
    }
    if (change.add.length || change.remove.length || change.setDirect.length) {
      out.memberships.push(change);
      counts.memberships.added += change.add.length;
      counts.memberships.removed += change.remove.length;
      counts.memberships.changed += change.setDirect.length;
    }
  });
  return out;
}

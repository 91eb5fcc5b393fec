/** The last step of a directory read: from raw users and groups to the planner's SourceSnapshot. */
import { membersOfGroups, resolveNestedMembers, type GroupNode } from '../../domain/sync/nested-groups.ts';
import type { MemberRef, SourceGroup, SourceUser } from '../../domain/sync/types.ts';
import { dnKey } from './dn-key.ts';
import { isDn } from './filters.ts';
import type { LdapSource } from './ldap-source.ts';
import type { RawDirectory, RawGroup, ReadResult, StoreResolver } from './read-directory.ts';

/**
 * Turns a raw read into the planner's SourceSnapshot: nested groups resolved (cycle-safe), users limited to the
 * import groups' members, groups limited to ldap.sync-groups-filter, members that are not users of this read
 * looked up in the store (incremental syncs; entries that failed to map keep their memberships).
 */
export function finishSnapshot(raw: RawDirectory, src: LdapSource, resolver: StoreResolver | undefined): ReadResult {
  const issues = raw.issues;
  let users = raw.users;
  let groups: SourceGroup[] | null = null;
  let notInImportGroups = 0;
  if (raw.groups && raw.membersSame) {
    // Nothing changed since the last full sync: the groups' memberships stay as stored (read-groups.ts, GroupKeying).
    if (src.syncGroups) groups = wantedGroups(raw.groups, src).map((g) => ({ sourceId: g.sourceId, name: g.name, dn: g.dn, changed: g.changed, members: [], direct: [], key: g.entryKey, membersSame: true }));
  } else if (raw.groups) {
    const rg = raw.groups;
    const byKey = new Map<string, number>();
    rg.forEach((g, i) => byKey.set(g.key, i));
    const nodes: GroupNode[] = rg.map((g) => {
      const members: MemberRef[] = g.users.slice();
      const subgroups: number[] = [];
      for (const k of g.other) {
        const gi = byKey.get(k);
        if (gi !== undefined) {
          subgroups.push(gi);
          continue;
        }
        const id = k.startsWith('uid:') ? resolver?.byUsername(k.slice(4)) : resolver?.byDnKey(k);
        if (id !== undefined) members.push(-id);
      }
      return { users: members, groups: subgroups };
    });
    let remap: Int32Array | null = null;
    if (src.importMode === 'groups' && !raw.importFilteredByServer) {
      const roots: number[] = [];
      for (const ref of src.importGroups) {
        const idx = isDn(ref) ? byKey.get(dnKey(ref)) : rg.findIndex((g) => g.name.toLowerCase() === ref.trim().toLowerCase());
        if (idx === undefined || idx < 0) issues.push({ level: 'error', code: 'sync.import_group_not_found', message: `The import group "${ref}" was not found in the directory; its members are not imported.`, entry: ref });
        else roots.push(idx);
      }
      const allowed = membersOfGroups(nodes, roots);
      remap = new Int32Array(users.length).fill(-1);
      const kept: SourceUser[] = [];
      for (let i = 0; i < users.length; i++) {
        if (allowed.has(i)) {
          remap[i] = kept.length;
          kept.push(users[i]!);
        } else notInImportGroups++;
      }
      users = kept;
    }
    if (src.syncGroups) {
      const resolved = resolveNestedMembers(nodes);
      const wanted = new Set(wantedGroups(rg, src));
      groups = [];
      for (let i = 0; i < rg.length; i++) {
        const g = rg[i]!;
        if (!wanted.has(g)) continue;
        const r = resolved[i]!;
        let members: MemberRef[] = r.members;
        let direct = r.direct;
        if (remap) {
          members = [];
          direct = [];
          for (let k = 0; k < r.members.length; k++) {
            const m = r.members[k]!;
            const to = m >= 0 ? remap[m]! : m;
            if (m < 0 || to >= 0) {
              members.push(to);
              direct.push(r.direct[k]!);
            }
          }
        }
        groups.push({ sourceId: g.sourceId, name: g.name, dn: g.dn, changed: g.changed, members, direct, key: g.entryKey });
      }
    }
  }
  return {
    snapshot: { users, groups, protectedSourceIds: new Set(raw.protectedSourceIds), protectedGroupIds: new Set(raw.protectedGroupIds), issues },
    maxChange: raw.maxChange,
    groupsRead: raw.groups !== null,
    excluded: raw.excluded,
    notInImportGroups,
  };
}

/** The groups ldap.sync-groups-filter lets through (all when it is empty). */
function wantedGroups(rg: readonly RawGroup[], src: LdapSource): RawGroup[] {
  if (!src.syncGroupsFilter.length) return rg.slice();
  const wanted = new Set(src.syncGroupsFilter.map((f) => (isDn(f) ? dnKey(f) : `name:${f.trim().toLowerCase()}`)));
  return rg.filter((g) => wanted.has(g.key) || wanted.has(`name:${g.name.toLowerCase()}`));
}

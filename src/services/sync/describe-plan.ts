/** What a dry run shows: every planned change by name (each list capped at 1,000; the counts are exact). */
import type { SyncPlan } from '../../domain/sync/types.ts';

export interface PlannedChanges {
  usersAdded: Array<{ username: string; dn: string | null; disabled: boolean }>;
  usersUpdated: Array<{ username: string; changes: string[] }>;
  usersRenamed: Array<{ from: string; to: string }>;
  usersDisabled: Array<{ username: string; reason: string }>;
  usersEnabled: string[];
  usersDeleted: string[];
  groupsAdded: string[];
  groupsUpdated: Array<{ from: string; name: string; changes: string[] }>;
  groupsRemoved: string[];
  memberships: Array<{ group: string; added: number; removed: number; changed: number }>;
}

const CAP = 1000;

export function describeChanges(plans: readonly SyncPlan[]): PlannedChanges {
  const out: PlannedChanges = {
    usersAdded: [], usersUpdated: [], usersRenamed: [], usersDisabled: [], usersEnabled: [], usersDeleted: [],
    groupsAdded: [], groupsUpdated: [], groupsRemoved: [], memberships: [],
  };
  const push = <T>(list: T[], v: T): void => {
    if (list.length < CAP) list.push(v);
  };
  for (const p of plans) {
    for (const a of p.userAdds) push(out.usersAdded, { username: a.user.username, dn: a.user.dn, disabled: a.user.disabled });
    for (const u of p.userUpdates) {
      if (u.rename) push(out.usersRenamed, { from: u.from, to: u.user.username });
      if (u.disable) push(out.usersDisabled, { username: u.user.username, reason: 'disabled in the directory' });
      if (u.enable) push(out.usersEnabled, u.user.username);
      const other = u.changes.filter((c) => !['username', 'disabled', 'enabled'].includes(c));
      if (other.length) push(out.usersUpdated, { username: u.user.username, changes: other });
    }
    for (const d of p.userDisables) push(out.usersDisabled, { username: d.username, reason: 'missing from the directory' });
    for (const d of p.userDeletes) push(out.usersDeleted, d.username);
    for (const g of p.groupAdds) push(out.groupsAdded, g.name);
    for (const g of p.groupUpdates) if (g.changes[0] !== 'stamp') push(out.groupsUpdated, { from: g.from, name: g.name, changes: g.changes });
    for (const g of p.groupRemoves) push(out.groupsRemoved, g.name);
    for (const m of p.memberships) push(out.memberships, { group: m.groupName, added: m.add.length, removed: m.remove.length, changed: m.setDirect.length });
  }
  return out;
}

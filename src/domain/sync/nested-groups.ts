/**
 * Nested groups resolved in Spool (OpenLDAP, eDirectory, and AD when the in-chain rule is not used): a user in
 * group B, where B is a member of A, is a (nested) member of A. Directories allow cycles (A ⊃ B ⊃ A); each walk
 * keeps a visited mark per group, so a cycle ends the walk instead of looping.
 * Pure code: no I/O.
 */
import type { MemberRef } from './types.ts';

export interface GroupNode {
  /** Direct user members. */
  users: readonly MemberRef[];
  /** Direct member groups (indexes into the same node array). */
  groups: readonly number[];
}

export interface ResolvedMembers {
  members: MemberRef[];
  /** Parallel to members: 1 = direct member, 0 = only through a nested group. */
  direct: number[];
}

/** Every group's members, direct and nested. Duplicate direct values are collapsed. */
export function resolveNestedMembers(nodes: readonly GroupNode[]): ResolvedMembers[] {
  // One round per group: a group walked, a user index taken, is marked with the round's number. A Set per group
  // (600,000 adds at a first sync of the bench's directory, and its garbage) cost about 40 ms more. Store users
  // (negative refs, only in incremental syncs) are few: a Set.
  const visited = new Uint32Array(nodes.length);
  let taken = new Uint32Array(1024);
  const takenStore = new Set<MemberRef>();
  let round = 0;
  return nodes.map((node, root) => {
    const r = ++round;
    takenStore.clear();
    const members: MemberRef[] = [];
    const direct: number[] = [];
    const add = (u: MemberRef, d: number): void => {
      if (u >= 0) {
        if (u >= taken.length) {
          const grown = new Uint32Array(Math.max(u + 1, taken.length * 2));
          grown.set(taken);
          taken = grown;
        }
        if (taken[u] === r) return;
        taken[u] = r;
      } else {
        if (takenStore.has(u)) return;
        takenStore.add(u);
      }
      members.push(u);
      direct.push(d);
    };
    for (const u of node.users) add(u, 1);
    if (node.groups.length === 0) return { members, direct };
    visited[root] = r;
    const stack = [...node.groups];
    while (stack.length) {
      const g = stack.pop() as number;
      if (g < 0 || g >= nodes.length || visited[g] === r) continue;
      visited[g] = r;
      const child = nodes[g] as GroupNode;
      for (const u of child.users) add(u, 0);
      for (const c of child.groups) if (visited[c] !== r) stack.push(c);
    }
    return { members, direct };
  });
}

/** The users that are members (direct or nested) of any of the `roots` groups: for "import members of groups". */
export function membersOfGroups(nodes: readonly GroupNode[], roots: readonly number[]): Set<MemberRef> {
  const out = new Set<MemberRef>();
  const visited = new Uint8Array(nodes.length);
  const stack = [...roots];
  while (stack.length) {
    const g = stack.pop() as number;
    if (g < 0 || g >= nodes.length || visited[g]) continue;
    visited[g] = 1;
    const n = nodes[g] as GroupNode;
    for (const u of n.users) out.add(u);
    for (const c of n.groups) if (!visited[c]) stack.push(c);
  }
  return out;
}

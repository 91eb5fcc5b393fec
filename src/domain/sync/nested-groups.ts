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
  const visited = new Uint32Array(nodes.length);
  let stamp = 0;
  return nodes.map((node, root) => {
    const seen = new Set<MemberRef>();
    const members: MemberRef[] = [];
    const direct: number[] = [];
    for (const u of node.users) {
      if (!seen.has(u)) {
        seen.add(u);
        members.push(u);
        direct.push(1);
      }
    }
    if (node.groups.length === 0) return { members, direct };
    stamp++;
    visited[root] = stamp;
    const stack = [...node.groups];
    while (stack.length) {
      const g = stack.pop() as number;
      if (g < 0 || g >= nodes.length || visited[g] === stamp) continue;
      visited[g] = stamp;
      const child = nodes[g] as GroupNode;
      for (const u of child.users) {
        if (!seen.has(u)) {
          seen.add(u);
          members.push(u);
          direct.push(0);
        }
      }
      for (const c of child.groups) if (visited[c] !== stamp) stack.push(c);
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

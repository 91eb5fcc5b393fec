import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { membersOfGroups, resolveNestedMembers } from './nested-groups.ts';

describe('nested groups', () => {
  test('direct and nested members, with the direct flag', () => {
    // 0 ⊃ 1 ⊃ 2
    const r = resolveNestedMembers([
      { users: [10], groups: [1] },
      { users: [11, 10], groups: [2] },
      { users: [12], groups: [] },
    ]);
    const asMap = (i: number) => new Map(r[i]!.members.map((m, k) => [m, r[i]!.direct[k]]));
    assert.deepEqual(asMap(0), new Map([[10, 1], [11, 0], [12, 0]]));
    assert.deepEqual(asMap(1), new Map([[11, 1], [10, 1], [12, 0]]));
    assert.deepEqual(asMap(2), new Map([[12, 1]]));
  });
  test('cycles end (a ⊃ b ⊃ a, and a group containing itself)', () => {
    const r = resolveNestedMembers([
      { users: [1], groups: [1] },
      { users: [2], groups: [0] },
      { users: [3], groups: [2] },
    ]);
    assert.deepEqual(new Set(r[0]!.members), new Set([1, 2]));
    assert.deepEqual(new Set(r[1]!.members), new Set([1, 2]));
    assert.deepEqual(r[2]!.members, [3]);
  });
  test('members of selected groups, following nesting and cycles', () => {
    const nodes = [
      { users: [1], groups: [1] },
      { users: [2], groups: [0] },
      { users: [3], groups: [] },
    ];
    assert.deepEqual(membersOfGroups(nodes, [1]), new Set([1, 2]));
    assert.deepEqual(membersOfGroups(nodes, [2]), new Set([3]));
    assert.deepEqual(membersOfGroups(nodes, []), new Set());
  });
  test('large flat groups stay fast and exact', () => {
    const big = Array.from({ length: 100_000 }, (_, i) => i);
    const r = resolveNestedMembers([{ users: big, groups: [] }, { users: [], groups: [0] }]);
    assert.equal(r[1]!.members.length, 100_000);
    assert.ok(r[1]!.direct.every((d) => d === 0));
  });
});

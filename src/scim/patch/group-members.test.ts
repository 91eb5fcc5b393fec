import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpoolError } from '../../errors.ts';
import { applyPatch } from './apply.ts';
import { normalizeEntraPatch } from './entra.ts';
import { planGroupMemberOps } from './group-members.ts';
import { PATCH_OP_SCHEMA, parsePatchRequest } from './parse.ts';
import type { PatchOp } from './types.ts';

const ops = (...Operations: unknown[]): PatchOp[] =>
  parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations }, 'Group');

describe('planGroupMemberOps', () => {
  test('adds, filtered removes and value-list removes become a delta', () => {
    const plan = planGroupMemberOps(
      ops(
        { op: 'Add', path: 'members', value: [{ $ref: null, value: 'a' }, { value: 'b' }, { value: 'c' }] },
        { op: 'Remove', path: 'members', value: [{ value: 'b' }] },
        { op: 'remove', path: 'members[value eq "d"]' },
        { op: 'remove', path: 'members[value eq "e" or value eq "f"]' },
      ),
    );
    assert.deepEqual(plan, { add: ['a', 'c'], remove: ['b', 'd', 'e', 'f'], otherOps: [] });
  });
  test('later operations win: remove then re-add', () => {
    const plan = planGroupMemberOps(
      ops(
        { op: 'remove', path: 'members[value eq "a"]' },
        { op: 'add', path: 'members', value: [{ value: 'a' }] },
      ),
    );
    assert.deepEqual(plan, { add: ['a'], remove: [], otherOps: [] });
  });
  test('replace sets the full list; later adds/removes fold into it', () => {
    const plan = planGroupMemberOps(
      ops(
        { op: 'add', path: 'members', value: [{ value: 'x' }] },
        { op: 'replace', path: 'members', value: [{ value: 'a' }, { value: 'b' }] },
        { op: 'add', path: 'members', value: [{ value: 'c' }] },
        { op: 'remove', path: 'members[value eq "a"]' },
      ),
    );
    assert.deepEqual(plan, { add: [], remove: [], replaceAll: ['b', 'c'], otherOps: [] });
  });
  test('remove members without value (RFC) empties the group', () => {
    assert.deepEqual(planGroupMemberOps(ops({ op: 'remove', path: 'members' })), {
      add: [],
      remove: [],
      replaceAll: [],
      otherOps: [],
    });
    assert.deepEqual(planGroupMemberOps(ops({ op: 'replace', path: 'members', value: [] })).replaceAll, []);
  });
  test('other operations pass through in order; path-less values lose only their members key', () => {
    const input = ops(
      { op: 'Replace', path: 'displayName', value: 'New name' },
      { op: 'replace', value: { displayName: 'Group B', members: [{ value: 'm1' }], externalId: 'e' } },
      { op: 'add', value: { members: [{ value: 'm2' }] } },
    );
    const plan = planGroupMemberOps(input);
    assert.deepEqual(plan.replaceAll, ['m1', 'm2']);
    assert.deepEqual(
      plan.otherOps.map((o) => [o.op, o.path?.text, o.value]),
      [
        ['replace', 'displayName', 'New name'],
        ['replace', undefined, { displayName: 'Group B', externalId: 'e' }],
      ],
    );
    assert.equal(applyPatch({ displayName: 'old' }, plan.otherOps, 'Group')['displayName'], 'Group B');
  });
  test('URN-qualified members path', () => {
    const plan = planGroupMemberOps(
      ops({
        op: 'add',
        path: 'urn:ietf:params:scim:schemas:core:2.0:Group:members',
        value: [{ value: 'z' }],
      }),
    );
    assert.deepEqual(plan.add, ['z']);
  });
  test('agrees with applyPatch on a materialised group', () => {
    const input = normalizeEntraPatch(
      ops(
        { op: 'Add', path: 'members', value: [{ value: 'n1' }, { value: 'n2' }] },
        { op: 'Remove', path: 'members', value: [{ value: 'o1' }] },
        { op: 'remove', path: 'members[value eq "n2"]' },
      ),
      'Group',
    );
    const group = { displayName: 'G', members: [{ value: 'o1' }, { value: 'o2' }] };
    const applied = (applyPatch(group, input, 'Group')['members'] as { value: string }[])
      .map((m) => m.value)
      .sort();
    const plan = planGroupMemberOps(input);
    const planned = ['o1', 'o2', ...plan.add].filter((id) => !plan.remove.includes(id)).sort();
    assert.deepEqual(planned, applied);
  });
  test('refuses member operations it cannot express as a delta', () => {
    const refuse = (op: unknown, code: string, message: RegExp): void => {
      assert.throws(
        () => planGroupMemberOps(ops(op)),
        (e: unknown) =>
          e instanceof SpoolError && e.code === code && e.status === 400 && message.test(e.message),
      );
    };
    refuse(
      { op: 'remove', path: 'members[display co "x"]' },
      'scim.invalid_filter',
      /^Operations\[0\]: Only members\[value eq "<id>"\] filters/,
    );
    refuse(
      { op: 'remove', path: 'members[value eq "a" and type eq "User"]' },
      'scim.invalid_filter',
      /Only members/,
    );
    refuse(
      { op: 'replace', path: 'members[value eq "a"]', value: { value: 'b' } },
      'scim.invalid_path',
      /can only be added or removed/,
    );
    refuse(
      { op: 'replace', path: 'members[value eq "a"].display', value: 'x' },
      'scim.invalid_path',
      /can only be added or removed/,
    );
    refuse(
      { op: 'add', path: 'members', value: [{ display: 'no id' }] },
      'scim.invalid_value',
      /Each member must be an object with the member's id as "value"/,
    );
    refuse({ op: 'add', path: 'members', value: [{ value: '' }] }, 'scim.invalid_value', /Each member/);
  });
  test('scales: 50,000 member adds plan in one pass', () => {
    const value = Array.from({ length: 50_000 }, (_, i) => ({ value: `user-${i}` }));
    const plan = planGroupMemberOps(ops({ op: 'Add', path: 'members', value }));
    assert.equal(plan.add.length, 50_000);
    assert.equal(plan.add[49_999], 'user-49999');
  });
});

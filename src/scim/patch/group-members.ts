/**
 * Group membership changes as a compact delta. Entra adds and removes members of even 50,000-member groups
 * one PATCH at a time (RFC 7644 §3.5.2 `members` operations); materialising the member list to apply each
 * one would be quadratic. `planGroupMemberOps` folds the member operations of one request into
 * "add these ids / remove these ids" (or "the members are exactly these" after a replace), so the caller
 * touches one row per change, and returns every other operation for `applyPatch` on the group without
 * its members.
 *
 * Accepted member operations (both Entra dialects, RFC 7644 §3.5.2.1-3):
 *   add     members  [{ "value": id }, …]         replace members [{ "value": id }, …] (null/[] = none)
 *   remove  members[value eq "id"]  (also `value eq "a" or value eq "b"`)
 *   remove  members  [{ "value": id }, …]         (Entra's default dialect: remove THESE members)
 *   remove  members                                (no value: remove all members)
 *   path-less add/replace with a "members" key.
 * Anything else aimed at members (editing a member in place, other filters) is refused with a 400.
 */
import { CORE_GROUP_SCHEMA, findSchema, GROUP_SCHEMA_LOOKUP } from '../filter/attribute-schema.ts';
import type { FilterNode } from '../filter/ast.ts';
import { getCI, isPlainObject } from '../filter/evaluate.ts';
import { isUrnLike } from '../paths.ts';
import { parsePatchPath } from './parse.ts';
import type { PatchOp, PatchPath } from './types.ts';
import { patchError, withOpIndex } from './types.ts';

export interface GroupMemberPlan {
  /** Member ids to add (absent from `remove`). */
  add: string[];
  /** Member ids to remove (absent from `add`); removing a non-member is a no-op. */
  remove: string[];
  /** When set, the group's members must become exactly these ids (`add`/`remove` are then empty). */
  replaceAll?: string[];
  /** The non-member operations, in order, for `applyPatch` on the group resource. */
  otherOps: PatchOp[];
}

type AttributePath = Extract<PatchPath, { kind: 'attribute' }>;

function isMembersPath(path: PatchPath | undefined): path is AttributePath {
  if (path === undefined || path.kind !== 'attribute' || path.attr.attr.toLowerCase() !== 'members')
    return false;
  return path.attr.schema === undefined || path.attr.schema === CORE_GROUP_SCHEMA.toLowerCase();
}

function memberIds(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((el) => {
    const id = isPlainObject(el) ? getCI(el, 'value') : el;
    if (typeof id !== 'string' || id.trim() === '') {
      throw patchError(
        'scim.invalid_value',
        `Each member must be an object with the member's id as "value", e.g. {"value": "2819c223"}; got ${JSON.stringify(el) ?? 'nothing'}.`,
      );
    }
    return id;
  });
}

/** The ids a removal filter names: `value eq "id"`, possibly several joined by `or`. */
function idsFromFilter(filter: FilterNode): string[] | undefined {
  if (
    filter.op === 'cmp' &&
    filter.cmp === 'eq' &&
    filter.path.attr.toLowerCase() === 'value' &&
    typeof filter.value === 'string'
  ) {
    return [filter.value];
  }
  if (filter.op !== 'or') return undefined;
  const [l, r] = [idsFromFilter(filter.left), idsFromFilter(filter.right)];
  return l === undefined || r === undefined ? undefined : [...l, ...r];
}

class Plan {
  private all: Set<string> | undefined;
  private readonly delta = new Map<string, 'add' | 'remove'>();

  add(ids: string[]): void {
    for (const id of ids) {
      if (this.all !== undefined) this.all.add(id);
      else this.delta.set(id, 'add');
    }
  }

  remove(ids: string[]): void {
    for (const id of ids) {
      if (this.all !== undefined) this.all.delete(id);
      else this.delta.set(id, 'remove');
    }
  }

  replace(ids: string[]): void {
    this.all = new Set(ids);
    this.delta.clear();
  }

  result(otherOps: PatchOp[]): GroupMemberPlan {
    if (this.all !== undefined) return { add: [], remove: [], replaceAll: [...this.all], otherOps };
    const add: string[] = [];
    const remove: string[] = [];
    for (const [id, kind] of this.delta) (kind === 'add' ? add : remove).push(id);
    return { add, remove, otherOps };
  }
}

function unsupported(op: PatchOp, path: AttributePath): never {
  throw patchError(
    'scim.invalid_path',
    `'${path.text}' cannot be used with "${op.op}": group members can only be added or removed as a whole.`,
    undefined,
    'Use {"op":"add","path":"members","value":[{"value":"<id>"}]} or {"op":"remove","path":"members[value eq \\"<id>\\"]"}.',
  );
}

function planMemberOp(plan: Plan, op: PatchOp, path: AttributePath): void {
  if (path.attr.sub !== undefined) unsupported(op, path);
  if (path.filter !== undefined) {
    if (op.op !== 'remove') unsupported(op, path);
    const ids = idsFromFilter(path.filter);
    if (ids === undefined) {
      throw patchError(
        'scim.invalid_filter',
        `Only members[value eq "<id>"] filters (optionally joined by "or") can select members to remove; got '${path.text}'.`,
      );
    }
    plan.remove(ids);
    return;
  }
  if (op.op === 'add') plan.add(memberIds(op.value));
  else if (op.op === 'replace') plan.replace(memberIds(op.value));
  // RFC 7644 §3.5.2.2: remove without value empties the attribute; Entra's value list removes just those.
  else if (op.value === undefined || op.value === null) plan.replace([]);
  else plan.remove(memberIds(op.value));
}

/** Splits a Group PATCH (already parsed, and normalised for Entra if wanted) into a member delta and the rest. */
export function planGroupMemberOps(ops: readonly PatchOp[]): GroupMemberPlan {
  const plan = new Plan();
  const otherOps: PatchOp[] = [];
  for (const op of ops) {
    withOpIndex(op.index, () => {
      if (isMembersPath(op.path)) {
        planMemberOp(plan, op, op.path);
        return;
      }
      if (op.path !== undefined || !isPlainObject(op.value)) {
        otherOps.push(op);
        return;
      }
      // Path-less add/replace: peel off the members key(s), keep the rest as one operation.
      const rest: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(op.value)) {
        const keyPath =
          key.toLowerCase() === 'schemas' || (isUrnLike(key) && findSchema(GROUP_SCHEMA_LOOKUP, key))
            ? undefined
            : parsePatchPath(key, 'Group');
        if (isMembersPath(keyPath)) planMemberOp(plan, { ...op, path: keyPath, value: v }, keyPath);
        else
          Object.defineProperty(rest, key, {
            value: v,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      if (Object.keys(rest).length > 0) otherOps.push({ ...op, value: rest });
    });
  }
  return plan.result(otherOps);
}

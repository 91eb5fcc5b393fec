/**
 * Spool groups ⇄ SCIM Group resources (RFC 7643 §4.2). A group is its row (displayName ← name, externalId ←
 * scim_external_id) plus its direct memberships; members are Spool users, identified by their SCIM id.
 * Members are only read when the response needs them: Entra asks with excludedAttributes=members, and a
 * 50,000-member list should not be built for nothing.
 */
import { normalizeGroupName } from '../domain/groups.ts';
import { CORE_GROUP_SCHEMA } from './filter/attribute-schema.ts';
import { scimError } from './errors.ts';
import { etagOf } from './user-resource.ts';
import type { Json } from './resource-body.ts';

export const GROUP_COLUMNS = 'groups.id AS "id", groups.name AS "name", groups.scim_external_id AS "scimExternalId", groups.version AS "version", groups.created_at AS "createdAt", groups.updated_at AS "updatedAt"';

export interface ScimGroupRow {
  id: number;
  name: string;
  scimExternalId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface MemberRow {
  id: number;
  username: string;
  fullName: string;
}

export function renderGroup(row: ScimGroupRow, base: string, members?: MemberRow[]): Json {
  const id = String(row.id);
  const out: Json = { schemas: [CORE_GROUP_SCHEMA], id };
  if (row.scimExternalId !== null) out.externalId = row.scimExternalId;
  out.displayName = row.name;
  if (members !== undefined && members.length > 0) {
    out.members = members.map((m) => ({ value: String(m.id), display: m.fullName || m.username, type: 'User', $ref: `${base}/Users/${m.id}` }));
  }
  out.meta = { resourceType: 'Group', created: row.createdAt, lastModified: row.updatedAt, location: `${base}/Groups/${id}`, version: etagOf(row.version) };
  return out;
}

export interface GroupInput {
  name: string;
  externalId: string | null;
  /** Member ids as sent (validated against users by the service). */
  members: string[];
}

/** Group fields of a canonical Group resource (a POST/PUT body or a PATCH result without members). */
export function groupFromResource(resource: Json): Omit<GroupInput, 'members'> {
  const displayName = resource.displayName;
  if (typeof displayName !== 'string' || displayName.trim() === '') {
    throw scimError('scim.invalid_value', '"displayName" is required and must be a non-empty string.', 400, 'RFC 7643 §4.2: displayName is REQUIRED.');
  }
  const externalId = resource.externalId;
  return { name: normalizeGroupName(displayName), externalId: typeof externalId === 'string' && externalId !== '' ? externalId : null };
}

/** The member ids of a canonical Group resource. Members that are groups (nested groups) are refused. */
export function memberIdsOf(resource: Json): string[] {
  const list = Array.isArray(resource.members) ? resource.members : [];
  return list.map((m) => {
    const el = m as Json;
    if (typeof el.type === 'string' && el.type.toLowerCase() === 'group') {
      throw scimError('scim.invalid_value', 'Spool groups contain users only; nested groups cannot be members.', 400);
    }
    if (typeof el.value !== 'string' || el.value === '') throw scimError('scim.invalid_value', 'Each member needs its user id as "value".');
    return el.value;
  });
}

/** The value of the first own key spelled `lowerName` in any case. */
const valueOfKey = (obj: object, lowerName: string): unknown => Object.entries(obj).find(([k]) => k.toLowerCase() === lowerName)?.[1];

const isGroupMember = (m: unknown): boolean => {
  if (typeof m !== 'object' || m === null) return false;
  const type = valueOfKey(m, 'type');
  return typeof type === 'string' && type.toLowerCase() === 'group';
};

/**
 * Refuses members of type "Group" in a PATCH body (nested groups): Spool groups hold users only, and the
 * member planner keeps just the ids, so a group id would otherwise be taken for the user with that id.
 */
export function rejectNestedGroupMembers(body: unknown): void {
  const ops = typeof body === 'object' && body !== null ? valueOfKey(body, 'operations') : undefined;
  if (!Array.isArray(ops)) return;
  for (const op of ops as Array<Record<string, unknown>>) {
    if (typeof op !== 'object' || op === null) continue;
    const path = valueOfKey(op, 'path');
    const value = valueOfKey(op, 'value');
    const values =
      typeof path === 'string' && /(^|:)members$/i.test(path.trim())
        ? value
        : path === undefined && typeof value === 'object' && value !== null
          ? valueOfKey(value, 'members')
          : undefined;
    if ((Array.isArray(values) ? values : [values]).some(isGroupMember)) {
      throw scimError('scim.invalid_value', 'Spool groups contain users only; nested groups cannot be members.', 400);
    }
  }
}

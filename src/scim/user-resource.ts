/**
 * Spool users ⇄ SCIM User resources (RFC 7643 §4.1, enterprise extension §4.3).
 *
 * Storage: what the client wrote is kept as the "SCIM document" in users.attributes.scim (canonical names,
 * no id/meta/groups), so every attribute Entra writes reads back the same. Columns hold the projections Spool
 * itself uses and that filters search through indexes; for these the COLUMN is the truth when rendering, so a
 * filter on them and the resource returned always agree:
 *   id ← users.id · externalId ← scim_external_id · userName ← username (original case kept from the document
 *   while it is the same name) · displayName ← full_name · active ← NOT disabled · enterprise department ←
 *   department.
 * Derived, not rendered: email/otherEmails (work, else primary, else first email), office (work address),
 * card number (the attribute named by the setting scim.card-number-attribute).
 * Users that never came through SCIM (internal, LDAP) render from their columns alone.
 */
import { normalizeUsername } from '../domain/users.ts';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, resolveAttribute, type ResolvedAttribute } from './filter/attribute-schema.ts';
import { scimError } from './errors.ts';
import { compileElementFilter, getCI, isPlainObject } from './filter/evaluate.ts';
import { parseScimPath } from './filter/parser.ts';
import type { Json } from './resource-body.ts';

/** The users columns SCIM reads, aliased in camelCase (see reader.ts). */
export const USER_COLUMNS =
  'users.id AS "id", users.username AS "username", users.full_name AS "fullName", users.department AS "department", users.disabled AS "disabled", users.disabled_reason AS "disabledReason", users.scim_external_id AS "scimExternalId", users.attributes AS "attributes", users.version AS "version", users.created_at AS "createdAt", users.updated_at AS "updatedAt"';

export interface ScimUserRow {
  id: number;
  username: string;
  fullName: string;
  department: string | null;
  disabled: number;
  disabledReason: string | null;
  scimExternalId: string | null;
  attributes: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** disabledReason of a user SCIM deleted while scim.delete-mode=disable: kept with history, gone for SCIM (RFC 7644 §3.6). */
export const SCIM_DELETED = 'scim-deleted';

/** The column values a SCIM user document implies. */
export interface UserColumns {
  username: string;
  fullName: string;
  email: string | null;
  otherEmails: string;
  department: string | null;
  office: string | null;
  cardNumber: string | null;
  scimExternalId: string | null;
  disabled: boolean | undefined;
}

export function parseAttributes(text: string): Json {
  try {
    const v = JSON.parse(text) as unknown;
    return isPlainObject(v) ? v : {};
  } catch {
    return {};
  }
}

function safeNormalize(name: string): string | undefined {
  try {
    return normalizeUsername(name);
  } catch {
    return undefined;
  }
}

export interface RenderOptions {
  /** Base URL of the SCIM service, e.g. https://print.example.edu:9192/scim/v2 */
  base: string;
  groups?: Array<{ id: number; name: string }> | undefined;
}

/** The SCIM User resource for a row (full representation: projections are applied by the caller). */
export function renderUser(row: ScimUserRow, opts: RenderOptions): Json {
  const doc = parseAttributes(row.attributes).scim;
  const d: Json = isPlainObject(doc) ? doc : {};
  const id = String(row.id);
  const out: Json = { schemas: [CORE_USER_SCHEMA], id };
  if (row.scimExternalId !== null) out.externalId = row.scimExternalId;
  const written = typeof d.userName === 'string' ? d.userName : undefined;
  out.userName = written !== undefined && safeNormalize(written) === row.username ? written : row.username;
  if (row.fullName !== '') out.displayName = row.fullName;
  for (const [k, v] of Object.entries(d)) {
    if (k === 'userName' || k === 'displayName' || k === 'externalId' || k === 'active' || k.startsWith('urn:')) continue;
    out[k] = v;
  }
  out.active = row.disabled === 0;
  const ext: Json = isPlainObject(d[ENTERPRISE_USER_SCHEMA]) ? { ...(d[ENTERPRISE_USER_SCHEMA] as Json) } : {};
  delete ext.department;
  if (row.department !== null && row.department !== '') ext.department = row.department;
  if (Object.keys(ext).length > 0) {
    out[ENTERPRISE_USER_SCHEMA] = ext;
    (out.schemas as string[]).push(ENTERPRISE_USER_SCHEMA);
  }
  // RFC 7643 §2.5: an empty multi-valued attribute is the same as an unassigned one, so none is shown.
  if (opts.groups?.length) out.groups = opts.groups.map((g) => ({ value: String(g.id), display: g.name, $ref: `${opts.base}/Groups/${g.id}`, type: 'direct' }));
  out.meta = { resourceType: 'User', created: row.createdAt, lastModified: row.updatedAt, location: `${opts.base}/Users/${id}`, version: etagOf(row.version) };
  return out;
}

export const etagOf = (version: number): string => `W/"${version}"`;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** The email Spool uses: the work email, else the primary one, else the first. */
function pickEmails(resource: Json): { email: string | null; others: string[] } {
  const list = (Array.isArray(resource.emails) ? resource.emails : []).filter(isPlainObject);
  const values = list.map((e) => str(e.value)).filter((v): v is string => v !== undefined);
  const chosen = list.find((e) => typeof e.type === 'string' && e.type.toLowerCase() === 'work' && str(e.value)) ?? list.find((e) => e.primary === true && str(e.value)) ?? list.find((e) => str(e.value));
  const email = chosen ? (str(chosen.value) as string).trim() : null;
  const seen = new Set(email ? [email.toLowerCase()] : []);
  const others: string[] = [];
  for (const v of values) {
    const t = v.trim();
    if (!seen.has(t.toLowerCase())) {
      seen.add(t.toLowerCase());
      others.push(t);
    }
  }
  return { email, others };
}

function fullNameOf(resource: Json): string {
  const display = str(resource.displayName);
  if (display) return display;
  const name = isPlainObject(resource.name) ? resource.name : {};
  const formatted = str(name.formatted);
  if (formatted) return formatted;
  return [str(name.givenName), str(name.familyName)].filter(Boolean).join(' ');
}

function officeOf(resource: Json): string | null {
  const list = (Array.isArray(resource.addresses) ? resource.addresses : []).filter(isPlainObject);
  const work = list.find((a) => typeof a.type === 'string' && a.type.toLowerCase() === 'work') ?? list[0];
  return work ? (str(work.formatted) ?? null) : null;
}

/** A compiled reader for the setting scim.card-number-attribute (a SCIM path, e.g. `…:User:employeeNumber`). */
export function cardNumberReader(path: string): (resource: Json) => string | null {
  if (!path.trim()) return () => null;
  let resolved: ResolvedAttribute;
  let match: ((el: unknown) => boolean) | undefined;
  try {
    const parsed = parseScimPath(path.trim());
    resolved = resolveAttribute('User', { ...parsed.path, sub: undefined }, 'scim.invalid_path');
    if (parsed.filter) match = compileElementFilter(parsed.filter, 'User', resolved, 'scim.invalid_path');
    if (parsed.path.sub !== undefined) resolved = resolveAttribute('User', parsed.path, 'scim.invalid_path');
  } catch {
    return () => null; // an unusable setting maps nothing rather than failing every provisioning request
  }
  const r = resolved;
  return (resource) => {
    const holder = r.isExtension ? getCI(resource, r.schema.id) : resource;
    if (!isPlainObject(holder)) return null;
    let v = getCI(holder, r.attribute.name);
    if (Array.isArray(v)) v = v.find((el) => (match ? match(el) : true));
    if (r.sub !== undefined || isPlainObject(v)) v = isPlainObject(v) ? getCI(v, r.sub?.name ?? 'value') : undefined;
    return typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 128) : null;
  };
}

/**
 * Splits a canonical User resource (from a POST/PUT body or a PATCH result) into the stored document and the
 * columns. Throws 400 invalidValue when userName is missing or not a valid Spool username.
 */
export function userFromResource(resource: Json, cardNumberOf: (r: Json) => string | null): { doc: Json; columns: UserColumns } {
  const userName = resource.userName;
  if (typeof userName !== 'string' || userName.trim() === '') {
    throw scimError('scim.invalid_value', '"userName" is required and must be a non-empty string.', 400, 'RFC 7643 §4.1.1: userName is REQUIRED.');
  }
  const username = normalizeUsername(userName);
  const doc: Json = {};
  for (const [k, v] of Object.entries(resource)) {
    if (['id', 'meta', 'schemas', 'groups', 'externalId', 'active', 'displayName', 'password'].includes(k)) continue;
    doc[k] = v;
  }
  doc.userName = userName.trim();
  const ext = isPlainObject(resource[ENTERPRISE_USER_SCHEMA]) ? (resource[ENTERPRISE_USER_SCHEMA] as Json) : undefined;
  if (ext) {
    const { department: _department, ...rest } = ext;
    if (Object.keys(rest).length > 0) doc[ENTERPRISE_USER_SCHEMA] = rest;
    else delete doc[ENTERPRISE_USER_SCHEMA];
  }
  const { email, others } = pickEmails(resource);
  const externalId = resource.externalId;
  const department = ext ? str(ext.department) : undefined;
  return {
    doc,
    columns: {
      username,
      fullName: fullNameOf(resource),
      email: email ? email.slice(0, 320) : null,
      otherEmails: JSON.stringify(others),
      department: department ?? null,
      office: officeOf(resource),
      cardNumber: cardNumberOf(resource),
      scimExternalId: typeof externalId === 'string' && externalId !== '' ? externalId : null,
      disabled: typeof resource.active === 'boolean' ? !resource.active : undefined,
    },
  };
}

/**
 * Applies parsed PATCH operations (RFC 7644 §3.5.2) to a resource's JSON. Returns a NEW object and never
 * touches the input: operations run in order on a copy, and any invalid operation throws before the copy
 * is returned, so the caller applies all or nothing (§3.5.2: "the operations are treated as atomic").
 *
 * Behaviour by target (RFC sections in brackets; "Entra" marks leniency Microsoft Entra relies on):
 * - add, no path [3.5.2.1]: each key of the value object is added as if it were a path (Entra sends
 *   `name.givenName`, URN-qualified and `emails[type eq "work"].value` keys).
 * - add to a single-valued attribute replaces it; to a complex one merges sub-attributes; to a
 *   multi-valued one appends values not already present [3.5.2.1].
 * - replace of a multi-valued attribute replaces all values; of a complex one merges [3.5.2.3].
 * - `attr[filter]` / `attr[filter].sub`: add and replace update every matching element; when none
 *   matches and the filter is a conjunction of `eq` tests, a new element is created from them (Entra's
 *   `emails[type eq "work"].value` → `{type: "work", value}`); otherwise `scim.no_target` [3.5.2.3].
 * - remove [3.5.2.2]: the attribute, sub-attribute or matching elements. A filter that matches nothing is a
 *   no-op, so Entra's retries of a member removal succeed. A `value` list on a multi-valued remove
 *   removes just those values (Entra's default dialect for members), never everything.
 * - readOnly attributes (id, meta, groups, …) → `scim.mutability`; path-less values that merely repeat
 *   their current value are ignored. Removing a required attribute (userName, displayName) →
 *   `scim.invalid_value`. immutable sub-attributes (members.value) may be set once, never changed.
 * - Names match case-insensitively and are written back in schema spelling; extension attributes live
 *   under their schema URN key (RFC 7643 §3.3), and `schemas` lists the extensions in use.
 */
import type {
  ResolvedAttribute,
  ScimAttributeSchemaLookup,
  ScimResourceType,
} from '../filter/attribute-schema.ts';
import {
  findSchema,
  findSubAttribute,
  getSchemaLookup,
  resolveAttribute,
} from '../filter/attribute-schema.ts';
import { getCI, isPlainObject, isPresent } from '../filter/evaluate.ts';
import { isUrnLike } from '../paths.ts';
import {
  applyFiltered,
  applySub,
  canonicalElementOrSimple,
  removeWhole,
  writeMulti,
} from './apply-targets.ts';
import { parsePatchPath } from './parse.ts';
import type { PatchOp, PatchOpName, PatchPath, ScimResourceJson } from './types.ts';
import { patchError, withOpIndex } from './types.ts';
import type { Json } from './values.ts';
import {
  asArray,
  canonicalElement,
  checkSimple,
  deleteCI,
  enforceSinglePrimary,
  findKeyCI,
  identityKey,
  jsonEqual,
  sameElement,
  setCI,
} from './values.ts';

interface Ctx {
  lookup: ScimAttributeSchemaLookup;
  res: Json;
}

export function applyPatch(
  resource: ScimResourceJson,
  ops: readonly PatchOp[],
  resourceType: ScimResourceType,
): ScimResourceJson {
  const lookup = getSchemaLookup(resourceType);
  const ctx: Ctx = { lookup, res: structuredClone(resource) };
  for (const op of ops) withOpIndex(op.index, () => applyOp(ctx, op));
  tidyExtensions(ctx);
  return ctx.res;
}

function applyOp(ctx: Ctx, op: PatchOp): void {
  if (op.path === undefined) {
    if (op.op === 'remove')
      throw patchError('scim.no_target', '"remove" needs a "path" naming what to remove.');
    if (!isPlainObject(op.value))
      throw patchError(
        'scim.invalid_value',
        `"${op.op}" without a "path" needs a "value" object of attributes.`,
      );
    applyPathless(ctx, op.op, op.value);
    return;
  }
  if (op.path.kind === 'extension') applyExtension(ctx, op.op, op.path.schema, op.value, false);
  else applyAttribute(ctx, op.op, op.path, op.value, false);
}

function applyPathless(ctx: Ctx, op: PatchOpName, value: Json): void {
  for (const [key, v] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue; // Spool derives `schemas` itself
    const schema = isUrnLike(key) ? findSchema(ctx.lookup, key) : undefined;
    if (schema === ctx.lookup.core && isPlainObject(v)) applyPathless(ctx, op, v);
    else if (schema !== undefined && schema !== ctx.lookup.core) applyExtension(ctx, op, schema.id, v, true);
    else {
      const path = parsePatchPath(key, ctx.lookup.resourceType);
      if (path.kind === 'extension') applyExtension(ctx, op, path.schema, v, true);
      else applyAttribute(ctx, op, path, v, true);
    }
  }
}

function applyExtension(
  ctx: Ctx,
  op: PatchOpName,
  schemaId: string,
  value: unknown,
  pathless: boolean,
): void {
  const schema = findSchema(ctx.lookup, schemaId);
  if (schema === undefined) throw patchError('scim.invalid_path', `Unknown schema '${schemaId}'.`);
  if (op === 'remove' || (op === 'replace' && value === null)) {
    deleteCI(ctx.res, schema.id);
    return;
  }
  if (!isPlainObject(value))
    throw patchError(
      'scim.invalid_value',
      `The value for '${schema.id}' must be an object of its attributes.`,
    );
  for (const [key, v] of Object.entries(value)) {
    const path = parsePatchPath(`${schema.id}:${key}`, ctx.lookup.resourceType);
    if (path.kind === 'attribute') applyAttribute(ctx, op, path, v, pathless);
  }
}

/** The object holding the attribute: the resource, or its extension object (created on demand). */
function containerOf(ctx: Ctx, top: ResolvedAttribute, create: boolean): Json | undefined {
  if (!top.isExtension) return ctx.res;
  const key = findKeyCI(ctx.res, top.schema.id);
  const current = key === undefined ? undefined : ctx.res[key];
  if (isPlainObject(current)) {
    if (key !== top.schema.id) setCI(ctx.res, top.schema.id, current);
    return current;
  }
  if (!create) return undefined;
  const fresh: Json = {};
  setCI(ctx.res, top.schema.id, fresh);
  return fresh;
}

function applyAttribute(
  ctx: Ctx,
  op: PatchOpName,
  path: Extract<PatchPath, { kind: 'attribute' }>,
  value: unknown,
  pathless: boolean,
): void {
  const top = resolveAttribute(ctx.lookup, { ...path.attr, sub: undefined }, 'scim.invalid_path');
  const attr = top.attribute;
  const sub = path.attr.sub === undefined ? undefined : findSubAttribute(attr, path.attr.sub);
  const where = sub === undefined ? top.canonical : `${top.canonical}.${sub.name}`;
  const container = containerOf(ctx, top, op !== 'remove');
  const current = container === undefined ? undefined : getCI(container, attr.name);

  if (attr.mutability === 'readOnly' || sub?.mutability === 'readOnly') {
    // A path-less value that just echoes the stored one (e.g. a client sending back "id") is harmless.
    if (pathless && path.filter === undefined && sub === undefined && jsonEqual(current, value)) return;
    throw patchError('scim.mutability', `'${where}' is read-only and cannot be changed.`);
  }
  if (container === undefined) return; // remove from an extension the resource does not have
  const isNullClear = value === null && op === 'replace';
  if (value === null && op === 'add')
    throw patchError('scim.invalid_value', `"add" needs a value for '${where}', not null.`);

  if (path.filter !== undefined) {
    applyFiltered(ctx.lookup, container, op, top, path.filter, sub, value, where);
  } else if (sub !== undefined) {
    applySub(container, op, attr, sub, value, where);
  } else if (op === 'remove' || isNullClear) {
    removeWhole(container, attr, op === 'remove' ? value : undefined, where);
  } else if (attr.multiValued) {
    const incoming = asArray(value).map((v) => canonicalElementOrSimple(attr, v, where));
    const existing = op === 'add' ? asArray(current).filter(isPlainObject) : [];
    const touched = new Set<Json>();
    // Identity-keyed attributes (members) dedupe through a Set: adding to a big group stays linear.
    const ids = new Set(existing.map((e) => identityKey(attr, e)).filter((k) => k !== undefined));
    for (const el of incoming) {
      const id = identityKey(attr, el);
      if (id !== undefined ? ids.has(id) : existing.some((e) => sameElement(attr, e, el))) continue;
      if (id !== undefined) ids.add(id);
      existing.push(el as Json);
      touched.add(el as Json);
    }
    enforceSinglePrimary(attr, existing, touched, where);
    writeMulti(container, attr, existing);
  } else if (attr.type === 'complex') {
    if (!isPlainObject(value))
      throw patchError(
        'scim.invalid_value',
        `'${where}' takes an object of sub-attributes, e.g. {"${attr.subAttributes?.[0]?.name ?? 'value'}": …}.`,
      );
    const merged: Json = isPlainObject(current) ? { ...current } : {};
    for (const [k, v] of Object.entries(canonicalElement(attr, value, where, true))) {
      if (v === null) deleteCI(merged, k);
      else setCI(merged, k, v);
    }
    if (isPresent(merged)) setCI(container, attr.name, merged);
    else deleteCI(container, attr.name);
  } else {
    if (attr.mutability === 'immutable' && isPresent(current) && !jsonEqual(current, value)) {
      throw patchError('scim.mutability', `'${where}' is immutable and already set.`);
    }
    setCI(container, attr.name, checkSimple(attr, value, where));
  }
}

/** Drops empty extension objects and keeps `schemas` listing exactly the extensions in use. */
function tidyExtensions(ctx: Ctx): void {
  const schemasKey = findKeyCI(ctx.res, 'schemas');
  for (const ext of ctx.lookup.extensions) {
    const schemas = schemasKey === undefined ? undefined : ctx.res[schemasKey];
    const key = findKeyCI(ctx.res, ext.id);
    const present = key !== undefined && isPresent(ctx.res[key]);
    if (key !== undefined && !present) delete ctx.res[key];
    if (!Array.isArray(schemas) || schemasKey === undefined) continue;
    const listed = schemas.some((s) => typeof s === 'string' && s.toLowerCase() === ext.id.toLowerCase());
    if (present && !listed) ctx.res[schemasKey] = [...schemas, ext.id];
    if (!present && listed)
      ctx.res[schemasKey] = schemas.filter(
        (s) => !(typeof s === 'string' && s.toLowerCase() === ext.id.toLowerCase()),
      );
  }
}

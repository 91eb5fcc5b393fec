/**
 * Microsoft Entra ID provisioning quirks, undone in one explicit step before applying a PATCH. Source:
 * "Known issues and resolutions with SCIM 2.0 protocol compliance of the Microsoft Entra user provisioning
 * service" (learn.microsoft.com, …/application-provisioning-config-problem-scim-compatibility). Without the
 * `aadOptscim062020` tenant-URL flag Entra sends, and even with it still sends some of:
 *
 * - booleans as strings: `{"op":"Replace","path":"active","value":"False"}`;
 * - a path-less replace whose value keys are paths: `{"name.givenName": "x",
 *   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "y"}`;
 * - member removal as `{"op":"Remove","path":"members","value":[{"value":"id"}]}` — remove THESE members;
 * - the manager as a bare id string (RFC 7643 §4.3 makes it a complex `{ value }`).
 *
 * All rewrites are conservative: anything that does not look like a quirk passes through unchanged.
 */
import type {
  ScimAttributeDescriptor,
  ScimAttributeSchemaLookup,
  ScimResourceType,
  ScimSchemaDescriptor,
} from '../filter/attribute-schema.ts';
import {
  ENTERPRISE_USER_SCHEMA,
  findAttribute,
  findSchema,
  findSubAttribute,
  getSchemaLookup,
  resolveAttribute,
} from '../filter/attribute-schema.ts';
import type { FilterNode } from '../filter/ast.ts';
import { getCI, isPlainObject } from '../filter/evaluate.ts';
import { isUrnLike } from '../paths.ts';
import { parsePatchPath } from './parse.ts';
import type { PatchOp, PatchPath, ScimResourceJson } from './types.ts';
import { withOpIndex } from './types.ts';

type Json = Record<string, unknown>;

function boolish(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : v;
}

/** Own-property write that stays a plain data property even for a key like "__proto__". */
function put(obj: Json, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isManager(schema: ScimSchemaDescriptor, attr: ScimAttributeDescriptor): boolean {
  return schema.id === ENTERPRISE_USER_SCHEMA && attr.name === 'manager';
}

/** Rewrites one attribute value: boolean strings → booleans (also inside complex values), manager id → {value}. */
function normalizeValue(
  schema: ScimSchemaDescriptor,
  attr: ScimAttributeDescriptor,
  value: unknown,
  fixManager: boolean,
): unknown {
  if (fixManager && isManager(schema, attr) && typeof value === 'string') return { value };
  if (attr.type === 'boolean') return Array.isArray(value) ? value.map(boolish) : boolish(value);
  if (attr.type !== 'complex') return value;
  return Array.isArray(value) ? value.map((el) => fixElement(attr, el)) : fixElement(attr, value);
}

/** Boolean strings → booleans in the boolean sub-attributes of one element of a complex attribute. */
function fixElement(attr: ScimAttributeDescriptor, el: unknown): unknown {
  if (!isPlainObject(el)) return el;
  const out: Json = {};
  for (const [k, v] of Object.entries(el)) {
    put(out, k, findSubAttribute(attr, k)?.type === 'boolean' ? boolish(v) : v);
  }
  return out;
}

function normalizeObject(
  lookup: ScimAttributeSchemaLookup,
  schema: ScimSchemaDescriptor,
  obj: Json,
  fixManager: boolean,
): Json {
  const out: Json = {};
  for (const [key, v] of Object.entries(obj)) {
    const ext = schema === lookup.core && isUrnLike(key) ? findSchema(lookup, key) : undefined;
    if (ext !== undefined && ext !== lookup.core && isPlainObject(v)) {
      put(out, key, normalizeObject(lookup, ext, v, fixManager));
      continue;
    }
    const attr = findAttribute(schema, key);
    put(out, key, attr === undefined ? v : normalizeValue(schema, attr, v, fixManager));
  }
  return out;
}

/** Boolean strings ("True", "false", any case) → booleans for boolean attributes of a POST/PUT body. */
export function normalizeEntraBooleans(
  resourceBody: ScimResourceJson,
  resourceType: ScimResourceType,
): ScimResourceJson {
  const lookup = getSchemaLookup(resourceType);
  return normalizeObject(lookup, lookup.core, resourceBody, false);
}

/** `normalizeEntraBooleans` plus the manager-as-a-bare-id fix, for POST/PUT bodies. */
export function normalizeEntraResource(
  resourceBody: ScimResourceJson,
  resourceType: ScimResourceType,
): ScimResourceJson {
  const lookup = getSchemaLookup(resourceType);
  return normalizeObject(lookup, lookup.core, resourceBody, true);
}

const needsExpansion = (key: string): boolean => /[.:[]/.test(key);

function pathOfKey(lookup: ScimAttributeSchemaLookup, key: string): PatchPath {
  const schema = isUrnLike(key) ? findSchema(lookup, key) : undefined;
  if (schema !== undefined && schema !== lookup.core)
    return { kind: 'extension', text: key, schema: schema.id.toLowerCase() };
  return parsePatchPath(key, lookup.resourceType);
}

function memberRemovals(op: PatchOp, path: Extract<PatchPath, { kind: 'attribute' }>): PatchOp[] | undefined {
  if (!Array.isArray(op.value) || op.value.length === 0) return undefined;
  const ids: string[] = [];
  for (const el of op.value) {
    const id = isPlainObject(el) ? getCI(el, 'value') : undefined;
    if (typeof id !== 'string' || id === '') return undefined;
    ids.push(id);
  }
  return ids.map((id) => {
    const filter: FilterNode = { op: 'cmp', path: { attr: 'value' }, cmp: 'eq', value: id };
    const text = `${path.text}[value eq ${JSON.stringify(id)}]`;
    const removal: PatchOp = {
      op: 'remove',
      path: { kind: 'attribute', text, attr: { ...path.attr }, filter },
    };
    if (op.index !== undefined) removal.index = op.index;
    return removal;
  });
}

function normalizeOne(lookup: ScimAttributeSchemaLookup, op: PatchOp): PatchOp[] {
  const { path } = op;
  if (path === undefined) {
    return [
      isPlainObject(op.value) ? { ...op, value: normalizeObject(lookup, lookup.core, op.value, true) } : op,
    ];
  }
  if (path.kind === 'extension') {
    const schema = findSchema(lookup, path.schema);
    return [
      schema !== undefined && isPlainObject(op.value)
        ? { ...op, value: normalizeObject(lookup, schema, op.value, true) }
        : op,
    ];
  }
  const resolved = resolveAttribute(lookup, { ...path.attr, sub: undefined }, 'scim.invalid_path');
  const attr = resolved.attribute;
  if (op.op === 'remove') {
    const valueSub = findSubAttribute(attr, 'value');
    if (
      attr.multiValued &&
      valueSub !== undefined &&
      path.filter === undefined &&
      path.attr.sub === undefined
    ) {
      return memberRemovals(op, path) ?? [op];
    }
    return [op];
  }
  const sub = path.attr.sub === undefined ? undefined : findSubAttribute(attr, path.attr.sub);
  if (sub !== undefined) return [{ ...op, value: sub.type === 'boolean' ? boolish(op.value) : op.value }];
  if (isManager(resolved.schema, attr) && op.value === '') {
    // An empty manager id means "no manager".
    const removal: PatchOp = { op: 'remove', path };
    if (op.index !== undefined) removal.index = op.index;
    return [removal];
  }
  if (path.filter !== undefined && attr.type === 'complex') {
    // attr[filter] takes ONE element object.
    const fixed = normalizeValue(resolved.schema, { ...attr, multiValued: false }, op.value, true);
    return [{ ...op, value: fixed }];
  }
  return [{ ...op, value: normalizeValue(resolved.schema, attr, op.value, true) }];
}

/** One operation per key of a path-less value (keys of a core-URN object are keys of the resource). */
function expandPathless(lookup: ScimAttributeSchemaLookup, op: PatchOp, value: Json, out: PatchOp[]): void {
  for (const [key, v] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue;
    if (isUrnLike(key) && findSchema(lookup, key) === lookup.core && isPlainObject(v)) {
      expandPathless(lookup, op, v, out);
      continue;
    }
    const expanded: PatchOp = { op: op.op, path: pathOfKey(lookup, key), value: v };
    if (op.index !== undefined) expanded.index = op.index;
    out.push(...normalizeOne(lookup, expanded));
  }
}

/**
 * Rewrites Entra's dialect into plain RFC 7644 operations (see the file comment). Returns new operations;
 * the input is not modified. Throws `scim.invalid_path` for an unknown key in an expanded path-less value.
 */
export function normalizeEntraPatch(ops: readonly PatchOp[], resourceType: ScimResourceType): PatchOp[] {
  const lookup = getSchemaLookup(resourceType);
  const out: PatchOp[] = [];
  for (const op of ops) {
    withOpIndex(op.index, () => {
      if (
        op.path === undefined &&
        op.op !== 'remove' &&
        isPlainObject(op.value) &&
        Object.keys(op.value).some(needsExpansion)
      ) {
        expandPathless(lookup, op, op.value, out);
        return;
      }
      out.push(...normalizeOne(lookup, op));
    });
  }
  return out;
}

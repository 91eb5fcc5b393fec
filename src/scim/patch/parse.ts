/**
 * Validates a SCIM PATCH request body (RFC 7644 §3.5.2):
 *
 *   { "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
 *     "Operations": [ { "op": "add"|"replace"|"remove", "path"?: PATH, "value"?: … }, … ] }
 *
 * `op` and member names are matched case-insensitively (Entra sends `Add`/`Replace`/`Remove`). Paths are
 * parsed and resolved against the resource schema here, so an unknown attribute or a write to a readOnly
 * one fails before anything is applied.
 */
import { SpoolError } from '../../errors.ts';
import type { ScimResourceType } from '../filter/attribute-schema.ts';
import { findSchema, getSchemaLookup, resolveAttribute } from '../filter/attribute-schema.ts';
import { compileElementFilter, getCI, isPlainObject } from '../filter/evaluate.ts';
import { parseScimPath } from '../filter/parser.ts';
import { isUrnLike } from '../paths.ts';
import type { PatchOp, PatchOpName, PatchPath } from './types.ts';
import { patchError, withOpIndex } from './types.ts';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const OPS: readonly PatchOpName[] = ['add', 'replace', 'remove'];

/** Parses and resolves one PATCH path (or a key of a path-less value object). Throws `scim.invalid_path`. */
export function parsePatchPath(text: string, resourceType: ScimResourceType): PatchPath {
  const lookup = getSchemaLookup(resourceType);
  if (isUrnLike(text)) {
    const schema = findSchema(lookup, text.trim());
    if (schema !== undefined) {
      if (schema === lookup.core) {
        throw new SpoolError(
          'scim.invalid_path',
          `Path '${text}' names the core schema; name an attribute instead.`,
          { status: 400 },
        );
      }
      return { kind: 'extension', text, schema: schema.id.toLowerCase() };
    }
  }
  const parsed = parseScimPath(text);
  const top = resolveAttribute(lookup, { ...parsed.path, sub: undefined }, 'scim.invalid_path');
  if (parsed.filter !== undefined) {
    if (top.attribute.type !== 'complex' || !top.attribute.multiValued) {
      throw new SpoolError(
        'scim.invalid_path',
        `'${top.attribute.name}' is not a multi-valued complex attribute, so '${text}' cannot select values with [filter].`,
        { status: 400 },
      );
    }
    compileElementFilter(parsed.filter, lookup, top, 'scim.invalid_path');
  }
  // Resolving the full path checks the sub-attribute (after a filter it is the element's sub-attribute).
  resolveAttribute(lookup, parsed.path, 'scim.invalid_path');
  return parsed.filter === undefined
    ? { kind: 'attribute', text, attr: parsed.path }
    : { kind: 'attribute', text, attr: parsed.path, filter: parsed.filter };
}

/** RFC 7643 §2.2 "readOnly … SHALL NOT be modified"; RFC 7644 §3.5.2: such PATCHes fail with "mutability". */
export function assertWritable(path: PatchPath, resourceType: ScimResourceType, index?: number): void {
  if (path.kind !== 'attribute') return;
  const resolved = resolveAttribute(resourceType, path.attr, 'scim.invalid_path');
  const target = resolved.sub ?? resolved.attribute;
  if (resolved.attribute.mutability === 'readOnly' || target.mutability === 'readOnly') {
    throw patchError(
      'scim.mutability',
      `'${resolved.canonical}' is read-only and cannot be changed.`,
      index,
      'Leave id, meta, schemas and groups out of PATCH requests; Spool maintains them.',
    );
  }
}

function parseOperation(raw: unknown, index: number, resourceType: ScimResourceType): PatchOp {
  if (!isPlainObject(raw))
    throw patchError('scim.invalid_syntax', 'each operation must be a JSON object with an "op".', index);
  const opText = getCI(raw, 'op');
  const op = typeof opText === 'string' ? opText.trim().toLowerCase() : undefined;
  if (op === undefined || !(OPS as readonly string[]).includes(op)) {
    throw patchError(
      'scim.invalid_syntax',
      `"op" must be "add", "replace" or "remove" (got ${JSON.stringify(opText ?? null)}).`,
      index,
    );
  }
  const name = op as PatchOpName;
  const pathText = getCI(raw, 'path');
  const value = getCI(raw, 'value');
  const result: PatchOp = { op: name, index };
  if (pathText !== undefined && pathText !== null) {
    if (typeof pathText !== 'string' || pathText.trim() === '') {
      throw patchError('scim.invalid_path', '"path" must be a non-empty string.', index);
    }
    result.path = withOpIndex(index, () => parsePatchPath(pathText, resourceType));
    assertWritable(result.path, resourceType, index);
  }
  if (name === 'remove') {
    // RFC 7644 §3.5.2.2: "If 'path' is unspecified, the operation fails with … 'noTarget'."
    if (result.path === undefined)
      throw patchError('scim.no_target', '"remove" needs a "path" naming what to remove.', index);
    // Entra's default dialect sends the members to remove as a value; keep it so nothing reads it as "all".
    if (value !== undefined) result.value = value;
    return result;
  }
  if (value === undefined) throw patchError('scim.invalid_value', `"${name}" needs a "value".`, index);
  if (result.path === undefined && !isPlainObject(value)) {
    throw patchError(
      'scim.invalid_value',
      `"${name}" without a "path" needs a "value" object of attributes, e.g. {"active": false}.`,
      index,
    );
  }
  result.value = value;
  return result;
}

/** Validates the body of PATCH /Users/{id} or /Groups/{id} and returns its operations, in order. */
export function parsePatchRequest(body: unknown, resourceType: ScimResourceType): PatchOp[] {
  if (!isPlainObject(body)) throw patchError('scim.invalid_syntax', 'The PATCH body must be a JSON object.');
  const schemas = getCI(body, 'schemas');
  const hasSchema =
    Array.isArray(schemas) &&
    schemas.some((s) => typeof s === 'string' && s.trim().toLowerCase() === PATCH_OP_SCHEMA.toLowerCase());
  if (!hasSchema) {
    throw patchError(
      'scim.invalid_syntax',
      `"schemas" must contain "${PATCH_OP_SCHEMA}".`,
      undefined,
      'RFC 7644 §3.5.2: a PATCH body is a PatchOp message.',
    );
  }
  const operations = getCI(body, 'Operations');
  if (!Array.isArray(operations))
    throw patchError('scim.invalid_syntax', '"Operations" must be an array of operations.');
  if (operations.length === 0)
    throw patchError(
      'scim.invalid_value',
      'Operations is empty: nothing to change.',
      undefined,
      'Send at least one {"op": …} in "Operations".',
    );
  return operations.map((raw, index) => parseOperation(raw, index, resourceType));
}

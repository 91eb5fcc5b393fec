/**
 * Value checks and JSON helpers for the PATCH applier: type-checking values against RFC 7643 §2.3 data
 * types, canonical attribute spelling, and element identity for multi-valued attributes (RFC 7643 §2.4).
 */
import type { ScimAttributeDescriptor } from '../filter/attribute-schema.ts';
import { findSubAttribute } from '../filter/attribute-schema.ts';
import { getCI, isPlainObject } from '../filter/evaluate.ts';
import { patchError } from './types.ts';

export type Json = Record<string, unknown>;

export const asArray = (v: unknown): unknown[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];

/** The own key matching `name` case-insensitively (exact spelling preferred). */
export function findKeyCI(obj: Json, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

export function deleteCI(obj: Json, name: string): void {
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) delete obj[key];
}

/** Writes `obj[name]` in canonical spelling, dropping any differently-cased copy (e.g. Entra's "Manager"). */
export function setCI(obj: Json, name: string, value: unknown): void {
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key !== name && key.toLowerCase() === lower) delete obj[key];
  // defineProperty, not assignment: a canonical name is never "__proto__", but stay safe on any input.
  Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]))
    );
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

function typeName(desc: ScimAttributeDescriptor): string {
  switch (desc.type) {
    case 'boolean':
      return 'true or false (without quotes)';
    case 'integer':
      return 'a whole number';
    case 'decimal':
      return 'a number';
    case 'dateTime':
      return 'an ISO 8601 date-time string, e.g. "2024-05-01T08:00:00Z"';
    default:
      return 'a string';
  }
}

/** Checks a simple (non-complex) value against the attribute's type; returns it unchanged. */
export function checkSimple(desc: ScimAttributeDescriptor, value: unknown, where: string): unknown {
  let ok: boolean;
  switch (desc.type) {
    case 'boolean':
      ok = typeof value === 'boolean';
      break;
    case 'integer':
      ok = Number.isInteger(value);
      break;
    case 'decimal':
      ok = typeof value === 'number' && Number.isFinite(value);
      break;
    case 'dateTime':
      ok = typeof value === 'string' && !Number.isNaN(Date.parse(value));
      break;
    case 'complex':
      ok = false;
      break;
    default:
      ok = typeof value === 'string';
  }
  if (!ok)
    throw patchError(
      'scim.invalid_value',
      `'${where}' must be ${typeName(desc)}; got ${JSON.stringify(value) ?? 'nothing'}.`,
    );
  return value;
}

/**
 * Canonicalises one value of a complex attribute: sub-attribute names in schema spelling, values
 * type-checked, readOnly sub-attributes dropped (the server owns them, as for PUT in RFC 7644 §3.5.1).
 * A bare primitive becomes `{ value }` when the attribute has a `value` sub-attribute (e.g. a member id).
 * With `keepNulls`, explicit nulls are kept to mean "clear this sub-attribute" in a merge.
 */
export function canonicalElement(
  attr: ScimAttributeDescriptor,
  raw: unknown,
  where: string,
  keepNulls = false,
): Json {
  let obj = raw;
  if (!isPlainObject(obj)) {
    if (obj !== null && typeof obj !== 'object' && findSubAttribute(attr, 'value') !== undefined)
      obj = { value: obj };
    else
      throw patchError(
        'scim.invalid_value',
        `'${where}' values must be objects of sub-attributes; got ${JSON.stringify(raw) ?? 'nothing'}.`,
      );
  }
  const out: Json = {};
  for (const [key, v] of Object.entries(obj as Json)) {
    const sub = findSubAttribute(attr, key);
    if (sub === undefined) {
      throw patchError(
        'scim.invalid_value',
        `'${attr.name}' has no sub-attribute '${key}'.`,
        undefined,
        `Sub-attributes of ${attr.name}: ${(attr.subAttributes ?? []).map((s) => s.name).join(', ')}.`,
      );
    }
    if (sub.mutability === 'readOnly') continue;
    if (v === null) {
      if (keepNulls) setCI(out, sub.name, null);
      continue;
    }
    setCI(out, sub.name, checkSimple(sub, v, `${where}.${sub.name}`));
  }
  return out;
}

function sameSub(sub: ScimAttributeDescriptor | undefined, a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string' && sub !== undefined && !sub.caseExact)
    return a.toLowerCase() === b.toLowerCase();
  return jsonEqual(a, b);
}

/**
 * Whether two values of a multi-valued attribute are "the same value": by the identity sub-attribute when
 * the schema names one (a group member is its id), otherwise every sub-attribute equal (caseExact-aware).
 */
export function sameElement(attr: ScimAttributeDescriptor, a: unknown, b: unknown): boolean {
  if (!isPlainObject(a) || !isPlainObject(b)) return jsonEqual(a, b);
  if (attr.identity !== undefined) {
    const sub = findSubAttribute(attr, attr.identity);
    return sameSub(sub, getCI(a, attr.identity), getCI(b, attr.identity));
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)].map((k) => k.toLowerCase()));
  return [...keys].every((k) => sameSub(findSubAttribute(attr, k), getCI(a, k), getCI(b, k)));
}

/** For identity-keyed attributes (members): the element's identity, folded for caseExact=false. */
export function identityKey(attr: ScimAttributeDescriptor, el: unknown): string | undefined {
  if (attr.identity === undefined || !isPlainObject(el)) return undefined;
  const id = getCI(el, attr.identity);
  if (typeof id !== 'string') return undefined;
  return findSubAttribute(attr, attr.identity)?.caseExact === true ? id : id.toLowerCase();
}

/** Whether `el` matches a value listed for removal: by `value` when given (Entra's member removal), else entirely. */
export function matchesRemoval(attr: ScimAttributeDescriptor, el: unknown, wanted: Json): boolean {
  const valueSub = findSubAttribute(attr, 'value');
  const want = getCI(wanted, 'value');
  if (valueSub !== undefined && want !== undefined && isPlainObject(el))
    return sameSub(valueSub, getCI(el, 'value'), want);
  return sameElement(attr, el, wanted);
}

/**
 * RFC 7643 §2.4: "The primary attribute value 'true' MUST appear no more than once." The value this
 * operation marked primary wins; two newly-marked primaries are a client error.
 */
export function enforceSinglePrimary(
  attr: ScimAttributeDescriptor,
  elements: Json[],
  touched: Set<Json>,
  where: string,
): void {
  if (findSubAttribute(attr, 'primary') === undefined) return;
  const primaries = elements.filter((e) => getCI(e, 'primary') === true);
  if (primaries.length <= 1) return;
  const fresh = primaries.filter((e) => touched.has(e));
  if (fresh.length > 1) {
    throw patchError(
      'scim.invalid_value',
      `Only one value of '${where}' may be primary, but this operation marks ${fresh.length} as primary.`,
    );
  }
  const winner = fresh[0];
  if (winner === undefined) return; // stored data already had two; not this request's doing
  for (const e of primaries) if (e !== winner) deleteCI(e, 'primary');
}

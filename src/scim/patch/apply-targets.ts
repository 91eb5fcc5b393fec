/**
 * The target-specific halves of `applyPatch` (see apply.ts for the behaviour and its RFC 7644 §3.5.2
 * sources): whole multi-valued attributes, sub-attributes, and `attr[filter]` selections.
 */
import type {
  ResolvedAttribute,
  ScimAttributeDescriptor,
  ScimAttributeSchemaLookup,
} from '../filter/attribute-schema.ts';
import { findSubAttribute } from '../filter/attribute-schema.ts';
import type { FilterNode } from '../filter/ast.ts';
import { compileElementFilter, getCI, isPlainObject, isPresent } from '../filter/evaluate.ts';
import type { PatchOpName } from './types.ts';
import { patchError } from './types.ts';
import type { Json } from './values.ts';
import {
  asArray,
  canonicalElement,
  checkSimple,
  deleteCI,
  enforceSinglePrimary,
  identityKey,
  jsonEqual,
  matchesRemoval,
  setCI,
} from './values.ts';

export function canonicalElementOrSimple(attr: ScimAttributeDescriptor, v: unknown, where: string): unknown {
  return attr.type === 'complex' ? canonicalElement(attr, v, where) : checkSimple(attr, v, where);
}

export function writeMulti(container: Json, attr: ScimAttributeDescriptor, elements: unknown[]): void {
  // RFC 7644 §3.5.2.2: with no values left the attribute "SHALL be considered unassigned".
  if (elements.length === 0) deleteCI(container, attr.name);
  else setCI(container, attr.name, elements);
}

export function removeWhole(
  container: Json,
  attr: ScimAttributeDescriptor,
  listed: unknown,
  where: string,
): void {
  if (attr.required) throw patchError('scim.invalid_value', `'${where}' is required and cannot be removed.`);
  if (attr.mutability === 'immutable')
    throw patchError('scim.mutability', `'${where}' is immutable and cannot be removed.`);
  if (attr.multiValued && listed !== undefined && listed !== null) {
    // Entra's default dialect: {"op":"Remove","path":"members","value":[{"value":"id"}]} removes THOSE members.
    const wanted = asArray(listed).map((v) => canonicalElementOrSimple(attr, v, where));
    const wantedIds = new Set(wanted.map((w) => identityKey(attr, w)));
    const current = asArray(getCI(container, attr.name));
    const listedHere = (el: unknown): boolean => {
      const id = identityKey(attr, el);
      if (id !== undefined && wantedIds.has(id)) return true;
      return wanted.some((w) => (isPlainObject(w) ? matchesRemoval(attr, el, w) : jsonEqual(el, w)));
    };
    writeMulti(
      container,
      attr,
      current.filter((el) => !listedHere(el)),
    );
    return;
  }
  deleteCI(container, attr.name);
}

function setSubOn(el: Json, sub: ScimAttributeDescriptor, value: unknown, where: string): void {
  const existing = getCI(el, sub.name);
  if (sub.mutability === 'immutable' && isPresent(existing) && !jsonEqual(existing, value)) {
    throw patchError(
      'scim.mutability',
      `'${where}' is immutable: remove the value and add a new one instead.`,
    );
  }
  setCI(el, sub.name, value);
}

function dropSubFrom(el: Json, sub: ScimAttributeDescriptor, where: string): boolean {
  if (sub.mutability === 'immutable' && isPresent(getCI(el, sub.name))) {
    throw patchError('scim.mutability', `'${where}' is immutable and cannot be removed.`);
  }
  deleteCI(el, sub.name);
  // An element without its `value` (or with nothing left) is meaningless: drop it entirely.
  return sub.name === 'value' || !isPresent(el);
}

/** `name.givenName`, `manager.value`, `emails.value` (every element of a multi-valued attribute). */
export function applySub(
  container: Json,
  op: PatchOpName,
  attr: ScimAttributeDescriptor,
  sub: ScimAttributeDescriptor,
  value: unknown,
  where: string,
): void {
  const clear = op === 'remove' || value === null;
  const v = clear ? undefined : checkSimple(sub, value, where);
  const current = getCI(container, attr.name);
  if (attr.multiValued) {
    let elements = asArray(current).filter(isPlainObject);
    if (clear) {
      elements = elements.filter((el) => !dropSubFrom(el, sub, where));
    } else if (elements.length === 0) {
      elements = [{ [sub.name]: v }];
    } else {
      for (const el of elements) setSubOn(el, sub, v, where);
      enforceSinglePrimary(attr, elements, new Set(elements), where);
    }
    writeMulti(container, attr, elements);
    return;
  }
  const obj: Json = isPlainObject(current) ? { ...current } : {};
  if (!clear) setSubOn(obj, sub, v, where);
  else if (sub.mutability === 'immutable' && isPresent(getCI(obj, sub.name))) {
    throw patchError('scim.mutability', `'${where}' is immutable and cannot be removed.`);
  } else deleteCI(obj, sub.name);
  if (isPresent(obj)) setCI(container, attr.name, obj);
  else deleteCI(container, attr.name);
}

/** Replacing a whole element must not change sub-attributes that are immutable (e.g. a member's id). */
function assertImmutablesKept(attr: ScimAttributeDescriptor, before: Json, after: Json, where: string): void {
  for (const sub of attr.subAttributes ?? []) {
    if (sub.mutability !== 'immutable') continue;
    const was = getCI(before, sub.name);
    if (isPresent(was) && !jsonEqual(was, getCI(after, sub.name))) {
      throw patchError(
        'scim.mutability',
        `'${where}.${sub.name}' is immutable: remove the value and add a new one instead.`,
      );
    }
  }
}

/** For a filter that is a conjunction of `eq` tests: the element those tests describe (to create it). */
function elementFromFilter(attr: ScimAttributeDescriptor, filter: FilterNode): Json | undefined {
  if (filter.op === 'cmp' && filter.cmp === 'eq' && filter.value !== null) {
    const sub = findSubAttribute(attr, filter.path.attr);
    return sub === undefined ? undefined : { [sub.name]: filter.value };
  }
  if (filter.op !== 'and') return undefined;
  const [l, r] = [elementFromFilter(attr, filter.left), elementFromFilter(attr, filter.right)];
  if (l === undefined || r === undefined) return undefined;
  for (const [k, v] of Object.entries(r)) if (Object.hasOwn(l, k) && !jsonEqual(l[k], v)) return undefined;
  return { ...l, ...r };
}

export function applyFiltered(
  lookup: ScimAttributeSchemaLookup,
  container: Json,
  op: PatchOpName,
  top: ResolvedAttribute,
  filter: FilterNode,
  sub: ScimAttributeDescriptor | undefined,
  value: unknown,
  where: string,
): void {
  const attr = top.attribute;
  const matches = compileElementFilter(filter, lookup, top, 'scim.invalid_path');
  let elements = asArray(getCI(container, attr.name)).filter(isPlainObject);
  const matched = new Set(elements.filter(matches));
  const clear = op === 'remove' || value === null;

  if (clear) {
    if (sub === undefined) elements = elements.filter((el) => !matched.has(el));
    else elements = elements.filter((el) => !matched.has(el) || !dropSubFrom(el, sub, where));
    writeMulti(container, attr, elements);
    return;
  }
  const touched = new Set<Json>();
  if (matched.size === 0) {
    // RFC 7644 §3.5.2.3 would answer noTarget; Entra expects the element to be created (see file comment).
    const seed = elementFromFilter(attr, filter);
    if (seed === undefined)
      throw patchError(
        'scim.no_target',
        `No value of '${attr.name}' matches the filter in '${where}', and it is not a simple eq filter Spool could create one from.`,
      );
    const created: Json =
      sub === undefined
        ? { ...seed, ...canonicalElement(attr, value, where) }
        : { ...seed, [sub.name]: checkSimple(sub, value, where) };
    elements.push(created);
    touched.add(created);
  } else if (sub !== undefined) {
    const v = checkSimple(sub, value, where);
    for (const el of matched) {
      setSubOn(el, sub, v, where);
      touched.add(el);
    }
  } else {
    if (!isPlainObject(value))
      throw patchError('scim.invalid_value', `'${where}' takes one object of sub-attributes.`);
    const incoming = canonicalElement(attr, value, where, true);
    const seed = elementFromFilter(attr, filter) ?? {};
    elements = elements.map((el) => {
      if (!matched.has(el)) return el;
      const base: Json = op === 'replace' ? { ...seed } : el;
      for (const [k, v] of Object.entries(incoming)) {
        if (v === null) deleteCI(base, k);
        else {
          const s = findSubAttribute(attr, k);
          if (s !== undefined && op === 'add') setSubOn(base, s, v, where);
          else setCI(base, k, v);
        }
      }
      if (op === 'replace') assertImmutablesKept(attr, el, base, where);
      touched.add(base);
      return base;
    });
  }
  enforceSinglePrimary(attr, elements, touched, where);
  writeMulti(container, attr, elements);
}

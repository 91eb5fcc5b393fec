/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.9, §3.4.2.5): which attributes a response carries.
 * `id` and `schemas` are always returned (RFC 7643 §2.2 returned "always"). Names are case-insensitive,
 * may be URN-qualified, may name a sub-attribute (`name.givenName`) or a whole extension schema. Names the
 * schema does not know are ignored: the RFC defines no error for them, and a stricter answer would only break
 * clients that ask for extension attributes Spool does not serve.
 */
import type { ResolvedAttribute, ScimResourceType } from './filter/attribute-schema.ts';
import { findSchema, getSchemaLookup, resolveAttribute } from './filter/attribute-schema.ts';
import { isPlainObject } from './filter/evaluate.ts';
import { splitAttrPath } from './paths.ts';
import type { Json } from './resource-body.ts';

interface Selector {
  /** Extension schema id, when the selector is inside (or is) an extension. */
  ext?: string;
  /** Canonical attribute name; undefined when the whole extension is selected. */
  attr?: string;
  sub?: string;
}

export interface Projection {
  include?: Selector[];
  exclude?: Selector[];
}

function parseList(text: unknown, type: ScimResourceType): Selector[] | undefined {
  if (text === undefined || text === null || text === '') return undefined; // the usual case: nothing asked
  const items = (Array.isArray(text) ? text : typeof text === 'string' ? text.split(',') : [])
    .filter((s): s is string => typeof s === 'string')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) return undefined;
  const lookup = getSchemaLookup(type);
  const out: Selector[] = [];
  for (const item of items) {
    const schema = item.slice(0, 4).toLowerCase() === 'urn:' ? findSchema(lookup, item) : undefined;
    if (schema !== undefined) {
      if (schema !== lookup.core) out.push({ ext: schema.id });
      continue;
    }
    const split = splitAttrPath(item);
    if (!split.ok) continue;
    let r: ResolvedAttribute;
    try {
      r = resolveAttribute(type, split.path);
    } catch {
      continue;
    }
    out.push({ ...(r.isExtension ? { ext: r.schema.id } : {}), attr: r.attribute.name, ...(r.sub ? { sub: r.sub.name } : {}) });
  }
  return out;
}

const EVERYTHING: Projection = Object.freeze({});

/** Reads `attributes` / `excludedAttributes` from a query string or a SearchRequest body (lists or CSV). */
export function parseProjection(attributes: unknown, excludedAttributes: unknown, type: ScimResourceType): Projection {
  const include = parseList(attributes, type);
  const exclude = include === undefined ? parseList(excludedAttributes, type) : undefined; // RFC: attributes wins
  return include ? { include } : exclude ? { exclude } : EVERYTHING;
}

/** Whether the projected response can contain `attr` (e.g. members, groups): lets callers skip loading it. */
export function wants(p: Projection, attr: string, returnedByDefault: boolean): boolean {
  if (p.include) return p.include.some((s) => s.ext === undefined && s.attr === attr);
  if (p.exclude?.some((s) => s.ext === undefined && s.attr === attr && s.sub === undefined)) return false;
  return returnedByDefault;
}

function pickSub(value: unknown, sub: string): unknown {
  if (Array.isArray(value)) {
    const els = value.filter(isPlainObject).map((el) => (sub in el ? { [sub]: el[sub] } : undefined)).filter((el) => el !== undefined);
    return els.length ? els : undefined;
  }
  return isPlainObject(value) && sub in value ? { [sub]: value[sub] } : undefined;
}

function mergeInto(target: Json, key: string, value: unknown): void {
  const prev = target[key];
  if (Array.isArray(prev) && Array.isArray(value)) target[key] = prev.map((el, i) => ({ ...(el as Json), ...(value[i] as Json) }));
  else if (isPlainObject(prev) && isPlainObject(value)) target[key] = { ...prev, ...value };
  else target[key] = value;
}

function include(resource: Json, selectors: Selector[]): Json {
  const out: Json = { schemas: resource.schemas, id: resource.id };
  for (const s of selectors) {
    const src = s.ext ? resource[s.ext] : resource;
    if (!isPlainObject(src)) continue;
    if (s.attr === undefined) {
      out[s.ext as string] = src;
      continue;
    }
    const holder: Json = s.ext ? ((out[s.ext] as Json | undefined) ?? (out[s.ext] = {}) as Json) : out;
    const value = s.sub ? pickSub(src[s.attr], s.sub) : src[s.attr];
    if (value !== undefined) mergeInto(holder, s.attr, value);
  }
  return out;
}

function exclude(resource: Json, selectors: Selector[]): Json {
  const out: Json = { ...resource };
  for (const s of selectors) {
    if (s.attr === undefined) {
      delete out[s.ext as string];
      continue;
    }
    if (!s.ext && s.attr === 'id') continue; // returned "always"
    const holder = s.ext ? (isPlainObject(out[s.ext]) ? (out[s.ext] = { ...(out[s.ext] as Json) }) : undefined) : out;
    if (!isPlainObject(holder)) continue;
    if (!s.sub) {
      delete holder[s.attr];
      continue;
    }
    const v = holder[s.attr];
    if (Array.isArray(v)) holder[s.attr] = v.map((el) => (isPlainObject(el) ? withoutKey(el, s.sub as string) : el));
    else if (isPlainObject(v)) holder[s.attr] = withoutKey(v, s.sub);
  }
  return out;
}

function withoutKey(obj: Json, key: string): Json {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}

/** Applies a projection to one rendered resource; `schemas` is trimmed to the extensions still present. */
export function project(resource: Json, p: Projection): Json {
  if (!p.include && !p.exclude) return resource;
  const out = p.include ? include(resource, p.include) : exclude(resource, p.exclude as Selector[]);
  for (const key of Object.keys(out)) if (key.startsWith('urn:') && isPlainObject(out[key]) && Object.keys(out[key] as Json).length === 0) delete out[key];
  if (Array.isArray(resource.schemas)) out.schemas = (resource.schemas as string[]).filter((s, i) => i === 0 || s in out);
  return out;
}

/**
 * Request bodies of POST and PUT (RFC 7644 §3.3, §3.5.1) turned into canonical resource JSON: attribute names
 * in schema spelling, extension attributes under their schema URN, values type-checked (RFC 7643 §2.3),
 * Entra's string booleans and bare manager ids fixed. Per RFC 7643 §2.2, readOnly attributes a client sends
 * (id, meta, groups) are ignored, and so are attributes the schema does not define (Entra sends whatever an
 * admin maps). Unknown schema URNs in `schemas` or as extension keys are refused: Spool could not keep them.
 */
import type { ScimAttributeDescriptor, ScimResourceType, ScimSchemaDescriptor } from './filter/attribute-schema.ts';
import { findAttribute, findSchema, getSchemaLookup } from './filter/attribute-schema.ts';
import { isPlainObject } from './filter/evaluate.ts';
import { normalizeEntraResource } from './patch/entra.ts';
import { asArray, canonicalElement, checkSimple, enforceSinglePrimary, setCI } from './patch/values.ts';
import { scimError } from './errors.ts';

export type Json = Record<string, unknown>;

const MAX_DEPTH = 8;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Rejects strings PostgreSQL or SQLite would store differently from what was sent: NUL characters (PostgreSQL
 * text cannot hold them) and lone UTF-16 surrogates (they would silently become U+FFFD). Every request body
 * passes here, so the position for the message (`body.emails[0].value`) is only spelled out on failure.
 */
export function assertStorableStrings(value: unknown): void {
  findUnstorable(value, ['body'], 0);
}

const spell = (at: Array<string | number>): string => at.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

function findUnstorable(value: unknown, at: Array<string | number>, depth: number): void {
  if (depth > MAX_DEPTH) throw scimError('scim.invalid_value', `${spell(at)} is nested too deeply.`);
  if (typeof value === 'string') {
    if (value.includes('\u0000') || LONE_SURROGATE.test(value)) throw scimError('scim.invalid_value', `${spell(at)} contains a NUL character or invalid Unicode (a lone surrogate).`);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      at.push(i);
      findUnstorable(value[i], at, depth + 1);
      at.pop();
    }
    return;
  }
  if (isPlainObject(value)) {
    for (const k of Object.keys(value)) {
      findUnstorable(k, at, depth + 1);
      at.push(k);
      findUnstorable(value[k], at, depth + 1);
      at.pop();
    }
  }
}

/** Checks `schemas`: present, strings only, naming the core schema and only schemas Spool knows. */
export function checkSchemas(body: Json, type: ScimResourceType): void {
  const lookup = getSchemaLookup(type);
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'schemas');
  const schemas = key === undefined ? undefined : body[key];
  if (!Array.isArray(schemas) || schemas.length === 0 || schemas.some((s) => typeof s !== 'string')) {
    throw scimError('scim.invalid_syntax', `"schemas" must be a list of schema URNs including "${lookup.core.id}".`, 400, 'RFC 7643 §3: every resource lists its schemas.');
  }
  for (const s of schemas as string[]) {
    if (findSchema(lookup, s) === undefined) {
      throw scimError('scim.invalid_value', `Spool does not support the schema "${s}" on ${type} resources.`, 400, `Supported: ${[lookup.core, ...lookup.extensions].map((x) => x.id).join(', ')} (see GET /Schemas).`);
    }
  }
  if (!schemas.some((s) => typeof s === 'string' && s.toLowerCase() === lookup.core.id.toLowerCase())) {
    throw scimError('scim.invalid_value', `"schemas" must include "${lookup.core.id}".`);
  }
}

function canonicalValue(attr: ScimAttributeDescriptor, value: unknown, where: string): unknown {
  if (attr.multiValued) {
    const list = asArray(value).filter((v) => v !== null);
    if (attr.type !== 'complex') return list.map((v) => checkSimple(attr, v, where));
    const elements = list.map((v) => canonicalElement(attr, v, where)).filter((el) => Object.keys(el).length > 0);
    enforceSinglePrimary(attr, elements, new Set(elements), where);
    return elements;
  }
  if (attr.type === 'complex') return canonicalElement(attr, value, where);
  return checkSimple(attr, value, where);
}

function canonicalAttributes(schema: ScimSchemaDescriptor, src: Json, out: Json, prefix: string): void {
  for (const [key, value] of Object.entries(src)) {
    const attr = findAttribute(schema, key);
    if (attr === undefined || value === null || value === undefined) continue; // unknown or unassigned
    if (attr.mutability === 'readOnly' || attr.mutability === 'writeOnly') continue; // id, meta, groups, password
    const v = canonicalValue(attr, value, `${prefix}${attr.name}`);
    if (Array.isArray(v) ? v.length === 0 : isPlainObject(v) ? Object.keys(v).length === 0 : false) continue;
    setCI(out, attr.name, v);
  }
}

/** The canonical resource JSON of a POST/PUT body (no id, meta, schemas or readOnly attributes). */
export function canonicalResource(body: unknown, type: ScimResourceType): Json {
  if (!isPlainObject(body)) throw scimError('scim.invalid_syntax', `The request body must be a JSON object (a ${type} resource).`);
  assertStorableStrings(body);
  checkSchemas(body, type);
  const lookup = getSchemaLookup(type);
  const fixed = normalizeEntraResource(body, type);
  const out: Json = {};
  const core: Json = {};
  for (const [key, value] of Object.entries(fixed)) {
    if (key.slice(0, 4).toLowerCase() !== 'urn:') {
      core[key] = value;
      continue;
    }
    const schema = findSchema(lookup, key);
    if (schema === undefined) throw scimError('scim.invalid_value', `Spool does not support the schema "${key}" on ${type} resources.`);
    if (value === null) continue;
    if (!isPlainObject(value)) throw scimError('scim.invalid_value', `"${key}" must be an object of that schema's attributes.`);
    if (schema === lookup.core) Object.assign(core, value);
    else {
      const ext: Json = {};
      canonicalAttributes(schema, value, ext, `${schema.id}:`);
      if (Object.keys(ext).length > 0) out[schema.id] = ext;
    }
  }
  const coreOut: Json = {};
  canonicalAttributes(lookup.core, core, coreOut, '');
  return { ...coreOut, ...out };
}

/**
 * Attribute descriptions for the resources Spool serves over SCIM, and the lookup that turns an `AttrPath`
 * into the attribute it names. Used by the in-memory evaluator, the PATCH engine and the SQL translation
 * (which maps `ResolvedAttribute.canonical` to columns).
 *
 * Name matching is case-insensitive (RFC 7644 §3.10: "attribute names are case insensitive"); resolved
 * descriptors carry the canonical spelling. An unqualified name resolves to the core schema first, then to
 * an extension that defines it (so `department` finds the Enterprise User attribute).
 */
import { SpoolError } from '../../errors.ts';
import type { AttrPath } from '../paths.ts';
import { formatAttrPath } from '../paths.ts';
import { CORE_GROUP, CORE_USER, ENTERPRISE_USER } from './schema-definitions.ts';

export { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from './schema-definitions.ts';

export type ScimResourceType = 'User' | 'Group';
export type ScimAttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';
export type ScimMutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';

export interface ScimAttributeDescriptor {
  /** Canonical spelling, e.g. `userName`, `$ref`. */
  name: string;
  type: ScimAttributeType;
  multiValued: boolean;
  /** RFC 7643 §2.2: whether string comparison is case-sensitive. */
  caseExact: boolean;
  mutability: ScimMutability;
  required: boolean;
  returned?: 'always' | 'never' | 'default' | 'request';
  subAttributes?: readonly ScimAttributeDescriptor[];
  /** For multi-valued complex attributes: the sub-attribute that identifies an element (members: `value`). */
  identity?: string;
}

export interface ScimSchemaDescriptor {
  /** Canonical schema URN. */
  id: string;
  name: string;
  attributes: readonly ScimAttributeDescriptor[];
}

/** What `matchesFilter` / `resolveAttribute` need to know about one resource type. */
export interface ScimAttributeSchemaLookup {
  resourceType: ScimResourceType;
  core: ScimSchemaDescriptor;
  extensions: readonly ScimSchemaDescriptor[];
}

export const USER_SCHEMA_LOOKUP: ScimAttributeSchemaLookup = {
  resourceType: 'User',
  core: CORE_USER,
  extensions: [ENTERPRISE_USER],
};
export const GROUP_SCHEMA_LOOKUP: ScimAttributeSchemaLookup = {
  resourceType: 'Group',
  core: CORE_GROUP,
  extensions: [],
};

export function getSchemaLookup(
  resourceType: ScimResourceType | ScimAttributeSchemaLookup,
): ScimAttributeSchemaLookup {
  if (typeof resourceType !== 'string') return resourceType;
  return resourceType === 'Group' ? GROUP_SCHEMA_LOOKUP : USER_SCHEMA_LOOKUP;
}

export interface ResolvedAttribute {
  /** The schema that defines the attribute. */
  schema: ScimSchemaDescriptor;
  /** True for extension attributes, which live under `resource[schema.id]` (RFC 7643 §3.3). */
  isExtension: boolean;
  attribute: ScimAttributeDescriptor;
  sub: ScimAttributeDescriptor | undefined;
  /**
   * What a comparison applies to: the sub-attribute; else, for a complex attribute, its `value`
   * sub-attribute (RFC 7644 §3.4.2.2 example `emails co "example.com"`); else the attribute itself.
   * Undefined for complex attributes without `value` (e.g. `name`), which need a sub-attribute.
   */
  comparable: ScimAttributeDescriptor | undefined;
  /** Canonical notation: `name.givenName`, `urn:…:enterprise:2.0:User:manager.value` for extensions. */
  canonical: string;
}

export type ScimPathErrorCode = 'scim.invalid_filter' | 'scim.invalid_path';

/**
 * Case-insensitive name indexes of the (constant) descriptor lists, built on first use: every filter, PATCH
 * path and body key is looked up here, several times per request, so a Map read replaces lower-casing every
 * name of the list each time. The first of equal names wins, as a linear search would.
 */
const nameIndexes = new WeakMap<readonly object[], Map<string, unknown>>();

function indexed<T extends object>(list: readonly T[], nameOf: (item: T) => string): Map<string, T> {
  let index = nameIndexes.get(list) as Map<string, T> | undefined;
  if (index === undefined) {
    index = new Map();
    for (const item of list) {
      const key = nameOf(item).toLowerCase();
      if (!index.has(key)) index.set(key, item);
    }
    nameIndexes.set(list, index);
  }
  return index;
}

const nameOfAttribute = (a: ScimAttributeDescriptor): string => a.name;
const idOfSchema = (s: ScimSchemaDescriptor): string => s.id;
const schemasOf = new WeakMap<ScimAttributeSchemaLookup, readonly ScimSchemaDescriptor[]>();

/** The attribute of `schema` with this name, compared case-insensitively (RFC 7644 §3.10). */
export function findAttribute(schema: ScimSchemaDescriptor, name: string): ScimAttributeDescriptor | undefined {
  return indexed(schema.attributes, nameOfAttribute).get(name.toLowerCase());
}

/** The core schema, then the extensions: the order unqualified names resolve in. */
function schemaList(lookup: ScimAttributeSchemaLookup): readonly ScimSchemaDescriptor[] {
  let list = schemasOf.get(lookup);
  if (list === undefined) schemasOf.set(lookup, (list = [lookup.core, ...lookup.extensions]));
  return list;
}

/** The schema (core or extension) with this URN, compared case-insensitively. */
export function findSchema(lookup: ScimAttributeSchemaLookup, urn: string): ScimSchemaDescriptor | undefined {
  return indexed(schemaList(lookup), idOfSchema).get(urn.toLowerCase());
}

export function findSubAttribute(
  parent: ScimAttributeDescriptor,
  name: string,
): ScimAttributeDescriptor | undefined {
  return parent.subAttributes === undefined ? undefined : indexed(parent.subAttributes, nameOfAttribute).get(name.toLowerCase());
}

function comparableOf(
  attribute: ScimAttributeDescriptor,
  sub: ScimAttributeDescriptor | undefined,
): ScimAttributeDescriptor | undefined {
  if (sub !== undefined) return sub;
  if (attribute.type !== 'complex') return attribute;
  return findSubAttribute(attribute, 'value');
}

function pathError(code: ScimPathErrorCode, message: string, lookup: ScimAttributeSchemaLookup): SpoolError {
  return new SpoolError(code, message, {
    status: 400,
    hint: `GET /Schemas lists the attributes of ${lookup.resourceType} resources; names are case-insensitive.`,
  });
}

/** Resolves a top-level path (`userName`, `name.givenName`, `urn:…:User:manager`) or throws `code` (400). */
export function resolveAttribute(
  resourceType: ScimResourceType | ScimAttributeSchemaLookup,
  path: AttrPath,
  code: ScimPathErrorCode = 'scim.invalid_filter',
): ResolvedAttribute {
  const lookup = getSchemaLookup(resourceType);
  let schema: ScimSchemaDescriptor | undefined;
  let attribute: ScimAttributeDescriptor | undefined;
  if (path.schema !== undefined) {
    schema = findSchema(lookup, path.schema);
    if (schema === undefined) {
      throw pathError(code, `Unknown schema '${path.schema}' for ${lookup.resourceType} resources.`, lookup);
    }
    attribute = findAttribute(schema, path.attr);
  } else {
    for (const candidate of schemaList(lookup)) {
      attribute = findAttribute(candidate, path.attr);
      if (attribute !== undefined) {
        schema = candidate;
        break;
      }
    }
  }
  if (schema === undefined || attribute === undefined) {
    throw pathError(
      code,
      `Unknown attribute '${formatAttrPath(path)}' for ${lookup.resourceType} resources.`,
      lookup,
    );
  }
  let sub: ScimAttributeDescriptor | undefined;
  if (path.sub !== undefined) {
    if (attribute.type !== 'complex') {
      throw pathError(
        code,
        `'${attribute.name}' has no sub-attributes, so '${formatAttrPath(path)}' does not exist.`,
        lookup,
      );
    }
    sub = findSubAttribute(attribute, path.sub);
    if (sub === undefined) {
      throw pathError(code, `'${attribute.name}' has no sub-attribute '${path.sub}'.`, lookup);
    }
  }
  const isExtension = schema !== lookup.core;
  const local = sub === undefined ? attribute.name : `${attribute.name}.${sub.name}`;
  return {
    schema,
    isExtension,
    attribute,
    sub,
    comparable: comparableOf(attribute, sub),
    canonical: isExtension ? `${schema.id}:${local}` : local,
  };
}

/**
 * Resolves a path inside a value filter (`emails[type eq "work"]`: `type` is a sub-attribute of `emails`).
 * Such paths name one sub-attribute: no schema URN, no further `.sub`.
 */
export function resolveSubAttribute(
  resourceType: ScimResourceType | ScimAttributeSchemaLookup,
  parent: ResolvedAttribute,
  path: AttrPath,
  code: ScimPathErrorCode = 'scim.invalid_filter',
): ResolvedAttribute {
  const lookup = getSchemaLookup(resourceType);
  if (parent.attribute.type !== 'complex' || parent.sub !== undefined) {
    throw pathError(
      code,
      `'${parent.canonical}' is not a complex attribute, so it cannot take a [filter].`,
      lookup,
    );
  }
  if (path.schema !== undefined || path.sub !== undefined) {
    throw pathError(
      code,
      `Inside '${parent.attribute.name}[...]' name a sub-attribute of ${parent.attribute.name} (e.g. type or value), not '${formatAttrPath(path)}'.`,
      lookup,
    );
  }
  const sub = findSubAttribute(parent.attribute, path.attr);
  if (sub === undefined) {
    throw pathError(code, `'${parent.attribute.name}' has no sub-attribute '${path.attr}'.`, lookup);
  }
  return {
    ...parent,
    sub,
    comparable: sub,
    canonical: `${parent.canonical}.${sub.name}`,
  };
}

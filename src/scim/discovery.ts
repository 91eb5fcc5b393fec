/**
 * Service provider discovery (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes and /Schemas, built from
 * the same attribute descriptors the filter and PATCH code use, so what Spool advertises is what it does.
 */
import type { ScimAttributeDescriptor, ScimSchemaDescriptor } from './filter/attribute-schema.ts';
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA_LOOKUP, USER_SCHEMA_LOOKUP } from './filter/attribute-schema.ts';
import { notFound } from './errors.ts';
import type { Json } from './resource-body.ts';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
/** Largest page Spool returns (advertised as filter.maxResults). */
export const MAX_RESULTS = 1000;
/** Page size when the client sends no `count`. */
export const DEFAULT_COUNT = 100;

export function serviceProviderConfig(base: string): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A secret token from "spool scim token create" (or the console), sent as Authorization: Bearer <token>.',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

function resourceType(base: string, id: 'User' | 'Group'): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id,
    name: id,
    endpoint: id === 'User' ? '/Users' : '/Groups',
    description: id === 'User' ? 'Spool users (people who print)' : 'Spool groups (drive initial credit and quotas)',
    schema: id === 'User' ? CORE_USER_SCHEMA : CORE_GROUP_SCHEMA,
    ...(id === 'User' ? { schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }] } : {}),
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${id}` },
  };
}

export const listResponse = (resources: Json[], total = resources.length, startIndex = 1): Json => ({
  schemas: [LIST_RESPONSE_SCHEMA],
  totalResults: total,
  startIndex,
  itemsPerPage: resources.length,
  Resources: resources,
});

export function resourceTypes(base: string, id?: string): Json {
  const all = [resourceType(base, 'User'), resourceType(base, 'Group')];
  if (id === undefined) return listResponse(all);
  const hit = all.find((r) => String(r.id).toLowerCase() === id.toLowerCase());
  if (!hit) throw notFound('resource', id);
  return hit;
}

const UNIQUE = new Set(['id', 'userName', 'displayName@Group']);

function attributeJson(a: ScimAttributeDescriptor, schemaName: string): Json {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.name,
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned ?? (a.name === 'id' ? 'always' : 'default'),
    uniqueness: UNIQUE.has(a.name) || UNIQUE.has(`${a.name}@${schemaName}`) ? 'server' : 'none',
    ...(a.type === 'reference' ? { referenceTypes: a.name === '$ref' ? ['User', 'Group'] : ['external'] } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map((s) => attributeJson(s, schemaName)) } : {}),
  };
}

function schemaJson(base: string, s: ScimSchemaDescriptor): Json {
  // RFC 7643 §7: common attributes (id, externalId, meta, schemas) are not part of a schema's attribute list.
  const attributes = s.attributes.filter((a) => !['id', 'externalId', 'meta', 'schemas'].includes(a.name));
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: s.id,
    name: s.name,
    description: `${s.name} attributes served by Spool`,
    attributes: attributes.map((a) => attributeJson(a, s.name)),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` },
  };
}

export function schemas(base: string, id?: string): Json {
  const all = [USER_SCHEMA_LOOKUP.core, ...USER_SCHEMA_LOOKUP.extensions, GROUP_SCHEMA_LOOKUP.core].map((s) => schemaJson(base, s));
  if (id === undefined) return listResponse(all);
  const hit = all.find((s) => String(s.id).toLowerCase() === id.toLowerCase());
  if (!hit) throw notFound('resource', id);
  return hit;
}

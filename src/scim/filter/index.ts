/** SCIM filters (RFC 7644 §3.4.2.2): parsing, schema lookup and in-memory evaluation. Pure code, no I/O. */
export type {
  AttrPath,
  CompValue,
  CompareOp,
  CompareNode,
  FilterNode,
  LogicalNode,
  NotNode,
  PresentNode,
  ValuePathNode,
} from './ast.ts';
export { COMPARE_OPS } from './ast.ts';
export { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseScimFilter, parseScimPath } from './parser.ts';
export type { ParsedScimPath } from './parser.ts';
export type {
  ResolvedAttribute,
  ScimAttributeDescriptor,
  ScimAttributeSchemaLookup,
  ScimAttributeType,
  ScimMutability,
  ScimPathErrorCode,
  ScimResourceType,
  ScimSchemaDescriptor,
} from './attribute-schema.ts';
export {
  CORE_GROUP_SCHEMA,
  CORE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA_LOOKUP,
  USER_SCHEMA_LOOKUP,
  findSchema,
  findSubAttribute,
  getSchemaLookup,
  resolveAttribute,
  resolveSubAttribute,
} from './attribute-schema.ts';
export { compileElementFilter, compileFilter, matchesFilter, validateFilter } from './evaluate.ts';
export type { ResourcePredicate } from './evaluate.ts';

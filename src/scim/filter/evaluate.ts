/**
 * In-memory evaluation of SCIM filters (RFC 7644 §3.4.2.2) against resource JSON. Used for PATCH value
 * filters (`emails[type eq "work"]`) and as the reference behaviour the SQL translation is tested against.
 *
 * Semantics, per §3.4.2.2 unless noted:
 * - A multi-valued attribute matches if ANY of its values matches.
 * - Comparing a complex attribute without a sub-attribute compares its `value` sub-attribute.
 * - Strings compare case-insensitively unless the attribute is caseExact (RFC 7643 §2.2); gt/ge/lt/le
 *   compare strings lexicographically, dateTimes chronologically, numbers numerically.
 * - `pr` matches a non-empty value (not null, "", [] or {}).
 * - Spool's choices where the RFC is silent: `ne X` is `not (eq X)` (so an absent attribute is "ne"
 *   anything), `eq null` is `not pr`, `ne null` is `pr`.
 * - Type mismatches are client errors (400 invalidFilter), never silent non-matches: `active gt true`,
 *   `userName eq 5`, `name eq "x"`, or any filter on `password`.
 */
import { SpoolError } from '../../errors.ts';
import type { AttrPath } from '../paths.ts';
import { formatAttrPath } from '../paths.ts';
import type { CompValue, CompareOp, FilterNode } from './ast.ts';
import type {
  ResolvedAttribute,
  ScimAttributeDescriptor,
  ScimAttributeSchemaLookup,
  ScimPathErrorCode,
  ScimResourceType,
} from './attribute-schema.ts';
import { getSchemaLookup, resolveAttribute, resolveSubAttribute } from './attribute-schema.ts';

type Json = Record<string, unknown>;
export type ResourcePredicate = (resource: object) => boolean;
type Pred = (target: Json) => boolean;

export function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own property by case-insensitive name (attribute names are case-insensitive, RFC 7644 §3.10). */
export function getCI(obj: Json, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key];
  return undefined;
}

export function isPresent(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.some(isPresent);
  if (isPlainObject(v)) return Object.values(v).some(isPresent);
  return true;
}

const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** The raw value of the top-level attribute (extension attributes live under their schema URN key). */
export function topLevelValue(resource: Json, resolved: ResolvedAttribute): unknown {
  const container = resolved.isExtension ? getCI(resource, resolved.schema.id) : resource;
  return isPlainObject(container) ? getCI(container, resolved.attribute.name) : undefined;
}

/** The leaf values a comparison looks at, flattened across multi-valued elements. */
function leafValues(holder: Json, resolved: ResolvedAttribute, inElement: boolean): unknown[] {
  if (inElement) return asArray(getCI(holder, (resolved.sub as ScimAttributeDescriptor).name));
  const top = topLevelValue(holder, resolved);
  const leaf = resolved.comparable;
  if (resolved.attribute.type !== 'complex' || leaf === undefined) return asArray(top);
  return asArray(top).flatMap((el) => (isPlainObject(el) ? asArray(getCI(el, leaf.name)) : []));
}

function presenceValue(holder: Json, resolved: ResolvedAttribute, inElement: boolean): unknown {
  if (inElement) return getCI(holder, (resolved.sub as ScimAttributeDescriptor).name);
  const top = topLevelValue(holder, resolved);
  if (resolved.sub === undefined) return top;
  return asArray(top).map((el) =>
    isPlainObject(el) ? getCI(el, (resolved.sub as ScimAttributeDescriptor).name) : undefined,
  );
}

function filterError(code: ScimPathErrorCode, message: string, hint?: string): SpoolError {
  return new SpoolError(code, message, { status: 400, ...(hint === undefined ? {} : { hint }) });
}

function checkComparison(
  leaf: ScimAttributeDescriptor,
  name: string,
  op: CompareOp,
  value: CompValue,
  code: ScimPathErrorCode,
): void {
  if (value === null) {
    if (op !== 'eq' && op !== 'ne')
      throw filterError(code, `'${name} ${op} null' is not a valid comparison; only eq and ne accept null.`);
    return;
  }
  if (leaf.type === 'boolean') {
    if (typeof value !== 'boolean')
      throw filterError(code, `'${name}' is a boolean; compare it with true or false (no quotes).`);
    if (op !== 'eq' && op !== 'ne')
      throw filterError(code, `'${op}' cannot be used with the boolean attribute '${name}'; use eq or ne.`);
    return;
  }
  if (leaf.type === 'integer' || leaf.type === 'decimal') {
    if (typeof value !== 'number')
      throw filterError(code, `'${name}' is a number; compare it with a number (no quotes).`);
    if (op === 'co' || op === 'sw' || op === 'ew')
      throw filterError(code, `'${op}' cannot be used with the numeric attribute '${name}'.`);
    return;
  }
  if (typeof value !== 'string') {
    throw filterError(
      code,
      `'${name}' is a ${leaf.type === 'dateTime' ? 'dateTime' : 'string'}; put the value in double quotes, e.g. ${name} ${op} "${String(value)}".`,
    );
  }
  if (leaf.type === 'dateTime') {
    if (Number.isNaN(Date.parse(value)))
      throw filterError(
        code,
        `'${value}' is not a valid dateTime for '${name}'; use ISO 8601, e.g. "2011-05-13T04:42:34Z".`,
      );
    if (op === 'co' || op === 'sw' || op === 'ew')
      throw filterError(
        code,
        `'${op}' cannot be used with the dateTime attribute '${name}'; use eq, gt, ge, lt or le.`,
      );
  }
}

function compareOne(
  leaf: ScimAttributeDescriptor,
  op: CompareOp,
  actual: unknown,
  wanted: Exclude<CompValue, null>,
): boolean {
  if (leaf.type === 'boolean') return actual === wanted;
  let a: number | string;
  let b: number | string;
  if (leaf.type === 'integer' || leaf.type === 'decimal') {
    if (typeof actual !== 'number') return false;
    [a, b] = [actual, wanted as number];
  } else if (leaf.type === 'dateTime') {
    if (typeof actual !== 'string') return false;
    [a, b] = [Date.parse(actual), Date.parse(wanted as string)];
    if (Number.isNaN(a)) return false;
  } else {
    if (typeof actual !== 'string') return false;
    [a, b] = leaf.caseExact
      ? [actual, wanted as string]
      : [actual.toLowerCase(), (wanted as string).toLowerCase()];
  }
  switch (op) {
    case 'eq':
    case 'ne':
      return a === b;
    case 'co':
      return (a as string).includes(b as string);
    case 'sw':
      return (a as string).startsWith(b as string);
    case 'ew':
      return (a as string).endsWith(b as string);
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
  }
}

interface Ctx {
  lookup: ScimAttributeSchemaLookup;
  /** Set inside a value filter: paths name sub-attributes of this attribute's elements. */
  parent?: ResolvedAttribute;
  code: ScimPathErrorCode;
}

function resolveIn(ctx: Ctx, node: { path: AttrPath }): ResolvedAttribute {
  const resolved =
    ctx.parent === undefined
      ? resolveAttribute(ctx.lookup, node.path, ctx.code)
      : resolveSubAttribute(ctx.lookup, ctx.parent, node.path, ctx.code);
  if (resolved.attribute.returned === 'never' || resolved.comparable?.returned === 'never') {
    throw filterError(ctx.code, `'${formatAttrPath(node.path)}' cannot be used in a filter.`);
  }
  return resolved;
}

function compileNode(node: FilterNode, ctx: Ctx): Pred {
  switch (node.op) {
    case 'and': {
      const [l, r] = [compileNode(node.left, ctx), compileNode(node.right, ctx)];
      return (t) => l(t) && r(t);
    }
    case 'or': {
      const [l, r] = [compileNode(node.left, ctx), compileNode(node.right, ctx)];
      return (t) => l(t) || r(t);
    }
    case 'not': {
      const inner = compileNode(node.filter, ctx);
      return (t) => !inner(t);
    }
    case 'pr': {
      const resolved = resolveIn(ctx, node);
      const inElement = ctx.parent !== undefined;
      return (t) => isPresent(presenceValue(t, resolved, inElement));
    }
    case 'cmp': {
      const resolved = resolveIn(ctx, node);
      const leaf = resolved.comparable;
      const name = formatAttrPath(node.path);
      if (leaf === undefined) {
        throw filterError(
          ctx.code,
          `'${name}' is a complex attribute; compare one of its sub-attributes, e.g. ${resolved.attribute.name}.${resolved.attribute.subAttributes?.[0]?.name ?? 'value'}.`,
        );
      }
      checkComparison(leaf, name, node.cmp, node.value, ctx.code);
      const inElement = ctx.parent !== undefined;
      const { cmp, value } = node;
      if (value === null) {
        const present = (t: Json): boolean => isPresent(presenceValue(t, resolved, inElement));
        return cmp === 'eq' ? (t) => !present(t) : present;
      }
      const any = (t: Json): boolean =>
        leafValues(t, resolved, inElement).some((v) => compareOne(leaf, cmp, v, value));
      return cmp === 'ne' ? (t) => !any(t) : any;
    }
    case 'valuePath': {
      if (ctx.parent !== undefined) throw filterError(ctx.code, 'Value filters cannot be nested.');
      const parent = resolveIn(ctx, node);
      if (parent.attribute.type !== 'complex' || parent.sub !== undefined) {
        throw filterError(
          ctx.code,
          `'${formatAttrPath(node.path)}' is not a multi-valued complex attribute, so it cannot take a [filter].`,
        );
      }
      const inner = compileNode(node.filter, { ...ctx, parent });
      return (t) => asArray(topLevelValue(t, parent)).some((el) => isPlainObject(el) && inner(el));
    }
  }
}

/**
 * Checks the filter against the schema (unknown attributes, type mismatches) and returns a predicate.
 * Throws `scim.invalid_filter` (400). Compile once, then test many resources.
 */
export function compileFilter(
  filter: FilterNode,
  schema: ScimResourceType | ScimAttributeSchemaLookup,
): ResourcePredicate {
  const pred = compileNode(filter, { lookup: getSchemaLookup(schema), code: 'scim.invalid_filter' });
  return (resource) => pred(resource as Json);
}

/** Validates a filter against the schema without evaluating it (the SQL translation calls this first). */
export function validateFilter(
  filter: FilterNode,
  schema: ScimResourceType | ScimAttributeSchemaLookup,
): void {
  compileFilter(filter, schema);
}

export function matchesFilter(
  resource: object,
  filter: FilterNode,
  schema: ScimResourceType | ScimAttributeSchemaLookup,
): boolean {
  return compileFilter(filter, schema)(resource);
}

/**
 * A predicate over the ELEMENTS of a multi-valued attribute, for PATCH paths like `emails[type eq "work"]`.
 * Errors carry `code` (PATCH uses `scim.invalid_path`).
 */
export function compileElementFilter(
  filter: FilterNode,
  schema: ScimResourceType | ScimAttributeSchemaLookup,
  parent: ResolvedAttribute,
  code: ScimPathErrorCode = 'scim.invalid_path',
): (element: unknown) => boolean {
  const pred = compileNode(filter, { lookup: getSchemaLookup(schema), parent, code });
  return (element) => isPlainObject(element) && pred(element);
}

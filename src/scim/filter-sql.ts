/**
 * Translates a parsed SCIM filter (RFC 7644 §3.4.2.2) into one SQL WHERE expression (a Kysely `sql` fragment)
 * with the same meaning the reference evaluator (filter/evaluate.ts) gives it on the JSON Spool returns:
 *
 * - Attributes backed by columns use the column, so the filters SCIM clients really send are index lookups:
 *   `userName eq` (users.username, stored lower-case; userName is case-insensitive, RFC 7643 §4.1.1),
 *   `externalId eq` (caseExact), `id eq`, group `displayName eq` (groups.name_key), `members.value eq` /
 *   `members[value eq …]` (memberships primary key).
 * - Attributes Spool keeps only in the stored SCIM document (users.attributes → "scim": name parts, emails,
 *   title, enterprise fields but department…) are read with the engines' JSON functions: correct, not indexed.
 * - Every predicate built here is two-valued (never SQL NULL), so `not (…)` and `ne` mean exactly the
 *   evaluator's "not": an absent attribute is `ne` anything; `eq null` is `not pr`.
 * - What has no faithful translation (`id gt`, `meta.location`, `members.display`, …) is refused with 400
 *   invalidFilter, which RFC 7644 §3.12 Table 9 defines as "the specified attribute and filter comparison
 *   combination is not supported". A filter is never dropped or widened into "everything".
 *
 * Case-insensitive comparisons other than userName and group displayName equality use SQL lower(), which on
 * SQLite folds ASCII letters only.
 */
import { sql, type RawBuilder } from 'kysely';
import { SpoolError } from '../errors.ts';
import type { CompValue, CompareOp, FilterNode } from './filter/ast.ts';
import type { ResolvedAttribute, ScimAttributeDescriptor, ScimResourceType } from './filter/attribute-schema.ts';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, resolveAttribute, resolveSubAttribute } from './filter/attribute-schema.ts';
import { validateFilter } from './filter/evaluate.ts';
import type { AttrPath } from './paths.ts';
import { formatAttrPath, splitAttrPath } from './paths.ts';

export type SqlEngine = 'sqlite' | 'postgres';
export type Sql = RawBuilder<unknown>;

const TRUE: Sql = sql`(1=1)`;
const FALSE: Sql = sql`(1=0)`;
const DEPARTMENT = `${ENTERPRISE_USER_SCHEMA}:department`;

interface ColumnAttr {
  kind: 'column';
  /** SQL yielding the value, NULL when absent. */
  expr: Sql;
  /** 'js': the column holds JS-lower-cased text; 'sql': compare lower() of both sides; 'exact': caseExact. */
  fold: 'js' | 'sql' | 'exact';
  type: 'string' | 'dateTime';
  /** For `eq`: an indexed column holding the JS-lower-cased value (groups.name_key). */
  key?: Sql;
}
interface MembersAttr {
  kind: 'members';
  /** EXISTS over the memberships rows of the resource, with `cond` on alias m. */
  exists: (cond: Sql) => Sql;
  idColumn: Sql;
}
type Mapping = ColumnAttr | MembersAttr | { kind: 'id'; expr: Sql } | { kind: 'active' } | { kind: 'json'; path: string[]; multi: boolean };

interface Ctx {
  engine: SqlEngine;
  type: ScimResourceType;
}

export function unsupported(what: string): SpoolError {
  return new SpoolError('scim.invalid_filter', `Filtering on ${what} is not supported.`, {
    status: 400,
    hint: 'Filter on userName, externalId, id, displayName, active, emails, name, title, the enterprise attributes, members or meta.created / meta.lastModified.',
  });
}

/** A text parameter, typed on PostgreSQL so lower()/length() resolve without ambiguity. */
const text = (ctx: Ctx, v: string): Sql => (ctx.engine === 'postgres' ? sql`CAST(${v} AS text)` : sql`${v}`);

/** A JSON path parameter: SQLite path text (keys quoted: URNs contain dots), or a PostgreSQL text[] of keys. */
function jsonPath(ctx: Ctx, keys: string[]): Sql {
  if (ctx.engine === 'postgres') return sql`CAST(${keys} AS text[])`;
  return sql`${'$' + keys.map((k) => `."${k.replace(/"/g, '')}"`).join('')}`;
}

/** userName's column: holds the JS-lower-cased name (domain normalizeUsername), unique. */
export const USERNAME_COLUMN: Sql = sql`users.username`;

const USER_NOT_JSON = new Set(['id', 'externalId', 'meta', 'schemas', 'groups', 'password', 'userName', 'displayName', 'active']);
const usersMember = (cond: Sql): Sql => sql`EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND ${cond})`;
const groupsMember = (cond: Sql): Sql => sql`EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = groups.id AND ${cond})`;

function userMapping(r: ResolvedAttribute): Mapping | undefined {
  switch (r.canonical) {
    case 'id':
      return { kind: 'id', expr: sql`users.id` };
    case 'externalId':
      return { kind: 'column', expr: sql`users.scim_external_id`, fold: 'exact', type: 'string' };
    case 'userName':
      return { kind: 'column', expr: USERNAME_COLUMN, fold: 'js', type: 'string' };
    case 'displayName':
      return { kind: 'column', expr: sql`nullif(users.full_name, '')`, fold: 'sql', type: 'string' };
    case 'active':
      return { kind: 'active' };
    case 'meta.created':
      return { kind: 'column', expr: sql`users.created_at`, fold: 'exact', type: 'dateTime' };
    case 'meta.lastModified':
      return { kind: 'column', expr: sql`users.updated_at`, fold: 'exact', type: 'dateTime' };
    case DEPARTMENT:
      return { kind: 'column', expr: sql`nullif(users.department, '')`, fold: 'sql', type: 'string' };
    case 'groups':
    case 'groups.value':
      return { kind: 'members', exists: usersMember, idColumn: sql`m.group_id` };
  }
  if (r.isExtension ? r.attribute.name === 'department' : USER_NOT_JSON.has(r.attribute.name)) return undefined;
  return { kind: 'json', path: ['scim', ...(r.isExtension ? [r.schema.id] : []), r.attribute.name], multi: r.attribute.multiValued };
}

function groupMapping(r: ResolvedAttribute): Mapping | undefined {
  switch (r.canonical) {
    case 'id':
      return { kind: 'id', expr: sql`groups.id` };
    case 'externalId':
      return { kind: 'column', expr: sql`groups.scim_external_id`, fold: 'exact', type: 'string' };
    case 'displayName':
      return { kind: 'column', expr: sql`groups.name`, fold: 'sql', type: 'string', key: sql`groups.name_key` };
    case 'meta.created':
      return { kind: 'column', expr: sql`groups.created_at`, fold: 'exact', type: 'dateTime' };
    case 'meta.lastModified':
      return { kind: 'column', expr: sql`groups.updated_at`, fold: 'exact', type: 'dateTime' };
    case 'members':
    case 'members.value':
      return { kind: 'members', exists: groupsMember, idColumn: sql`m.user_id` };
  }
  return undefined;
}

function mappingOf(ctx: Ctx, r: ResolvedAttribute): Mapping {
  const m = ctx.type === 'User' ? userMapping(r) : groupMapping(r);
  if (m === undefined) throw unsupported(`'${r.canonical}'`);
  return m;
}

/** Spool ids are positive integers; any other text names nothing. */
export function idValue(v: unknown): number | undefined {
  return typeof v === 'string' && /^[1-9][0-9]{0,14}$/.test(v) ? Number(v) : undefined;
}

const jsLower = (s: string): string => s.normalize('NFC').toLowerCase();

/** `expr OP value` on text, NULL-safe (false when expr is NULL). */
function compareText(ctx: Ctx, expr: Sql, op: CompareOp, value: string, fold: ColumnAttr['fold']): Sql {
  const v = fold === 'js' ? jsLower(value) : value;
  const left = fold === 'sql' ? sql`lower(${expr})` : expr;
  const right = fold === 'sql' ? sql`lower(${text(ctx, v)})` : text(ctx, v);
  const pg = ctx.engine === 'postgres';
  // Order comparisons by code point on both engines (SQLite's BINARY; PostgreSQL's "C"), not by the
  // database's locale, so gt/lt give the same answer everywhere.
  const ordered = pg ? sql`${left} COLLATE "C"` : left;
  let cond: Sql;
  switch (op) {
    case 'eq':
    case 'ne':
      cond = sql`${left} = ${right}`;
      break;
    case 'co':
      cond = v === '' ? TRUE : pg ? sql`strpos(${left}, ${right}) > 0` : sql`instr(${left}, ${right}) > 0`;
      break;
    case 'sw':
      cond = v === '' ? TRUE : pg ? sql`starts_with(${left}, ${right})` : sql`substr(${left}, 1, length(${right})) = ${right}`;
      break;
    case 'ew':
      cond = v === '' ? TRUE : pg ? sql`right(${left}, length(${right})) = ${right}` : sql`substr(${left}, -length(${right})) = ${right}`;
      break;
    case 'gt':
      cond = sql`${ordered} > ${right}`;
      break;
    case 'ge':
      cond = sql`${ordered} >= ${right}`;
      break;
    case 'lt':
      cond = sql`${ordered} < ${right}`;
      break;
    case 'le':
      cond = sql`${ordered} <= ${right}`;
      break;
  }
  return sql`(${expr} IS NOT NULL AND ${cond})`;
}

const DATE_OPS: Partial<Record<CompareOp, string>> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };

function compareColumn(ctx: Ctx, m: ColumnAttr, op: CompareOp, value: Exclude<CompValue, null>): Sql {
  if (m.type === 'dateTime') {
    // Stored as ISO-8601 UTC with milliseconds: text order is time order once the value has the same form.
    const iso = new Date(value as string).toISOString();
    return sql`(${m.expr} IS NOT NULL AND ${m.expr} ${sql.raw(DATE_OPS[op] ?? '=')} ${text(ctx, iso)})`;
  }
  if (op === 'eq' && m.key) return sql`(${m.key} = ${text(ctx, jsLower(value as string))})`;
  return compareText(ctx, m.expr, op, value as string, m.fold);
}

// --- JSON document attributes (users.attributes → "scim") ----------------------------------------------

/** Comparison of one JSON leaf (string or boolean) at `keys` under `base`, NULL-safe. */
function compareJson(ctx: Ctx, base: Sql, keys: string[], leaf: ScimAttributeDescriptor, op: CompareOp, value: Exclude<CompValue, null>): Sql {
  const path = jsonPath(ctx, keys);
  const sqlite = ctx.engine === 'sqlite';
  if (leaf.type === 'boolean') {
    const want = value === true ? 'true' : 'false';
    return sqlite ? sql`(COALESCE(json_type(${base}, ${path}), '') = ${want})` : sql`COALESCE((${base} #> ${path}) = CAST(${want} AS jsonb), false)`;
  }
  if (leaf.type !== 'string' && leaf.type !== 'reference' && leaf.type !== 'binary') throw unsupported(`'${leaf.name}' (${leaf.type})`);
  const guard = sqlite ? sql`COALESCE(json_type(${base}, ${path}) = 'text', 0)` : sql`COALESCE(jsonb_typeof(${base} #> ${path}) = 'string', false)`;
  const value$ = sqlite ? sql`json_extract(${base}, ${path})` : sql`(${base} #>> ${path})`;
  return sql`(${guard} AND ${compareText(ctx, value$, op, value as string, leaf.caseExact ? 'exact' : 'sql')})`;
}

/** Presence of a JSON leaf or object at `keys`: some non-null, non-empty value (evaluate.ts isPresent). */
function presentJson(ctx: Ctx, base: Sql, keys: string[]): Sql {
  const path = jsonPath(ctx, keys);
  if (ctx.engine === 'sqlite') {
    return sql`(CASE COALESCE(json_type(${base}, ${path}), 'missing') WHEN 'missing' THEN 0 WHEN 'null' THEN 0 WHEN 'text' THEN json_extract(${base}, ${path}) <> '' WHEN 'object' THEN EXISTS (SELECT 1 FROM json_each(${base}, ${path}) f WHERE f.type <> 'null' AND NOT (f.type = 'text' AND f.atom = '')) WHEN 'array' THEN json_array_length(${base}, ${path}) > 0 ELSE 1 END = 1)`;
  }
  const v = sql`(${base} #> ${path})`;
  return sql`(CASE COALESCE(jsonb_typeof(${v}), 'missing') WHEN 'missing' THEN false WHEN 'null' THEN false WHEN 'string' THEN ${v} <> CAST('""' AS jsonb) WHEN 'object' THEN EXISTS (SELECT 1 FROM jsonb_each(${v}) f(k, x) WHERE jsonb_typeof(f.x) <> 'null' AND f.x <> CAST('""' AS jsonb)) WHEN 'array' THEN jsonb_array_length(${v}) > 0 ELSE true END)`;
}

/** EXISTS over the object elements of a multi-valued attribute; `cond(el)` tests one element (JSON). */
function existsElement(ctx: Ctx, keys: string[], cond: (el: Sql) => Sql): Sql {
  const path = jsonPath(ctx, keys);
  if (ctx.engine === 'sqlite') {
    return sql`EXISTS (SELECT 1 FROM json_each(users.attributes, ${path}) e WHERE json_type(users.attributes, ${path}) = 'array' AND e.type = 'object' AND ${cond(sql`e.value`)})`;
  }
  const arr = sql`(CAST(users.attributes AS jsonb) #> ${path})`;
  return sql`EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${arr}) = 'array' THEN ${arr} ELSE CAST('[]' AS jsonb) END) e(v) WHERE jsonb_typeof(e.v) = 'object' AND ${cond(sql`e.v`)})`;
}

const docBase = (ctx: Ctx): Sql => (ctx.engine === 'sqlite' ? sql`users.attributes` : sql`CAST(users.attributes AS jsonb)`);

// --- the translation ----------------------------------------------------------------------------------

interface Scope {
  /** Inside `attr[...]`: the attribute whose elements the inner filter tests. */
  parent?: ResolvedAttribute;
  /** The current element (JSON attributes). */
  element?: Sql;
  /** Inside `members[...]` / `groups[...]`: the memberships row. */
  members?: MembersAttr;
}

function translate(node: FilterNode, ctx: Ctx, scope: Scope): Sql {
  switch (node.op) {
    case 'and':
      return sql`(${translate(node.left, ctx, scope)} AND ${translate(node.right, ctx, scope)})`;
    case 'or':
      return sql`(${translate(node.left, ctx, scope)} OR ${translate(node.right, ctx, scope)})`;
    case 'not':
      return sql`(NOT ${translate(node.filter, ctx, scope)})`;
    case 'valuePath':
      return valuePath(node.path, node.filter, ctx);
    case 'pr':
      return scope.parent ? elementPresence(ctx, scope, resolveSubAttribute(ctx.type, scope.parent, node.path)) : presence(ctx, resolveAttribute(ctx.type, node.path));
    case 'cmp': {
      if (node.value === null) {
        // Evaluator semantics: `eq null` is "not present", `ne null` is "present".
        const present = translate({ op: 'pr', path: node.path }, ctx, scope);
        return node.cmp === 'eq' ? sql`(NOT ${present})` : present;
      }
      const positive = node.cmp === 'ne' ? 'eq' : node.cmp;
      const cond = scope.parent
        ? elementCompare(ctx, scope, resolveSubAttribute(ctx.type, scope.parent, node.path), positive, node.value)
        : compare(ctx, resolveAttribute(ctx.type, node.path), positive, node.value);
      return node.cmp === 'ne' ? sql`(NOT ${cond})` : cond;
    }
  }
}

function presence(ctx: Ctx, r: ResolvedAttribute): Sql {
  const m = mappingOf(ctx, r);
  switch (m.kind) {
    case 'id':
    case 'active':
      return TRUE; // present on every resource
    case 'column':
      return sql`(${m.expr} IS NOT NULL AND ${m.expr} <> '')`;
    case 'members':
      return m.exists(TRUE);
    case 'json': {
      const sub = r.sub?.name;
      if (!m.multi) return presentJson(ctx, docBase(ctx), sub ? [...m.path, sub] : m.path);
      return existsElement(ctx, m.path, (el) => presentJson(ctx, el, sub ? [sub] : []));
    }
  }
}

function compare(ctx: Ctx, r: ResolvedAttribute, op: CompareOp, value: Exclude<CompValue, null>): Sql {
  const m = mappingOf(ctx, r);
  switch (m.kind) {
    case 'id': {
      if (op !== 'eq') throw unsupported(`'id' with '${op}' (only eq and ne)`);
      const id = idValue(value);
      return id === undefined ? FALSE : sql`(${m.expr} = ${id})`;
    }
    case 'active':
      return value === true ? sql`(users.disabled = 0)` : sql`(users.disabled <> 0)`;
    case 'column':
      return compareColumn(ctx, m, op, value);
    case 'members': {
      if (op !== 'eq') throw unsupported(`'${r.canonical}' with '${op}' (only eq and ne)`);
      const id = idValue(value);
      return id === undefined ? FALSE : m.exists(sql`${m.idColumn} = ${id}`);
    }
    case 'json': {
      const leaf = r.comparable as ScimAttributeDescriptor;
      if (m.multi) return existsElement(ctx, m.path, (el) => compareJson(ctx, el, [leaf.name], leaf, op, value));
      const keys = r.attribute.type === 'complex' ? [...m.path, leaf.name] : m.path;
      return compareJson(ctx, docBase(ctx), keys, leaf, op, value);
    }
  }
}

function valuePath(path: AttrPath, filter: FilterNode, ctx: Ctx): Sql {
  const parent = resolveAttribute(ctx.type, path);
  const m = mappingOf(ctx, parent);
  if (m.kind === 'members') return m.exists(translate(filter, ctx, { parent, members: m }));
  if (m.kind !== 'json' || !m.multi) throw unsupported(`'${formatAttrPath(path)}[…]'`);
  return existsElement(ctx, m.path, (el) => translate(filter, ctx, { parent, element: el }));
}

function elementPresence(ctx: Ctx, scope: Scope, r: ResolvedAttribute): Sql {
  const sub = r.sub as ScimAttributeDescriptor;
  if (scope.members) {
    if (sub.name !== 'value') throw unsupported(`'${r.canonical}'`);
    return TRUE;
  }
  return presentJson(ctx, scope.element as Sql, [sub.name]);
}

function elementCompare(ctx: Ctx, scope: Scope, r: ResolvedAttribute, op: CompareOp, value: Exclude<CompValue, null>): Sql {
  const sub = r.sub as ScimAttributeDescriptor;
  if (scope.members) {
    if (sub.name !== 'value' || op !== 'eq') throw unsupported(`'${r.canonical}' with '${op}' (only value eq / ne)`);
    const id = idValue(value);
    return id === undefined ? FALSE : sql`(${scope.members.idColumn} = ${id})`;
  }
  return compareJson(ctx, scope.element as Sql, [sub.name], sub, op, value);
}

/**
 * The WHERE expression for `filter` on the `users` or `groups` table (referenced by those names). Validates
 * the filter against the schema first: unknown attribute or wrong value type → 400 invalidFilter.
 */
export function filterToSql(filter: FilterNode, type: ScimResourceType, engine: SqlEngine): Sql {
  validateFilter(filter, type);
  return translate(filter, { engine, type }, {});
}

/**
 * Whether `filter` can match at most one resource: an `eq` on a unique attribute (id, userName; a group's id or
 * displayName), possibly AND-ed with anything. Such queries skip ORDER BY / LIMIT (see scim-store.ts).
 */
export function isSingleLookup(filter: FilterNode, type: ScimResourceType): boolean {
  if (filter.op === 'and') return isSingleLookup(filter.left, type) || isSingleLookup(filter.right, type);
  if (filter.op !== 'cmp' || filter.cmp !== 'eq' || typeof filter.value !== 'string' || filter.path.sub !== undefined) return false;
  const name = filter.path.attr.toLowerCase();
  const schema = filter.path.schema;
  const core = type === 'User' ? 'urn:ietf:params:scim:schemas:core:2.0:user' : 'urn:ietf:params:scim:schemas:core:2.0:group';
  if (schema !== undefined && schema !== core) return false;
  return name === 'id' || (type === 'User' ? name === 'username' : name === 'displayname');
}

/**
 * For exactly `userName eq "…"` (Entra's lookup before every provisioning action): the value USERNAME_COLUMN must
 * equal, folded as translate() folds it. Its query is then the same for every name (scim-store listUsersNamed),
 * so it is compiled once instead of translated per request. Undefined for any other filter.
 */
export function userNameKey(filter: FilterNode): string | undefined {
  if (filter.op !== 'cmp' || filter.cmp !== 'eq' || typeof filter.value !== 'string' || filter.path.sub !== undefined) return undefined;
  if (filter.path.attr.toLowerCase() !== 'username' || (filter.path.schema !== undefined && filter.path.schema !== CORE_USER_SCHEMA.toLowerCase())) return undefined;
  return jsLower(filter.value);
}

/** Sort key for `sortBy` (column-backed attributes only), or undefined when Spool cannot sort by it. */
export function sortExpression(type: ScimResourceType, sortBy: string): Sql | undefined {
  const split = splitAttrPath(sortBy.trim());
  if (!split.ok) return undefined;
  let r: ResolvedAttribute;
  try {
    r = resolveAttribute(type, split.path);
  } catch {
    return undefined;
  }
  const m = type === 'User' ? userMapping(r) : groupMapping(r);
  if (m?.kind === 'column') return m.fold === 'sql' ? sql`lower(${m.expr})` : m.expr;
  if (m?.kind === 'id') return m.expr;
  if (m?.kind === 'active') return sql`users.disabled`;
  return undefined;
}

/**
 * SCIM attribute notation (RFC 7644 §3.10), shared by the filter parser and PATCH paths:
 *
 *   attrPath  = [URI ":"] ATTRNAME *1subAttr        ; RFC 7644 §3.4.2.2, Figure 1
 *   ATTRNAME  = ALPHA *(nameChar)                   ; nameChar = "-" / "_" / DIGIT / ALPHA
 *   subAttr   = "." ATTRNAME
 *
 * `$ref` is also accepted as a name: RFC 7643 §2.3.7 defines it as the sub-attribute name of references
 * (e.g. `members.$ref`, `manager.$ref`) even though the ABNF's ATTRNAME cannot spell it.
 *
 * The URI prefix is the schema URN (e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`); it
 * contains dots ("2.0") and colons, so the attribute starts after the LAST colon. URNs compare
 * case-insensitively in practice (and RFC 7644 §3.10 says attribute names are case-insensitive), so we keep
 * the schema lower-cased; the attribute name is kept as written and canonicalised by the schema lookup.
 */

/** An attribute reference such as `userName`, `name.givenName` or `urn:…:enterprise:2.0:User:manager.value`. */
export interface AttrPath {
  /** Lower-cased schema URN when the path was URN-qualified. */
  schema?: string;
  /** The attribute name as written (case preserved). */
  attr: string;
  /** The sub-attribute name as written, for `attr.sub`. */
  sub?: string;
}

const ATTRNAME = /^(?:\$ref|[A-Za-z][A-Za-z0-9_-]*)$/;
// A URN per RFC 8141, restricted to the characters SCIM schema URNs actually use.
const SCHEMA_URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}(?::[A-Za-z0-9._-]+)+$/i;

export function isValidAttrName(name: string): boolean {
  return ATTRNAME.test(name);
}

export function isUrnLike(text: string): boolean {
  return text.slice(0, 4).toLowerCase() === 'urn:';
}

export function isValidSchemaUrn(text: string): boolean {
  return SCHEMA_URN.test(text);
}

export type AttrPathResult = { ok: true; path: AttrPath } | { ok: false; reason: string };

/**
 * Splits the text of one attribute path (no brackets, no spaces). Returns a reason instead of throwing so
 * the caller can attach its own error code (invalid_filter vs invalid_path) and the position in its input.
 */
export function splitAttrPath(raw: string): AttrPathResult {
  if (raw.length === 0) return { ok: false, reason: 'an attribute name is missing' };
  let schema: string | undefined;
  let rest = raw;
  if (isUrnLike(raw)) {
    const cut = raw.lastIndexOf(':');
    const urn = raw.slice(0, cut);
    if (!isValidSchemaUrn(urn)) return { ok: false, reason: `'${urn}' is not a valid schema URN` };
    schema = urn.toLowerCase();
    rest = raw.slice(cut + 1);
    if (rest.length === 0)
      return { ok: false, reason: `an attribute name must follow the schema URN '${urn}:'` };
  } else if (raw.includes(':')) {
    return {
      ok: false,
      reason: `'${raw}' is not a valid attribute name (only schema URNs starting with "urn:" may contain ':')`,
    };
  }
  const parts = rest.split('.');
  if (parts.length > 2) {
    return {
      ok: false,
      reason: `'${raw}' has more than one '.'; SCIM allows one sub-attribute level (attr.subAttr)`,
    };
  }
  const [attr = '', sub] = parts;
  if (attr === '') return { ok: false, reason: `the attribute name is missing in '${raw}'` };
  if (!isValidAttrName(attr)) return { ok: false, reason: `'${attr}' is not a valid attribute name` };
  if (sub !== undefined && !isValidAttrName(sub))
    return { ok: false, reason: `'${sub}' is not a valid sub-attribute name` };
  const path: AttrPath = { attr };
  if (schema !== undefined) path.schema = schema;
  if (sub !== undefined) path.sub = sub;
  return { ok: true, path };
}

/** Renders a path back to SCIM notation (for messages and for the SQL translation's diagnostics). */
export function formatAttrPath(path: AttrPath): string {
  const base = path.sub === undefined ? path.attr : `${path.attr}.${path.sub}`;
  return path.schema === undefined ? base : `${path.schema}:${base}`;
}

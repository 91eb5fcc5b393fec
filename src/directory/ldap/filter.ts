/**
 * Strict syntax check for LDAP search filters (RFC 4515 §3), with one leniency admins expect: whitespace and
 * line breaks between filter components are removed, so a filter pasted over several lines works.
 * Needed because ldapts' own parser is lenient (it accepts "(&(a=b)(c=d)" with a missing ")"), and a filter
 * that is silently reinterpreted would select the wrong users. Pure code: no I/O.
 */
import { SpoolError } from '../../errors.ts';

// Attribute descriptors only: ldapts cannot encode numeric-OID attribute names or options (";lang-de").
const ATTR = /^[A-Za-z][A-Za-z0-9-]*/;
const OID_OR_DESCR = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)/;

class FilterSyntaxError extends Error {}

/** Validates and returns the filter with inter-component whitespace removed; throws ldap.invalid_filter. */
export function normalizeFilter(input: string): string {
  let src = input.trim();
  if (!src) throw invalid(input, 'the filter is empty');
  // RFC 4515 requires the outer parentheses; "objectClass=user" is a common shorthand.
  if (!src.startsWith('(')) src = `(${src})`;
  let i = 0;
  const ws = (): void => {
    while (i < src.length && /\s/.test(src[i] ?? '')) i++;
  };
  const expect = (c: string): void => {
    if (src[i] !== c) throw new FilterSyntaxError(`expected "${c}" at position ${i + 1}${src[i] ? `, found "${src[i]}"` : ''}`);
    i++;
  };
  const value = (allowStar: boolean): string => {
    const start = i;
    while (i < src.length && src[i] !== ')') {
      const c = src[i] as string;
      if (c === '(') throw new FilterSyntaxError(`unescaped "(" in a value at position ${i + 1} (write \\28)`);
      if (c === '\0') throw new FilterSyntaxError('NUL in a value (write \\00)');
      if (c === '*' && !allowStar) throw new FilterSyntaxError(`unexpected "*" at position ${i + 1} (write \\2a for a literal asterisk)`);
      if (c === '\\') {
        if (!/^[0-9A-Fa-f]{2}$/.test(src.slice(i + 1, i + 3))) throw new FilterSyntaxError(`bad escape at position ${i + 1}: a backslash must be followed by two hex digits`);
        i += 3;
        continue;
      }
      i++;
    }
    return src.slice(start, i);
  };
  const filter = (): string => {
    ws();
    expect('(');
    ws();
    const c = src[i];
    let body: string;
    if (c === '&' || c === '|') {
      i++;
      const parts: string[] = [];
      ws();
      while (src[i] === '(') {
        parts.push(filter());
        ws();
      }
      // RFC 4526 allows the empty (&) and (|), but ldapts cannot encode them and real directories rarely do.
      if (parts.length === 0) throw new FilterSyntaxError(`"${c}" needs at least one filter inside`);
      body = c + parts.join('');
    } else if (c === '!') {
      i++;
      body = `!${filter()}`;
      ws();
    } else body = item();
    expect(')');
    return `(${body})`;
  };
  const item = (): string => {
    const rest = src.slice(i);
    if (rest.startsWith(':')) return extensible('');
    const m = ATTR.exec(rest);
    if (!m) throw new FilterSyntaxError(`attribute name expected at position ${i + 1}`);
    const attr = m[0];
    i += attr.length;
    if (src[i] === ';' || src[i] === '.') throw new FilterSyntaxError(`attribute options and numeric OIDs ("${attr}${src[i]}…") are not supported; use the attribute's name`);
    const op = src.slice(i, i + 2);
    if (op === '~=' || op === '>=' || op === '<=') {
      i += 2;
      return attr + op + value(false);
    }
    if (src[i] === ':') return extensible(attr);
    if (src[i] !== '=') throw new FilterSyntaxError(`"=", "~=", ">=", "<=" or ":" expected after "${attr}" at position ${i + 1}`);
    i++;
    return `${attr}=${value(true)}`;
  };
  const extensible = (attr: string): string => {
    let out = attr;
    if (src.slice(i, i + 3).toLowerCase() === ':dn') {
      out += src.slice(i, i + 3);
      i += 3;
    }
    if (src[i] === ':' && src[i + 1] !== '=') {
      i++;
      const m = OID_OR_DESCR.exec(src.slice(i));
      if (!m) throw new FilterSyntaxError(`matching rule expected at position ${i + 1}`);
      out += `:${m[0]}`;
      i += m[0].length;
    } else if (!attr) throw new FilterSyntaxError('an extensible match without attribute needs a matching rule');
    if (src.slice(i, i + 2) !== ':=') throw new FilterSyntaxError(`":=" expected at position ${i + 1}`);
    i += 2;
    return `${out}:=${value(false)}`;
  };
  try {
    const out = filter();
    ws();
    if (i < src.length) throw new FilterSyntaxError(`unexpected "${src.slice(i, i + 10)}" after the end of the filter (unbalanced parentheses?)`);
    return out;
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw invalid(input, err.message);
    throw err;
  }
}

function invalid(filter: string, why: string): SpoolError {
  return new SpoolError('ldap.invalid_filter', `The LDAP filter "${filter}" is not valid: ${why}.`, {
    hint: 'A filter looks like (&(objectClass=person)(mail=*)); every "(" needs a ")", and a literal * ( ) \\ in a value must be written \\2a \\28 \\29 \\5c.',
    status: 400,
    details: { filter },
  });
}

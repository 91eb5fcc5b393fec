/**
 * Escaping for LDAP search filters (RFC 4515) and distinguished names (RFC 4514), and DN normalisation so
 * that a group's `member` value can be matched against a user's DN however the server spelled either.
 * Pure code: no I/O.
 */
import { SpoolError } from '../../errors.ts';

/**
 * Escapes a value for use inside a filter assertion, e.g. `(uid=${escapeFilterValue(login)})`.
 * RFC 4515 §3: `*`, `(`, `)`, `\` and NUL must be written as `\XX`. Everything else, including non-ASCII
 * characters, is left as UTF-8 (RFC 4515 allows UTF-8 in values). We deliberately do NOT hex-escape multi-byte
 * characters: ldapts' filter parser turns each `\XX` pair into one UTF-16 code unit, so `\c3\a9` would be sent
 * as two wrong characters instead of "é".
 */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const ch of value) {
    switch (ch) {
      case '\\': out += '\\5c'; break;
      case '*': out += '\\2a'; break;
      case '(': out += '\\28'; break;
      case ')': out += '\\29'; break;
      case '\0': out += '\\00'; break;
      default: out += ch;
    }
  }
  return out;
}

/**
 * Escapes an attribute value for use in a DN (RFC 4514 §2.4): `"`, `+`, `,`, `;`, `<`, `>`, `\` are
 * backslash-escaped; a leading space or `#` and a trailing space are escaped; NUL becomes `\00`.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  const chars = [...value];
  chars.forEach((ch, i) => {
    if (ch === '\0') out += '\\00';
    else if ('"+,;<>\\'.includes(ch)) out += `\\${ch}`;
    else if (i === 0 && (ch === ' ' || ch === '#')) out += `\\${ch}`;
    else if (i === chars.length - 1 && ch === ' ') out += '\\ ';
    else out += ch;
  });
  return out;
}

/** One attribute type and value of an RDN, value already unescaped. */
export interface Ava {
  type: string;
  value: string;
  /** The value was written as `#` + hex BER (RFC 4514 §2.4) and is kept verbatim. */
  ber?: boolean;
}
/** A relative distinguished name: one or more AVAs joined with `+` (multi-valued RDN). */
export type Rdn = Ava[];

const invalidDn = (dn: string, why: string): SpoolError =>
  new SpoolError('ldap.invalid_dn', `"${dn}" is not a valid distinguished name (${why}).`, {
    hint: 'A DN looks like cn=Jane Doe,ou=People,dc=example,dc=com; special characters in values must be escaped with a backslash.',
    status: 400,
  });

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * Parses a DN string (RFC 4514, plus the RFC 2253/1779 leniencies real servers still emit: `;` as separator,
 * quoted values, spaces around `,`, `+` and `=`). Hex pairs (`\c3\a9`) are decoded as UTF-8.
 * Throws `ldap.invalid_dn` on malformed input. The empty string is the root DN and gives `[]`.
 */
export function parseDn(dn: string): Rdn[] {
  const rdns: Rdn[] = [];
  let i = 0;
  const n = dn.length;
  const skipSpaces = (): void => {
    while (i < n && dn[i] === ' ') i++;
  };
  skipSpaces();
  if (i >= n) return rdns;
  let rdn: Rdn = [];
  while (true) {
    skipSpaces();
    // attribute type: descriptor (letters, digits, hyphen) or numeric OID
    const typeStart = i;
    while (i < n && /[A-Za-z0-9.\-_]/.test(dn[i] ?? '')) i++;
    const type = dn.slice(typeStart, i);
    if (!type) throw invalidDn(dn, `attribute type expected at position ${typeStart}`);
    skipSpaces();
    if (dn[i] !== '=') throw invalidDn(dn, `"=" expected after "${type}"`);
    i++;
    skipSpaces();
    let value = '';
    let ber = false;
    if (dn[i] === '#') {
      ber = true;
      // BER-encoded value (RFC 4514 §2.4 hexstring): kept verbatim, lower-cased.
      const start = i;
      i++;
      while (i < n && isHex(dn[i])) i++;
      value = dn.slice(start, i).toLowerCase();
    } else if (dn[i] === '"') {
      i++;
      while (i < n && dn[i] !== '"') {
        if (dn[i] === '\\' && i + 1 < n) i++;
        value += dn[i];
        i++;
      }
      if (dn[i] !== '"') throw invalidDn(dn, 'unterminated quoted value');
      i++;
    } else {
      const bytes: number[] = [];
      let trailingSpaces = 0; // unescaped spaces at the end are not part of the value
      const flush = (): void => {
        if (bytes.length) value += Buffer.from(bytes).toString('utf8');
        bytes.length = 0;
      };
      while (i < n) {
        const c = dn[i] as string;
        if (c === ',' || c === ';' || c === '+') break;
        if (c === '\\') {
          const a = dn[i + 1];
          const b = dn[i + 2];
          if (isHex(a) && isHex(b)) {
            bytes.push(Number.parseInt(`${a}${b}`, 16));
            i += 3;
          } else if (a !== undefined) {
            flush();
            value += a;
            i += 2;
          } else throw invalidDn(dn, 'dangling backslash');
          trailingSpaces = 0;
          continue;
        }
        flush();
        value += c;
        trailingSpaces = c === ' ' ? trailingSpaces + 1 : 0;
        i++;
      }
      flush();
      if (trailingSpaces) value = value.slice(0, value.length - trailingSpaces);
    }
    rdn.push(ber ? { type, value, ber } : { type, value });
    skipSpaces();
    if (i >= n) break;
    const sep = dn[i];
    i++;
    if (sep === '+') continue;
    if (sep === ',' || sep === ';') {
      rdns.push(rdn);
      rdn = [];
      continue;
    }
    throw invalidDn(dn, `unexpected "${sep ?? ''}" at position ${i - 1}`);
  }
  rdns.push(rdn);
  return rdns;
}

/** Serialises parsed RDNs back to an RFC 4514 string. */
export function formatDn(rdns: Rdn[]): string {
  return rdns
    .map((rdn) => rdn.map((ava) => `${ava.type}=${ava.ber ? ava.value : escapeDnValue(ava.value)}`).join('+'))
    .join(',');
}

/** caseIgnoreMatch-style preparation (RFC 4518, simplified): NFC, trim, collapse inner whitespace, lower-case. */
function prepareValue(v: string): string {
  return v.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * Canonical form of a DN for equality tests: attribute types and values lower-cased, escapes resolved and
 * re-applied uniformly, whitespace around separators dropped, AVAs of a multi-valued RDN sorted.
 * Case-insensitive values are right for the naming attributes directories use (cn, uid, ou, dc, o).
 * Never throws: a value that is not a parseable DN is returned trimmed and lower-cased so that a single odd
 * `member` value cannot stop a sync.
 */
export function normalizeDn(dn: string): string {
  try {
    const rdns = parseDn(dn).map((rdn) =>
      rdn
        .map((ava): Ava => ({ ...ava, type: ava.type.toLowerCase(), value: ava.ber ? ava.value : prepareValue(ava.value) }))
        .sort((a, b) => (a.type === b.type ? (a.value < b.value ? -1 : 1) : a.type < b.type ? -1 : 1)),
    );
    return formatDn(rdns);
  } catch {
    return dn.trim().toLowerCase();
  }
}

/** True when two DNs name the same entry (see normalizeDn). */
export function dnEquals(a: string, b: string): boolean {
  return normalizeDn(a) === normalizeDn(b);
}

/** True when `dn` is `base` itself or lies below it. */
export function dnIsWithin(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return b === '' || d === b || d.endsWith(`,${b}`);
}

/**
 * groupOfUniqueNames' `uniqueMember` has NameAndOptionalUID syntax (RFC 4517 §3.3.21): a DN optionally
 * followed by `#'0101'B`. This strips the bit-string suffix so the DN can be matched.
 */
export function stripOptionalUid(value: string): string {
  return value.replace(/#'[01]*'B$/, '');
}

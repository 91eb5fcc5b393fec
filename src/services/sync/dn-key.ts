/**
 * DN comparison keys for matching group member values to user entries. A sync compares ~650,000 member values
 * against 100,000 user DNs, so the common case (plain ASCII, no escapes) takes a fast path that produces exactly
 * what normalizeDn (RFC 4514 parsing, case folding) would; anything unusual goes through normalizeDn itself.
 */
import { normalizeDn } from '../../directory/ldap/index.ts';

// Letters, digits and the few punctuation marks that need no escaping and no Unicode preparation.
const SIMPLE = /^[A-Za-z0-9=,. _-]*$/;

export function dnKey(dn: string): string {
  if (!SIMPLE.test(dn)) return normalizeDn(dn);
  // Without spaces, lower-casing is all normalizeDn does, for well-formed DNs and (as its fallback) for others.
  if (dn.indexOf(' ') < 0) return dn.toLowerCase();
  // Spaces: drop them around separators and collapse runs, but only for well-formed type=value lists.
  for (const part of dn.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.indexOf('=', eq + 1) >= 0) return normalizeDn(dn);
  }
  return dn.toLowerCase().replace(/\s+/g, ' ').replace(/ ?([,=]) ?/g, '$1').trim();
}

/** True when `key` (a dnKey) is `baseKey` itself or lies below it. */
export function keyWithin(key: string, baseKey: string): boolean {
  return baseKey === '' || key === baseKey || key.endsWith(`,${baseKey}`);
}

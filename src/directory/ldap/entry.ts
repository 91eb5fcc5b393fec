/**
 * The cheap entry shape the adapter hands out, and case-insensitive accessors for it.
 * LDAP attribute descriptions are case-insensitive (RFC 4512 §2.5), servers echo whatever spelling their schema
 * uses, so keys are stored lower-cased. Attribute options stay part of the key (`member;range=0-1499`).
 */
import type { Entry } from 'ldapts';
import { DECODED, type DecodedRaw } from './fast-entries.ts';

export type LdapValue = string | Buffer;

export interface LdapEntry {
  dn: string;
  /** Lower-cased attribute description → values (never empty: absent attributes are not stored). */
  attrs: Map<string, LdapValue[]>;
  /** Attributes a search asked to keep as raw bytes (PagedSearchOptions.packed); not in `attrs` then. */
  packed?: Map<string, PackedValues> | undefined;
  /** A keyed search's hash of the entry's bytes (fast-entries.ts, EntryKeying). */
  rawHash?: number | undefined;
  /** Set when a keyed search decoded the entry only in part: what completeEntry() needs to decode the rest. */
  rest?: { buf: Buffer; start: number; end: number; packed: ReadonlySet<string> | undefined; buffers: readonly string[] } | undefined;
}

/**
 * The values of one attribute as they arrived, undecoded: value k is buf[bounds[2k], bounds[2k + 1]). A group's
 * 50,000 member DNs cost 50,000 strings when decoded; a reader that only looks them up can hash the bytes instead.
 */
export interface PackedValues {
  buf: Buffer;
  bounds: Int32Array;
  count: number;
}

/** Converts one ldapts search entry (single values unwrapped, requested-but-absent attributes as []). */
export function toLdapEntry(raw: Entry): LdapEntry {
  const decoded = (raw as Partial<DecodedRaw>)[DECODED];
  if (decoded) return decoded;
  const attrs = new Map<string, LdapValue[]>();
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'dn') continue;
    const values: LdapValue[] = Array.isArray(value) ? (value as LdapValue[]) : [value];
    if (values.length === 0) continue;
    const k = key.toLowerCase();
    const existing = attrs.get(k);
    if (existing) existing.push(...values);
    else attrs.set(k, values.slice());
  }
  return { dn: raw.dn, attrs };
}

/** Builds an entry from a plain object; handy in tests and for fixtures. */
export function makeEntry(dn: string, attrs: Record<string, LdapValue | LdapValue[] | undefined>): LdapEntry {
  const map = new Map<string, LdapValue[]>();
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    if (values.length) map.set(k.toLowerCase(), values);
  }
  return { dn, attrs: map };
}

const asString = (v: LdapValue): string => (typeof v === 'string' ? v : v.toString('utf8'));

/**
 * The key of an attribute name in LdapEntry.attrs. Callers ask for the same few names (the configured schema's)
 * for every one of 100,000 entries: lower-cased once each, not a new string per lookup.
 */
const keys = new Map<string, string>();
export function attrKey(name: string): string {
  let k = keys.get(name);
  if (k === undefined) {
    k = name.toLowerCase();
    if (keys.size < 1000) keys.set(name, k);
  }
  return k;
}

/** Raw values of an attribute (strings or Buffers), [] when absent. */
export function values(entry: LdapEntry, name: string): LdapValue[] {
  return entry.attrs.get(attrKey(name)) ?? [];
}

/** True when the entry carries at least one value of the attribute. */
export function has(entry: LdapEntry, name: string): boolean {
  return entry.attrs.has(attrKey(name));
}

/** First value as a string (Buffers decoded as UTF-8), undefined when absent. */
export function first(entry: LdapEntry, name: string): string | undefined {
  const v = values(entry, name)[0];
  return v === undefined ? undefined : asString(v);
}

/** All values as strings. */
export function all(entry: LdapEntry, name: string): string[] {
  return values(entry, name).map(asString);
}

/**
 * First value as bytes. Binary attributes should have been requested through explicitBufferAttributes (the
 * search layer does this for objectGUID/objectSid/GUID); a value that arrived as a string is re-encoded as
 * UTF-8, which is exact for any byte sequence that decoded as valid UTF-8.
 */
export function buffer(entry: LdapEntry, name: string): Buffer | undefined {
  const v = values(entry, name)[0];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/** All values as bytes. */
export function buffers(entry: LdapEntry, name: string): Buffer[] {
  return values(entry, name).map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v));
}

/**
 * Ranged attribute retrieval (MS-ADTS §3.1.1.3.1.3.3). Active Directory returns at most MaxValRange values
 * (1,500 by default) of a multi-valued attribute per search: a group with more members comes back as
 * `member;range=0-1499`, and the client asks for `member;range=1500-*`, gets `member;range=1500-2999`, and so on
 * until a range ends in `*`.
 */
import { SpoolError } from '../../errors.ts';
import type { LdapConnection } from './connection.ts';
import type { LdapEntry, LdapValue } from './entry.ts';
import { readEntry } from './search.ts';

export interface RangeInfo {
  /** The full attribute description as returned, lower-cased (e.g. "member;range=0-1499"). */
  key: string;
  low: number;
  /** Last index returned, or '*' when this is the final chunk. */
  high: number | '*';
}

const RANGE_RE = /^([^;]+)((?:;[^;]+)*?);range=(\d+)-(\d+|\*)((?:;[^;]+)*)$/i;

/** Parses "member;range=1500-2999" → { attr: "member", low: 1500, high: 2999 }; undefined if not ranged. */
export function parseRangedDescription(description: string): { attr: string; low: number; high: number | '*' } | undefined {
  const m = RANGE_RE.exec(description);
  if (!m) return undefined;
  const attr = `${m[1] ?? ''}${m[2] ?? ''}${m[5] ?? ''}`;
  return { attr, low: Number(m[3]), high: m[4] === '*' ? '*' : Number(m[4]) };
}

/** Finds a ranged chunk of `attr` in the entry, if the server sent one. */
export function findRange(entry: LdapEntry, attr: string): RangeInfo | undefined {
  const want = attr.toLowerCase();
  for (const key of entry.attrs.keys()) {
    const r = parseRangedDescription(key);
    if (r && r.attr.toLowerCase() === want) return { key, low: r.low, high: r.high };
  }
  return undefined;
}

/** Safety net against a server that never ends the range: 10 million values. */
const MAX_VALUES = 10_000_000;

/**
 * All values of `attr`, following ranges as needed. When the entry carries the plain attribute, those values
 * are returned as they are. Values are de-duplicated (a group edited between two chunks may shift values).
 */
export async function resolveRangedAttribute(conn: LdapConnection, entry: LdapEntry, attr: string): Promise<LdapValue[]> {
  const plain = entry.attrs.get(attr.toLowerCase());
  let range = findRange(entry, attr);
  if (!range) return plain ? plain.slice() : [];
  const out: LdapValue[] = [];
  const seen = new Set<string>();
  const add = (vals: LdapValue[]): void => {
    for (const v of vals) {
      const k = typeof v === 'string' ? `s:${v}` : `b:${v.toString('base64')}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(v);
      }
    }
  };
  add(entry.attrs.get(range.key) ?? []);
  while (range.high !== '*') {
    const next = range.high + 1;
    const e = await readEntry(conn, entry.dn, [`${attr};range=${next}-*`]);
    if (!e) {
      throw new SpoolError('ldap.entry_vanished', `"${entry.dn}" disappeared while its ${attr} values were being read.`, {
        hint: 'The entry was deleted or moved during the sync; the next sync will pick up the change.',
        status: 502,
      });
    }
    const r = findRange(e, attr);
    if (!r) {
      // No more values (the attribute shrank meanwhile), or a server that answers with the plain attribute.
      add(e.attrs.get(attr.toLowerCase()) ?? []);
      break;
    }
    if (r.high !== '*' && r.high < next) {
      throw new SpoolError('ldap.range_error', `The server returned an invalid value range (${r.key}) for "${entry.dn}".`, { status: 502 });
    }
    add(e.attrs.get(r.key) ?? []);
    if (out.length > MAX_VALUES) {
      throw new SpoolError('ldap.range_error', `"${entry.dn}" has more than ${MAX_VALUES} ${attr} values; giving up.`, { status: 502 });
    }
    range = r;
  }
  return out;
}

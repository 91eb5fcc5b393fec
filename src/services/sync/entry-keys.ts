/**
 * What a sync needs to key user entries by their bytes (domain/sync/fingerprint.ts, entryKey): which attributes the
 * reader decodes at once and which it leaves out of the hash (directory/ldap/fast-entries.ts, EntryKeying), and
 * the seed that stands for everything besides the entry that the mapping depends on.
 */
import { createHash } from 'node:crypto';
import type { EntryKeying } from '../../directory/ldap/index.ts';
import { disabledRuleAttributes } from '../../directory/ldap/index.ts';
import type { LdapSource } from './ldap-source.ts';

/**
 * Bump when what an unchanged entry maps to changes (a fix in the files MAPPING_SOURCES lists): every stored key
 * then misses once, and the next full sync maps every entry again. A test (entry-keys.test.ts) holds a hash of
 * those files and fails when they change, as a reminder. (The functions' source text itself is no seed: the CLI's
 * and the sync worker's bundles spell it differently, and syncs in either thread must agree.)
 */
export const ENTRY_MAPPING_VERSION = 1;

/** The files whose code decides what an entry maps to (see ENTRY_MAPPING_VERSION). */
export const MAPPING_SOURCES = [
  'src/domain/sync/map-user.ts', 'src/domain/sync/card-transform.ts', 'src/directory/ldap/disabled.ts', 'src/directory/ldap/guid.ts',
  'src/domain/users.ts', 'src/services/sync/ldap-source.ts', 'src/directory/ldap/fast-entries.ts',
];

/** A 53-bit seed from the source's settings (but not its connection: which server answers changes no mapping). */
export function entryKeySeed(src: LdapSource, pinKey: string): number {
  const { connection: _connection, warnings: _warnings, ...settings } = src;
  const h = createHash('sha256').update(JSON.stringify({ v: ENTRY_MAPPING_VERSION, settings })).update(pinKey).digest();
  return (h.readUInt32BE(0) & 0x1fffff) * 0x1_0000_0000 + h.readUInt32BE(4);
}

const lower = (names: Array<string | null>): Set<string> => new Set(names.filter((n): n is string => !!n).map((n) => n.toLowerCase()));

/**
 * Keying for a user search. `lazy`: decode at first only what names the entry (stable id, username, alias), says
 * whether it is disabled, and the change stamp; the rest is decoded only for entries whose key is not stored.
 */
export function userKeying(src: LdapSource, lazy: boolean): EntryKeying {
  const s = src.schema;
  return {
    unkeyed: lower([s.changeAttr]),
    eager: lazy ? lower([s.stableIdAttr, s.usernameAttr, s.usernameAliasAttr, s.changeAttr, ...disabledRuleAttributes(s.disabledRule)]) : null,
  };
}

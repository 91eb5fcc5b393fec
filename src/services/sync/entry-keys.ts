/**
 * What a sync needs to key user entries by their bytes (domain/sync/fingerprint.ts, entryKey): which attributes the
 * reader decodes at once and which it leaves out of the hash (directory/ldap/fast-entries.ts, EntryKeying), and
 * the seed that stands for everything besides the entry that the mapping depends on.
 */
import { createHash } from 'node:crypto';
import type { EntryKeying } from '../../directory/ldap/index.ts';
import { disabledRuleAttributes, isEntryDisabled, stableIdOf } from '../../directory/ldap/index.ts';
import { applyCardTransform } from '../../domain/sync/card-transform.ts';
import { mapDirectoryUser, mapIdentity } from '../../domain/sync/map-user.ts';
import type { LdapSource } from './ldap-source.ts';

/**
 * Bump when what an unchanged entry maps to changes (a fix in map-user.ts, card transforms, disabled rules, stable
 * ids): every stored key then misses once, and the next full sync maps every entry again. The source text of the
 * main mapping functions is part of the seed too, as a safety net for a forgotten bump.
 */
export const ENTRY_MAPPING_VERSION = 1;

/** A 53-bit seed from the source's settings (but not its connection: which server answers changes no mapping). */
export function entryKeySeed(src: LdapSource, pinKey: string): number {
  const { connection: _connection, warnings: _warnings, ...settings } = src;
  const code = [mapDirectoryUser, mapIdentity, applyCardTransform, isEntryDisabled, stableIdOf].map(String).join('\n');
  const h = createHash('sha256').update(JSON.stringify({ v: ENTRY_MAPPING_VERSION, settings })).update(code).update(pinKey).digest();
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

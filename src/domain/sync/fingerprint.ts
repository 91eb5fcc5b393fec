/**
 * A 53-bit fingerprint of a user's detail fields. The store side of a sync keeps only this number per user
 * instead of six strings, so comparing 100,000 users needs a few MB, not a hundred. A collision (2^-53 per changed
 * user) would leave one change unapplied until the next change of that user; acceptable for mirrored details.
 * Card numbers are not part of it: they are compared exactly (a failed conversion keeps the stored value).
 * Pure code: no I/O.
 */
import type { UserDetails } from '../users.ts';
import type { SourceName, SourceUser, StoreUser } from './types.ts';

const SEP = '\u0001';
const NULL = '\u0000';

/** The detail fields a fingerprint covers, in its order. */
export const DETAIL_FIELDS = ['fullName', 'email', 'otherEmails', 'department', 'office', 'homeDir'] as const;

export type FingerprintFields = Pick<UserDetails, (typeof DETAIL_FIELDS)[number]>;

/**
 * cyrb53 (public domain, bryc), a fast, well-mixed 53-bit string hash, of the fields joined by SEP (null as NUL,
 * other emails joined by \u0002), computed without building the joined string: it runs for every user on both
 * sides of every full sync.
 */
export function detailsFingerprint(d: FingerprintFields): number {
  const st = { h1: 0xdeadbeef, h2: 0x41c6ce57 };
  feed(st, d.fullName);
  feed(st, SEP);
  feed(st, d.email ?? NULL);
  feed(st, SEP);
  for (let i = 0; i < d.otherEmails.length; i++) {
    if (i) feed(st, '\u0002');
    feed(st, d.otherEmails[i]!);
  }
  feed(st, SEP);
  feed(st, d.department ?? NULL);
  feed(st, SEP);
  feed(st, d.office ?? NULL);
  feed(st, SEP);
  feed(st, d.homeDir ?? NULL);
  return finish(st.h1, st.h2);
}

function feed(st: { h1: number; h2: number }, text: string): void {
  let { h1, h2 } = st;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  st.h1 = h1;
  st.h2 = h2;
}

/** A 53-bit integer as four 16-bit units, without making a string of it. */
function feedNumber(st: { h1: number; h2: number }, n: number): void {
  let { h1, h2 } = st;
  for (let k = 0; k < 4; k++) {
    const unit = n % 65536;
    n = Math.floor(n / 65536);
    h1 = Math.imul(h1 ^ unit, 2654435761);
    h2 = Math.imul(h2 ^ unit, 1597334677);
  }
  st.h1 = h1;
  st.h2 = h2;
}

/** cyrb53's final mix of its two 32-bit states into 53 bits (also used by services/sync/dn-index.ts). */
export function finish(a: number, b: number): number {
  let h1 = Math.imul(a ^ (a >>> 16), 2246822507);
  h1 ^= Math.imul(b ^ (b >>> 13), 3266489909);
  let h2 = Math.imul(b ^ (b >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Details of a "same" record (SourceUser.sameId): never written, never compared. */
export const NO_DETAILS: Readonly<UserDetails> = Object.freeze({ fullName: '', email: null, otherEmails: [], department: null, office: null, cardNumber: null, cardNumber2: null, homeDir: null });

/**
 * entryKey: what a directory entry makes of its stored row, as a 53-bit number. It covers the hash of the entry's
 * bytes as the server sent them (rawHash: DN and every requested attribute but the change stamp), whether the
 * entry counts as disabled today (expiry dates make that depend on the day, not only on the bytes), and `seed`,
 * which stands for everything else the mapping depends on: the source's settings, the PIN key and the mapping
 * code's version (services/sync/entry-keys.ts). The sync stores it with the row (users.sync_digest) when the row
 * ends up exactly as the entry says; the next full sync finds an entry's key among the stored ones and then
 * decodes no more of the entry than the names planSync needs. The bytes cover the stable id and the DN, so a key
 * found among the stored ones also says which row it belongs to. A collision (2^-53 per changed user) would
 * leave one change unapplied until that user's next change.
 */
export function entryKey(rawHash: number, disabled: boolean, seed: number): number {
  const st = { h1: 0x85ebca6b, h2: 0xc2b2ae35 };
  feedNumber(st, seed);
  feedNumber(st, rawHash);
  feed(st, disabled ? '1' : '0');
  return finish(st.h1, st.h2);
}

/**
 * A "same" record: the entry whose key (entryKey) equals the stored row `id`'s digest. The row holds exactly what
 * the entry says, so planSync needs neither the row nor the entry's details: the record keeps the identity fields
 * and the store id. Built from the fields the reader decoded, without a whole record first.
 */
export function sameRecordOf(sourceId: string, username: string, usernameAlias: string | null, dn: string | null, disabled: boolean, id: number, digest: number | undefined): SourceUser {
  return { sourceId, username, usernameAlias, dn, details: NO_DETAILS as UserDetails, disabled, sameId: id, digest };
}

/**
 * The stored row a "same" record stands for, for planSync when the record itself cannot be used (its name claimed
 * twice, its entry listed twice). The row's details, card numbers and PIN are not known here: a record matched to
 * it writes its own, which are the directory's anyway.
 */
export function rowOfSame(u: SourceUser, sourceName: SourceName): StoreUser {
  return {
    id: u.sameId!, username: u.username, usernameAlias: u.usernameAlias, source: 'ldap', sourceName, sourceId: u.sourceId, dn: u.dn, fingerprint: 0,
    cardNumber: null, cardNumber2: null, pinHash: null, disabled: u.disabled, disabledReason: null, disabledAt: null, digest: u.digest ?? null,
  };
}

/** Names of the detail fields that differ (for the log; only computed for users that changed). */
export function changedDetailFields(a: FingerprintFields, b: FingerprintFields): Array<(typeof DETAIL_FIELDS)[number]> {
  return DETAIL_FIELDS.filter((f) => (f === 'otherEmails' ? a.otherEmails.join('\u0002') !== b.otherEmails.join('\u0002') : a[f] !== b[f]));
}

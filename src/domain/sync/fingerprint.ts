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

/** Stands for a value the sync does not manage (a card kept after a failed conversion, PINs left to Spool). */
const UNMANAGED = '\u0003';

/**
 * userDigest: a 53-bit digest of what a directory entry makes of its stored row: stable id, username, alias, DN, disabled
 * state and, when the sync updates details, the details, card numbers and PIN digest (values the sync leaves
 * alone count as "unmanaged", whatever Spool holds). The sync stores it with the row (users.sync_digest) when the
 * row ends up exactly so; the next full sync compares digests instead of loading and comparing every row.
 * A collision (2^-53 per changed user) would leave one change unapplied until that user's next change.
 */
export function userDigest(u: SourceUser, updateDetails: boolean): number {
  const st = { h1: 0x85ebca6b, h2: 0xc2b2ae35 };
  // The stable id too: a digest found among the stored ones then also says which row it belongs to.
  feed(st, u.sourceId);
  feed(st, SEP);
  feed(st, u.username);
  feed(st, SEP);
  feed(st, u.usernameAlias ?? NULL);
  feed(st, SEP);
  feed(st, u.dn ?? NULL);
  feed(st, u.disabled ? '\u00011' : '\u00010');
  if (updateDetails) {
    feed(st, SEP);
    feedNumber(st, detailsFingerprint(u.details));
    feed(st, SEP);
    feed(st, u.keepCard ? UNMANAGED : u.details.cardNumber ?? NULL);
    feed(st, SEP);
    feed(st, u.keepCard2 ? UNMANAGED : u.details.cardNumber2 ?? NULL);
    feed(st, SEP);
    feed(st, u.pinHash === undefined ? UNMANAGED : u.pinHash ?? NULL);
  } else feed(st, UNMANAGED);
  return finish(st.h1, st.h2);
}

/**
 * A "same" record: the entry whose digest equals the stored row `id`'s. The row holds exactly what the entry says,
 * so planSync needs neither the row nor the entry's details: the record keeps the identity fields and the store id.
 */
export function sameRecord(u: SourceUser, id: number): SourceUser {
  return { sourceId: u.sourceId, username: u.username, usernameAlias: u.usernameAlias, dn: u.dn, details: NO_DETAILS as UserDetails, disabled: u.disabled, sameId: id, digest: u.digest };
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

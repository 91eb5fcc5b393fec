/**
 * A 53-bit fingerprint of a user's detail fields. The store side of a sync keeps only this number per user
 * instead of six strings, so comparing 100,000 users needs a few MB, not a hundred. A collision (2^-53 per changed
 * user) would leave one change unapplied until the next change of that user; acceptable for mirrored details.
 * Card numbers are not part of it: they are compared exactly (a failed conversion keeps the stored value).
 * Pure code: no I/O.
 */
import type { UserDetails } from '../users.ts';
import type { SourceUser, StoreUser } from './types.ts';

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

function finish(a: number, b: number): number {
  let h1 = Math.imul(a ^ (a >>> 16), 2246822507);
  h1 ^= Math.imul(b ^ (b >>> 13), 3266489909);
  let h2 = Math.imul(b ^ (b >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Details of a "same" record (SourceUser.same): never written, never compared. */
export const NO_DETAILS: Readonly<UserDetails> = Object.freeze({ fullName: '', email: null, otherEmails: [], department: null, office: null, cardNumber: null, cardNumber2: null, homeDir: null });

/**
 * The compact stand-in for a directory user identical to the stored one with the same stable id (same username,
 * alias, DN, details, card numbers and disabled state): the stored strings are shared, the details dropped.
 * Returns `u` itself when anything differs.
 */
export function slimUser(u: SourceUser, s: SlimTarget | undefined): SourceUser {
  if (!s || s.sourceId !== u.sourceId || s.username !== u.username || s.usernameAlias !== u.usernameAlias || s.dn !== u.dn || s.disabled !== u.disabled) return u;
  if ((!u.keepCard && u.details.cardNumber !== s.cardNumber) || (!u.keepCard2 && u.details.cardNumber2 !== s.cardNumber2)) return u;
  if (u.pinHash !== undefined && u.pinHash !== s.pinHash) return u;
  if (detailsFingerprint(u.details) !== s.fingerprint) return u;
  return { sourceId: s.sourceId, username: s.username, usernameAlias: s.usernameAlias, dn: s.dn, details: NO_DETAILS as UserDetails, disabled: s.disabled, same: true };
}

/** The stored user's fields a slim comparison reads. */
export type SlimTarget = Pick<StoreUser, 'sourceId' | 'username' | 'usernameAlias' | 'dn' | 'fingerprint' | 'cardNumber' | 'cardNumber2' | 'pinHash' | 'disabled'>;

/** Names of the detail fields that differ (for the log; only computed for users that changed). */
export function changedDetailFields(a: FingerprintFields, b: FingerprintFields): Array<(typeof DETAIL_FIELDS)[number]> {
  return DETAIL_FIELDS.filter((f) => (f === 'otherEmails' ? a.otherEmails.join('\u0002') !== b.otherEmails.join('\u0002') : a[f] !== b[f]));
}

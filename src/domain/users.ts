/** Users: who may print. Pure rules; no storage here. */
import { SpoolError } from '../errors.ts';

export const USER_SOURCES = ['internal', 'ldap', 'scim'] as const;
export type UserSource = (typeof USER_SOURCES)[number];

export const isUserSource = (v: unknown): v is UserSource => (USER_SOURCES as readonly unknown[]).includes(v);

/** The fields a directory or SCIM client can set on a user (everything but identity and bookkeeping). */
export interface UserDetails {
  fullName: string;
  email: string | null;
  otherEmails: string[];
  department: string | null;
  office: string | null;
  cardNumber: string | null;
  cardNumber2: string | null;
  homeDir: string | null;
}

export interface User extends UserDetails {
  id: number;
  username: string;
  usernameAlias: string | null;
  disabled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  source: UserSource;
  sourceName: string | null;
  sourceId: string | null;
  ldapDn: string | null;
  scimExternalId: string | null;
  attributes: Record<string, unknown>;
  hasPin: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

// Letters and digits of any script, plus the punctuation directories really use in account names.
const USERNAME = /^[\p{L}\p{N}_.@'$+-](?:[\p{L}\p{N}_.@'$+ -]{0,254}[\p{L}\p{N}_.@'$+-])?$/u;

/**
 * Usernames are stored lower-case (NFC) and compared case-insensitively: "JSmith" from AD and "jsmith"
 * typed at a printer are the same person.
 */
export function normalizeUsername(raw: string): string {
  const name = raw.normalize('NFC').trim().toLowerCase();
  if (!USERNAME.test(name)) {
    throw new SpoolError('users.invalid_username', `"${raw}" is not a valid username.`, {
      hint: 'Use 1-256 letters, digits and . _ - @ \' $ +; no leading or trailing spaces, no control characters.',
    });
  }
  return name;
}

/** The plain-ASCII subset of USERNAME: most names pass this cheaper test; the others get the full one. */
const ASCII_USERNAME = /^[a-z0-9_.@'$+-](?:[a-z0-9_.@'$+ -]{0,254}[a-z0-9_.@'$+-])?$/;

/**
 * isValidUsername for a name that is normalised already (NFC, trimmed, lower-case), as the directory mapper
 * makes them for 100,000 entries: the same answer without normalising again or throwing.
 */
export function isNormalizedUsername(name: string): boolean {
  return ASCII_USERNAME.test(name) || USERNAME.test(name);
}

export function isValidUsername(raw: string): boolean {
  try {
    normalizeUsername(raw);
    return true;
  } catch {
    return false;
  }
}

export function assertEmail(value: string | null): string | null {
  if (value === null || value === '') return null;
  const v = value.trim();
  if (v.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(v)) {
    throw new SpoolError('users.invalid_email', `"${value}" is not an email address.`);
  }
  return v;
}

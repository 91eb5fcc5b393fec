/**
 * Stable identifiers: the key Spool uses to recognise a user across renames and moves.
 * - AD `objectGUID` is 16 bytes in Microsoft's mixed-endian GUID layout (MS-DTYP §2.3.4: Data1 uint32 LE,
 *   Data2/Data3 uint16 LE, Data4 8 bytes as-is). We print it the way Windows does, lower-cased.
 * - eDirectory `GUID` is 16 bytes in network (straight) byte order; printed as plain hex in 8-4-4-4-12 groups.
 * - OpenLDAP `entryUUID` (RFC 4530) is already a UUID string: trimmed and lower-cased.
 * Pure code: no I/O.
 */
import { SpoolError } from '../../errors.ts';
import type { LdapEntry } from './entry.ts';
import { buffer, first } from './entry.ts';

const GUID_RE = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

const badLength = (n: number): SpoolError =>
  new SpoolError('ldap.invalid_guid', `A GUID must be 16 bytes long, this one has ${n}.`, { status: 400 });

function groups(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** AD objectGUID bytes → "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower case). */
export function objectGuidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw badLength(bytes.length);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const swapped = Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8, 16),
  ]);
  return groups(swapped.toString('hex'));
}

/** "xxxxxxxx-xxxx-..." (braces and case optional) → AD objectGUID bytes, e.g. for a `(objectGUID=...)` lookup. */
export function objectGuidFromString(guid: string): Buffer {
  const m = GUID_RE.exec(guid.trim());
  if (!m) throw new SpoolError('ldap.invalid_guid', `"${guid}" is not a GUID.`, { status: 400 });
  const hex = Buffer.from(m.slice(1).join(''), 'hex');
  return Buffer.concat([
    Buffer.from(hex.subarray(0, 4)).reverse(),
    Buffer.from(hex.subarray(4, 6)).reverse(),
    Buffer.from(hex.subarray(6, 8)).reverse(),
    hex.subarray(8, 16),
  ]);
}

/** eDirectory GUID bytes (straight byte order) → lower-case 8-4-4-4-12 string. */
export function edirGuidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw badLength(bytes.length);
  return groups(Buffer.from(bytes).toString('hex'));
}

/** Inverse of edirGuidToString. */
export function edirGuidFromString(guid: string): Buffer {
  const m = GUID_RE.exec(guid.trim());
  if (!m) throw new SpoolError('ldap.invalid_guid', `"${guid}" is not a GUID.`, { status: 400 });
  return Buffer.from(m.slice(1).join(''), 'hex');
}

/** entryUUID (RFC 4530) passthrough, normalised to lower case. */
export function normalizeEntryUuid(value: string): string {
  return value.trim().toLowerCase();
}

/**
 * The entry's stable id as a canonical string, per the configured attribute; undefined when the entry lacks it.
 * Unknown attributes: a binary value becomes lower-case hex, a string is trimmed and lower-cased.
 */
export function stableIdOf(entry: LdapEntry, attr: string): string | undefined {
  const key = attr.toLowerCase();
  if (key === 'objectguid' || key === 'guid') {
    const b = buffer(entry, attr);
    if (!b) return undefined;
    // A 36-character textual GUID (some proxies and virtual directories send text) is accepted as-is.
    if (b.length !== 16) {
      const text = b.toString('utf8');
      if (GUID_RE.test(text)) return groups(text.replace(/[{}-]/g, '').toLowerCase());
      throw badLength(b.length);
    }
    return key === 'objectguid' ? objectGuidToString(b) : edirGuidToString(b);
  }
  const v = entry.attrs.get(key)?.[0];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return v.toString('hex');
  return key === 'entryuuid' ? normalizeEntryUuid(v) : (first(entry, attr) ?? '').trim().toLowerCase();
}

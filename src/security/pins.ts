/**
 * PINs that come from the directory (the sync's PIN attribute). The directory holds them in clear text, so Spool
 * keeps a keyed digest instead: HMAC-SHA256 under a subkey of this site's secret key (SecretBox.subkey). Why not
 * argon2 as for passwords: a first sync would hash 100,000 PINs at ~50 ms each, and a slow hash adds little to a
 * four-digit PIN; what protects it is the key (not in the database) and rate-limited attempts.
 * PINs set in Spool itself would use argon2id (security/passwords.ts); verifyPin tells them apart by prefix.
 */
import crypto from 'node:crypto';
import { verifyPassword } from './passwords.ts';

export const DIRECTORY_PIN_PURPOSE = 'directory-pin';
const PREFIX = 'hmac-sha256$';

/** The stored form of a directory PIN (whitespace trimmed, Unicode NFC). */
export function directoryPinDigester(subkey: Buffer): (pin: string) => string {
  return (pin) => PREFIX + crypto.createHmac('sha256', subkey).update(pin.trim().normalize('NFC')).digest('base64url');
}

/** Checks a PIN against either stored form, in constant time for the keyed digest. */
export async function verifyPin(stored: string | null, pin: string, subkey: Buffer): Promise<boolean> {
  if (!stored || pin.trim() === '') return false;
  if (stored.startsWith(PREFIX)) {
    const a = Buffer.from(directoryPinDigester(subkey)(pin));
    const b = Buffer.from(stored);
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  }
  return verifyPassword(stored, pin);
}

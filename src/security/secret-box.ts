/**
 * Encryption of secrets at rest (LDAP bind password, ...): AES-256-GCM with a 256-bit key kept in the data
 * dir (`secret.key`, mode 0600) or given as SPOOL_SECRET_KEY (base64; required to share one PostgreSQL
 * database between several Spool nodes). Node's crypto does this right; no library needed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SpoolError } from '../errors.ts';

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
  /** A key for one purpose (HKDF-SHA256 of the secret key, RFC 5869), so no two uses ever share key material. */
  subkey(purpose: string): Buffer;
}

const PREFIX = 'enc:v1:';

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new SpoolError('config.invalid_secret_key', 'The secret key must be 32 bytes (base64 of 32 random bytes).');
  return {
    seal(plain) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    subkey(purpose) {
      return Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), `spool:${purpose}`, 32));
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new SpoolError('config.secret_unreadable', 'A stored secret is not in the expected format.');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch (e) {
        throw new SpoolError('config.secret_unreadable', 'A stored secret cannot be decrypted with this node\'s key.', {
          hint: 'All nodes sharing a database need the same SPOOL_SECRET_KEY (or the same data/secret.key). Set the secret again if the key was lost.',
          cause: e,
        });
      }
    },
  };
}

/** Loads the key from SPOOL_SECRET_KEY or the data dir, creating it on first start. */
export function loadSecretKey(dataDir: string, fromEnv: string | undefined): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'base64');
  const file = path.join(dataDir, 'secret.key');
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const key = crypto.randomBytes(32);
  try {
    fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (e) {
    // Another process (server and CLI started together) won the race: use its key.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    throw e;
  }
}

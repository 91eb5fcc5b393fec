/** Random tokens and their at-rest form. Tokens carry 256 bits of entropy, so a SHA-256 digest is enough. */
import crypto from 'node:crypto';

export const newToken = (prefix = ''): string => prefix + crypto.randomBytes(32).toString('base64url');
export const hashToken = (token: string): string => crypto.createHash('sha256').update(token, 'utf8').digest('hex');

/** Constant-time comparison of two strings (compares fixed-length digests so lengths leak nothing). */
export function safeEqual(a: string, b: string): boolean {
  const da = crypto.createHash('sha256').update(a).digest();
  const db = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(da, db);
}

/** Password hashing for admins, internal users and PINs: argon2id (OWASP's first choice). */
import { createRequire } from 'node:module';
import type * as Argon2Package from '@node-rs/argon2';

// Loaded on first use: the native addon costs every CLI command ~35 ms of start-up, and most never hash. With
// require rather than import(): dist/'s bundles run from V8's code cache, where import() has no loader
// (scripts/run-bundle.cjs). The package is CommonJS either way.
type Argon2 = typeof Argon2Package;
let loaded: Argon2 | undefined;
const argon2 = async (): Promise<Argon2> => (loaded ??= createRequire(import.meta.url)('@node-rs/argon2') as Argon2);

// Algorithm 2 = argon2id. OWASP minimum: m=19 MiB, t=2, p=1.
const OPTIONS = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const hashPassword = async (password: string): Promise<string> => (await argon2()).hash(password, OPTIONS);

export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored || password.length === 0) return false;
  try {
    return await (await argon2()).verify(stored, password);
  } catch {
    return false;
  }
}

// A hash to verify against when the account does not exist, so timing does not reveal valid usernames.
let dummy: Promise<string> | undefined;
export const dummyHash = (): Promise<string> => (dummy ??= hashPassword('spool-dummy-password-for-timing'));

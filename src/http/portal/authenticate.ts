/**
 * Portal sign-in: who is this person? The sync service's authenticate checks internal users against their
 * argon2id hash in Spool and directory users by binding to their directory as themselves (creating them at
 * first sign-in when the settings allow). Every refusal looks the same to the person signing in, so the page
 * does not reveal which accounts exist; the reason is kept for the log only.
 */
import type { App } from '../../app.ts';
import type { User } from '../../domain/users.ts';
import { isSpoolError } from '../../errors.ts';

export type PortalSignIn =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid' | 'disabled' | 'unavailable'; detail?: string | undefined };

export async function signInUser(spool: App, login: string, password: string): Promise<PortalSignIn> {
  try {
    const r = await spool.services.sync.authenticate(login, password);
    // The sync service refuses disabled accounts too; checked again so the portal never depends on it.
    return r.user.disabled ? { ok: false, reason: 'disabled' } : { ok: true, user: r.user };
  } catch (e) {
    if (!isSpoolError(e)) throw e;
    if (e.code === 'auth.account_disabled') return { ok: false, reason: 'disabled', detail: e.code };
    if (e.code.startsWith('auth.') || e.status === 401) return { ok: false, reason: 'invalid', detail: e.code };
    // The directory is unreachable or misconfigured: not the user's fault, and not a failed guess.
    return { ok: false, reason: 'unavailable', detail: `${e.code}: ${e.message}` };
  }
}

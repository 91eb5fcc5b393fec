/**
 * Admin accounts, sessions (console and portal) and bearer tokens (API and SCIM).
 * Session and token values are random 256-bit strings; the database keeps only their SHA-256 digests.
 */
import { SpoolError } from '../errors.ts';
import { dummyHash, hashPassword, verifyPassword } from '../security/passwords.ts';
import { hashToken, newToken } from '../security/tokens.ts';
import { inTransaction } from '../store/repositories.ts';
import { isUniqueViolation } from '../store/sql-errors.ts';
import { nowIso, type ServiceDeps } from './deps.ts';

export type SessionKind = 'admin' | 'user';
export type TokenKind = 'api' | 'scim';

export interface Session {
  kind: SessionKind;
  subjectId: number;
  csrfToken: string;
  expiresAt: string;
}

const ADMIN_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
export const MIN_ADMIN_PASSWORD = 10;

export function createAuthService(deps: ServiceDeps) {
  const { repos } = deps;
  const lastTouched = new Map<number, number>();

  return {
    async setupRequired(): Promise<boolean> {
      return (await repos.auth.adminCount()) === 0;
    },

    async createAdmin(username: string, password: string, actor: string): Promise<{ id: number; username: string }> {
      const name = username.trim().toLowerCase();
      if (!ADMIN_NAME.test(name)) {
        throw new SpoolError('admins.invalid_username', `"${username}" is not a valid admin username.`, { hint: 'Use 1-64 lower-case letters, digits and . _ @ -.' });
      }
      if (password.length < MIN_ADMIN_PASSWORD) {
        throw new SpoolError('admins.weak_password', `The password must have at least ${MIN_ADMIN_PASSWORD} characters.`);
      }
      const hash = await hashPassword(password);
      const now = nowIso(deps);
      try {
        return await inTransaction(deps.store.db, async (r) => {
          const id = await r.auth.insertAdmin(name, hash, now);
          await r.audit.record(actor, 'admins.create', name, {}, now);
          return { id, username: name };
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw new SpoolError('admins.duplicate', `An admin named "${name}" already exists.`, { status: 409 });
        throw e;
      }
    },

    /** Returns the admin's id, or undefined: callers show one message for unknown user and wrong password. */
    async verifyAdmin(username: string, password: string): Promise<{ id: number; username: string } | undefined> {
      const admin = await repos.auth.findAdmin(username.trim());
      if (!admin) {
        await verifyPassword(await dummyHash(), password); // same time whether or not the name exists
        return undefined;
      }
      if (!(await verifyPassword(admin.passwordHash, password))) return undefined;
      await repos.auth.touchAdminLogin(admin.id, nowIso(deps));
      return { id: admin.id, username: admin.username };
    },

    async createSession(kind: SessionKind, subjectId: number, minutes: number): Promise<{ token: string; session: Session }> {
      const token = newToken();
      const now = deps.clock();
      const session: Session = { kind, subjectId, csrfToken: newToken(), expiresAt: new Date(now.getTime() + minutes * 60_000).toISOString() };
      await repos.auth.insertSession({ idHash: hashToken(token), createdAt: now.toISOString(), ...session });
      return { token, session };
    },

    async resolveSession(token: string | undefined, kind: SessionKind): Promise<Session | undefined> {
      if (!token || token.length > 200) return undefined;
      const row = await repos.auth.findSession(hashToken(token), nowIso(deps));
      if (!row || row.kind !== kind) return undefined;
      return { kind, subjectId: row.subjectId, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
    },

    async endSession(token: string | undefined): Promise<void> {
      if (token) await repos.auth.deleteSession(hashToken(token));
    },

    async purgeExpiredSessions(): Promise<void> {
      await repos.auth.deleteExpiredSessions(nowIso(deps));
    },

    async createToken(kind: TokenKind, name: string, actor: string): Promise<{ id: number; token: string; name: string }> {
      const label = name.trim() || `${kind} token`;
      const token = newToken(kind === 'scim' ? 'spool_scim_' : 'spool_api_');
      const now = nowIso(deps);
      const id = await inTransaction(deps.store.db, async (r) => {
        const tokenId = await r.auth.insertToken({ kind, name: label.slice(0, 100), tokenHash: hashToken(token), tokenPrefix: token.slice(0, 15), createdAt: now });
        await r.audit.record(actor, `${kind}-tokens.create`, label, { id: tokenId }, now);
        return tokenId;
      });
      return { id, token, name: label };
    },

    async listTokens(kind: TokenKind) {
      const rows = await repos.auth.listTokens(kind);
      return rows.map(({ tokenHash: _hash, ...rest }) => rest);
    },

    async revokeToken(kind: TokenKind, id: number, actor: string): Promise<void> {
      const now = nowIso(deps);
      const done = await inTransaction(deps.store.db, async (r) => {
        const ok = await r.auth.revokeToken(kind, id, now);
        if (ok) await r.audit.record(actor, `${kind}-tokens.revoke`, String(id), {}, now);
        return ok;
      });
      if (!done) throw new SpoolError('tokens.not_found', `No active ${kind} token with id ${id}.`, { status: 404, hint: `List them with "spool ${kind} token list".` });
    },

    /**
     * Looks a presented bearer token up by its SHA-256 digest. The lookup compares digests inside an index,
     * so its timing says nothing about how many characters of a guess were right.
     */
    async verifyToken(kind: TokenKind, presented: string | undefined): Promise<{ id: number; name: string } | undefined> {
      if (!presented || presented.length > 200) return undefined;
      const row = await repos.auth.findActiveToken(kind, hashToken(presented));
      if (!row) return undefined;
      const now = deps.clock().getTime();
      if ((lastTouched.get(row.id) ?? 0) < now - 60_000) {
        lastTouched.set(row.id, now); // write last-used at most once a minute per token
        await repos.auth.touchToken(row.id, new Date(now).toISOString());
      }
      return { id: row.id, name: row.name };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;

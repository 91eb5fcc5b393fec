/** Admin accounts, sessions and API/SCIM tokens (stored as digests, never in clear). */
import type { Db } from './database.ts';
import type { ApiTokenRow } from './schema.ts';

export function createAuthRepo(db: Db) {
  return {
    async adminCount(): Promise<number> {
      const r = await db.selectFrom('admins').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async findAdmin(username: string) {
      return db.selectFrom('admins').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
    },
    async findAdminById(id: number) {
      return db.selectFrom('admins').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async insertAdmin(username: string, passwordHash: string, now: string): Promise<number> {
      const r = await db.insertInto('admins').values({ username: username.toLowerCase(), passwordHash, createdAt: now }).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    async setAdminPassword(id: number, passwordHash: string): Promise<void> {
      await db.updateTable('admins').set({ passwordHash }).where('id', '=', id).execute();
    },
    async touchAdminLogin(id: number, now: string): Promise<void> {
      await db.updateTable('admins').set({ lastLoginAt: now }).where('id', '=', id).execute();
    },
    async insertSession(s: { idHash: string; kind: string; subjectId: number; csrfToken: string; createdAt: string; expiresAt: string }): Promise<void> {
      await db.insertInto('sessions').values(s).execute();
    },
    async findSession(idHash: string, now: string) {
      return db.selectFrom('sessions').selectAll().where('idHash', '=', idHash).where('expiresAt', '>', now).executeTakeFirst();
    },
    async deleteSession(idHash: string): Promise<void> {
      await db.deleteFrom('sessions').where('idHash', '=', idHash).execute();
    },
    async deleteExpiredSessions(now: string): Promise<void> {
      await db.deleteFrom('sessions').where('expiresAt', '<=', now).execute();
    },
    async insertToken(t: { kind: string; name: string; tokenHash: string; tokenPrefix: string; createdAt: string }): Promise<number> {
      const r = await db.insertInto('apiTokens').values(t).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    async findActiveToken(kind: string, tokenHash: string): Promise<ApiTokenRow | undefined> {
      return db.selectFrom('apiTokens').selectAll().where('kind', '=', kind).where('tokenHash', '=', tokenHash).where('revokedAt', 'is', null).executeTakeFirst();
    },
    async listTokens(kind: string): Promise<ApiTokenRow[]> {
      return db.selectFrom('apiTokens').selectAll().where('kind', '=', kind).orderBy('id', 'desc').execute();
    },
    async revokeToken(kind: string, id: number, now: string): Promise<boolean> {
      const r = await db.updateTable('apiTokens').set({ revokedAt: now }).where('kind', '=', kind).where('id', '=', id).where('revokedAt', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async touchToken(id: number, now: string): Promise<void> {
      await db.updateTable('apiTokens').set({ lastUsedAt: now }).where('id', '=', id).execute();
    },
  };
}
export type AuthRepo = ReturnType<typeof createAuthRepo>;

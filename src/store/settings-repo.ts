import type { Db } from './database.ts';

export function createSettingsRepo(db: Db) {
  return {
    async all(): Promise<Array<{ key: string; value: string; updatedAt: string; updatedBy: string | null }>> {
      return db.selectFrom('settings').selectAll().orderBy('key').execute();
    },
    async get(key: string): Promise<string | undefined> {
      const r = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return r?.value;
    },
    async set(key: string, value: string, actor: string, now: string): Promise<void> {
      await db
        .insertInto('settings')
        .values({ key, value, updatedAt: now, updatedBy: actor })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updatedAt: now, updatedBy: actor }))
        .execute();
    },
    async remove(key: string): Promise<void> {
      await db.deleteFrom('settings').where('key', '=', key).execute();
    },
  };
}
export type SettingsRepo = ReturnType<typeof createSettingsRepo>;

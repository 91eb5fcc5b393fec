/**
 * Named leases: "one sync at a time" across processes and nodes sharing a database. A lease expires so a
 * killed process cannot block syncs forever; the holder renews it while working.
 */
import type { Db } from './database.ts';

export function createLeasesRepo(db: Db) {
  return {
    /** True if `holder` now holds `name` until `expiresAt`. */
    async acquire(name: string, holder: string, now: string, expiresAt: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        // Conditional upsert: take the row if it is free, expired, or already ours.
        await trx
          .insertInto('leases')
          .values({ name, holder, expiresAt })
          .onConflict((oc) =>
            oc.column('name').doUpdateSet({ holder, expiresAt }).where((eb) => eb.or([eb('leases.expiresAt', '<=', now), eb('leases.holder', '=', holder)])),
          )
          .execute();
        const r = await trx.selectFrom('leases').select('holder').where('name', '=', name).executeTakeFirst();
        return r?.holder === holder;
      });
    },
    async renew(name: string, holder: string, expiresAt: string): Promise<boolean> {
      const r = await db.updateTable('leases').set({ expiresAt }).where('name', '=', name).where('holder', '=', holder).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async release(name: string, holder: string): Promise<void> {
      await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
    },
    async holder(name: string, now: string): Promise<string | undefined> {
      const r = await db.selectFrom('leases').select('holder').where('name', '=', name).where('expiresAt', '>', now).executeTakeFirst();
      return r?.holder;
    },
  };
}
export type LeasesRepo = ReturnType<typeof createLeasesRepo>;

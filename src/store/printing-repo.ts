/** Printers (queues with a cost per page) and the print jobs charged to accounts. */
import type { Db } from './database.ts';
import type { PrintJobRow, PrinterRow } from './schema.ts';

export function createPrintingRepo(db: Db) {
  return {
    async listPrinters(): Promise<PrinterRow[]> {
      return db.selectFrom('printers').selectAll().orderBy('name').execute();
    },
    async findPrinter(idOrName: number | string): Promise<PrinterRow | undefined> {
      const q = db.selectFrom('printers').selectAll();
      return (typeof idOrName === 'number' ? q.where('id', '=', idOrName) : q.where('name', '=', idOrName)).executeTakeFirst();
    },
    async insertPrinter(name: string, costPerPageCents: number, now: string): Promise<number> {
      const r = await db.insertInto('printers').values({ name, costPerPageCents, disabled: 0, createdAt: now, updatedAt: now }).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    async updatePrinter(id: number, patch: { name?: string; costPerPageCents?: number; disabled?: number }, now: string): Promise<void> {
      await db.updateTable('printers').set({ ...patch, updatedAt: now }).where('id', '=', id).execute();
    },
    async insertJob(job: Omit<PrintJobRow, 'id'>): Promise<number> {
      const r = await db.insertInto('printJobs').values(job).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    async jobsOfUser(userId: number, limit = 50) {
      return db
        .selectFrom('printJobs')
        .innerJoin('printers', 'printers.id', 'printJobs.printerId')
        .selectAll('printJobs')
        .select('printers.name as printerName')
        .where('printJobs.userId', '=', userId)
        .orderBy('printJobs.id', 'desc')
        .limit(limit)
        .execute();
    },
    async recentJobs(limit = 50) {
      return db
        .selectFrom('printJobs')
        .innerJoin('printers', 'printers.id', 'printJobs.printerId')
        .innerJoin('users', 'users.id', 'printJobs.userId')
        .selectAll('printJobs')
        .select(['printers.name as printerName', 'users.username'])
        .orderBy('printJobs.id', 'desc')
        .limit(limit)
        .execute();
    },
  };
}
export type PrintingRepo = ReturnType<typeof createPrintingRepo>;

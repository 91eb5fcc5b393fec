import type { Db } from './database.ts';
import type { AuditRow } from './schema.ts';

export function createAuditRepo(db: Db) {
  return {
    async record(actor: string, action: string, target: string | null, details: Record<string, unknown>, now: string): Promise<void> {
      await db.insertInto('auditLog').values({ actor, action, target, details: JSON.stringify(details), createdAt: now }).execute();
    },
    async list(opts: { limit: number; beforeId?: number | undefined; action?: string | undefined }): Promise<AuditRow[]> {
      let q = db.selectFrom('auditLog').selectAll();
      if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
      if (opts.action) q = q.where('action', '=', opts.action);
      return q.orderBy('id', 'desc').limit(opts.limit).execute();
    },
  };
}
export type AuditRepo = ReturnType<typeof createAuditRepo>;

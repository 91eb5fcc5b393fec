/**
 * Read-only queries the console needs beyond the repositories: the SCIM provisioning log and the sync
 * log across runs. Every query is bounded (LIMIT on an indexed order), so pages stay fast however many
 * rows the logs hold.
 */
import { sql } from 'kysely';
import type { Db } from '../../store/database.ts';
import type { ScimLogRow } from '../../store/schema.ts';
import { createSyncRunsRepo, logLineMatches } from '../../store/sync-runs-repo.ts';

export interface SyncLogLineView {
  id: number;
  runId: number;
  level: string;
  message: string;
  entry: string | null;
  createdAt: string;
}

export function createConsoleQueries(db: Db) {
  return {
    /** Newest first, a page before `beforeId` (the Logs page pages back through the provisioning log). */
    async scimLog(opts: { limit: number; beforeId?: number | undefined }): Promise<ScimLogRow[]> {
      let q = db.selectFrom('scimLog').selectAll();
      if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
      return q.orderBy('id', 'desc').limit(opts.limit).execute();
    },
    /** Requests and failures since a time, and the latest request time. */
    async scimActivity(sinceIso: string): Promise<{ requests: number; failures: number; lastAt: string | null }> {
      const r = await db
        .selectFrom('scimLog')
        .select((eb) => [
          eb.fn.countAll<number>().as('requests'),
          eb.fn.sum<number>(sql`case when ok = 0 then 1 else 0 end`).as('failures'),
        ])
        .where('createdAt', '>=', sinceIso)
        .executeTakeFirstOrThrow();
      const last = await db.selectFrom('scimLog').select('createdAt').orderBy('id', 'desc').limit(1).executeTakeFirst();
      return { requests: Number(r.requests), failures: Number(r.failures ?? 0), lastAt: last?.createdAt ?? null };
    },
    /** Sync log lines of all runs, newest first, filtered by level and text. */
    async syncLog(opts: { levels?: readonly string[] | undefined; search?: string | undefined; limit: number; beforeId?: number | undefined }): Promise<SyncLogLineView[]> {
      let q = db.selectFrom('syncLog').selectAll();
      if (opts.levels) q = q.where('level', 'in', opts.levels);
      if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
      if (opts.search) q = q.where(logLineMatches(opts.search));
      return q.orderBy('id', 'desc').limit(opts.limit).execute();
    },
    /** One run's lines in order, `limit` at a time after `afterId` (the download streams with this). */
    runLines: createSyncRunsRepo(db).lines,
    async runLineCounts(runId: number): Promise<Record<string, number>> {
      const rows = await db.selectFrom('syncLog').select(['level', (eb) => eb.fn.countAll<number>().as('n')]).where('runId', '=', runId).groupBy('level').execute();
      return Object.fromEntries(rows.map((r) => [r.level, Number(r.n)]));
    },
  };
}
export type ConsoleQueries = ReturnType<typeof createConsoleQueries>;

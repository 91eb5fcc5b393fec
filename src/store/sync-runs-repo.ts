/** Sync runs and their log lines: what the admin reads after "Synchronize now" or a scheduled run. */
import { sql, type ExpressionBuilder } from 'kysely';
import type { Db } from './database.ts';
import type { Database, SyncLogRow, SyncRunRow } from './schema.ts';
import { chunks, escapeLike } from './sql-errors.ts';

/** Case-insensitive substring match on a log line's message or entry (LIKE wildcards in the text escaped). */
export function logLineMatches(search: string) {
  const like = `%${escapeLike(search.toLowerCase())}%`;
  return (eb: ExpressionBuilder<Database, 'syncLog'>) =>
    eb.or([eb(sql`lower(message)`, 'like', sql<string>`${like} escape '\\'`), eb(sql`lower(entry)`, 'like', sql<string>`${like} escape '\\'`)]);
}

export interface SyncLogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  entry?: string | null;
  /** When it happened (ISO 8601); lines are written in batches, and without it each would show its batch's time. */
  at?: string;
}

/**
 * The levels a filter shows: a floor, as in every log viewer ("warn" = warnings and errors); none for "info" or
 * no filter. The CLI, the API and the console's log pages all filter this way.
 */
export function levelsFrom(level: string | undefined): string[] | undefined {
  return level === 'error' ? ['error'] : level === 'warn' ? ['warn', 'error'] : undefined;
}

export function createSyncRunsRepo(db: Db) {
  return {
    async start(r: { source: string; mode: string; trigger: string; dryRun: boolean }, now: string): Promise<number> {
      const row = await db
        .insertInto('syncRuns')
        .values({ source: r.source, mode: r.mode, trigger: r.trigger, dryRun: r.dryRun ? 1 : 0, status: 'running', startedAt: now, stats: '{}' })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async finish(id: number, r: { status: string; finishedAt: string; durationMs: number; stats: unknown; error?: string | null; cursor?: string | null }): Promise<void> {
      await db
        .updateTable('syncRuns')
        .set({ status: r.status, finishedAt: r.finishedAt, durationMs: r.durationMs, stats: JSON.stringify(r.stats), error: r.error ?? null, cursor: r.cursor ?? null })
        .where('id', '=', id)
        .execute();
    },
    async log(runId: number, lines: readonly SyncLogLine[], now: string): Promise<void> {
      for (const part of chunks(lines, 2000)) {
        await db.insertInto('syncLog').values(part.map((l) => ({ runId, level: l.level, message: l.message, entry: l.entry ?? null, createdAt: l.at ?? now }))).execute();
      }
    },
    async get(id: number): Promise<SyncRunRow | undefined> {
      return db.selectFrom('syncRuns').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async latest(opts: { source?: string; status?: string; limit: number }): Promise<SyncRunRow[]> {
      let q = db.selectFrom('syncRuns').selectAll();
      if (opts.source) q = q.where('source', '=', opts.source);
      if (opts.status) q = q.where('status', '=', opts.status);
      return q.orderBy('id', 'desc').limit(opts.limit).execute();
    },
    async lines(runId: number, opts: { levels?: readonly string[] | undefined; search?: string | undefined; limit: number; afterId?: number | undefined }): Promise<SyncLogRow[]> {
      let q = db.selectFrom('syncLog').selectAll().where('runId', '=', runId);
      if (opts.levels) q = q.where('level', 'in', opts.levels);
      if (opts.afterId) q = q.where('id', '>', opts.afterId);
      if (opts.search) q = q.where(logLineMatches(opts.search));
      return q.orderBy('id').limit(opts.limit).execute();
    },
    /** Runs left 'running' by a killed process are marked failed at start-up. */
    async markAbandoned(now: string): Promise<number> {
      const r = await db.updateTable('syncRuns').set({ status: 'failed', finishedAt: now, error: 'Interrupted: Spool stopped while this sync ran. The next sync completes the work.' }).where('status', '=', 'running').executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}
export type SyncRunsRepo = ReturnType<typeof createSyncRunsRepo>;

/**
 * The provisioning log: every SCIM request that changed something or failed (time, method, path, operation,
 * resource, HTTP status, duration, error), so an admin can see what Entra did and why a cycle failed.
 * Reads that succeed are not logged (Entra reads constantly). Request headers are never recorded, so the
 * bearer token cannot end up here. The table is capped: the oldest rows go once it passes KEEP_ROWS.
 *
 * Entries are written in batches, FLUSH_MS after the first of a batch (one multi-row INSERT instead of a
 * statement and a commit per SCIM request: Entra's initial cycle sends thousands). Reading the log through
 * this object, and closing Spool, flush first; another process (the CLI) sees an entry FLUSH_MS later at most.
 */
import type { Db } from '../store/database.ts';
import type { Insertable } from 'kysely';
import type { ScimLogRow, ScimLogTable } from '../store/schema.ts';

export const KEEP_ROWS = 100_000;
const PRUNE_EVERY = 1000;
export const FLUSH_MS = 25;
const MAX_BATCH = 500;

export interface ProvisioningEntry {
  method: string;
  path: string;
  resourceType: 'User' | 'Group' | null;
  resourceId: string | null;
  operation: string;
  status: number;
  durationMs: number;
  error: string | null;
  summary: string | null;
}

export interface ProvisioningLogEntry {
  id: number;
  createdAt: string;
  method: string;
  path: string;
  resourceType: string | null;
  resourceId: string | null;
  operation: string;
  status: number;
  ok: boolean;
  durationMs: number;
  error: string | null;
  summary: string | null;
}

const toEntry = (r: ScimLogRow): ProvisioningLogEntry => ({ ...r, ok: r.ok === 1 });

export function createProvisioningLog(db: Db, clock: () => Date, onError: (e: unknown) => void = () => undefined) {
  let sincePrune = 0;
  let pending: Array<Insertable<ScimLogTable>> = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  async function write(batch: Array<Insertable<ScimLogTable>>): Promise<void> {
    await db.insertInto('scimLog').values(batch).execute();
    sincePrune += batch.length;
    if (sincePrune >= PRUNE_EVERY) {
      sincePrune = 0;
      const top = await db.selectFrom('scimLog').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      const maxId = Number(top?.id ?? 0);
      if (maxId > KEEP_ROWS) await db.deleteFrom('scimLog').where('id', '<=', maxId - KEEP_ROWS).execute();
    }
  }

  /** Writes what is pending, in order, one batch at a time (a failed batch is reported and skipped). */
  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length > 0) writing = writing.catch(() => undefined).then(() => write(batch));
    return writing;
  }

  return {
    record(e: ProvisioningEntry): void {
      pending.push({
        createdAt: clock().toISOString(),
        method: e.method,
        path: e.path.slice(0, 1000),
        resourceType: e.resourceType,
        resourceId: e.resourceId,
        operation: e.operation,
        status: e.status,
        ok: e.status < 400 ? 1 : 0,
        durationMs: Math.max(0, Math.round(e.durationMs)),
        error: e.error?.slice(0, 2000) ?? null,
        summary: e.summary?.slice(0, 1000) ?? null,
      });
      if (pending.length >= MAX_BATCH) flush().catch(onError);
      else timer ??= setTimeout(() => flush().catch(onError), FLUSH_MS);
    },

    flush,

    /** Newest first; failures before successes unless `failuresFirst` is false; only failures with `failuresOnly`. */
    async list(q: { limit: number; failuresOnly?: boolean | undefined; failuresFirst?: boolean | undefined }): Promise<ProvisioningLogEntry[]> {
      await flush().catch(() => undefined); // a failed batch was reported when it failed
      let query = db.selectFrom('scimLog').selectAll();
      if (q.failuresOnly) query = query.where('ok', '=', 0);
      if (q.failuresFirst !== false) query = query.orderBy('ok', 'asc');
      const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map(toEntry);
    },

    async counts(): Promise<{ total: number; failures: number }> {
      await flush().catch(() => undefined); // a failed batch was reported when it failed
      const r = await db
        .selectFrom('scimLog')
        .select((eb) => [eb.fn.countAll<number>().as('total'), eb.fn.sum<number>('ok').as('oks')])
        .executeTakeFirstOrThrow();
      const total = Number(r.total);
      return { total, failures: total - Number(r.oks ?? 0) };
    },
  };
}
export type ProvisioningLog = ReturnType<typeof createProvisioningLog>;

/**
 * Synchronize now: one sync at a time (the `sync` lease, also across processes and nodes), each source of the
 * settings in turn, a syncRuns row with counts and a log an admin can read, live progress for the console.
 * A dry run reads and plans only: it writes nothing at all (no run row, no lease, no cursor).
 */
import { DIRECTORY_PIN_PURPOSE } from '../../security/pins.ts';
import os from 'node:os';
import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import { addCounts, describeCounts, emptyCounts, type SyncCounts, type SyncIssue, type SyncMode } from '../../domain/sync/types.ts';
import { SpoolError, describeError, isSpoolError } from '../../errors.ts';
import type { SyncLogLine } from '../../store/sync-runs-repo.ts';
import { nowIso, type ServiceDeps } from '../deps.ts';
import type { SettingsService } from '../settings-service.ts';
import { parseRunCursor, type RunCursor } from './cursor.ts';
import { enabledSourceNames, ldapSourceFromSettings, assertConfigured, type LdapSource } from './ldap-source.ts';
import { runSource, type SourceRunOptions, type SourceRunResult } from './run-source.ts';
import { runSourceInWorker } from './run-in-worker.ts';
import { preloadStore } from './store-snapshot.ts';
import type { PlannedChanges } from './describe-plan.ts';

export type SyncTrigger = 'cli' | 'api' | 'schedule' | 'manual';
export type RunStatus = 'succeeded' | 'failed' | 'stopped';

export interface RunSyncOptions {
  dryRun?: boolean | undefined;
  allowMassDelete?: boolean | undefined;
  incremental?: boolean | undefined;
  trigger?: SyncTrigger | undefined;
  actor?: string | undefined;
  onProgress?: ((p: SyncProgress) => void) | undefined;
}

export interface SyncProgress {
  runId: number | null;
  source: string | null;
  phase: string;
  usersRead: number;
  groupsRead: number;
  applied: number;
  toApply: number;
  startedAt: string;
}

export interface SyncRunResult extends SyncCounts {
  runId: number | null;
  status: RunStatus;
  mode: SyncMode;
  dryRun: boolean;
  durationMs: number;
  startedAt: string;
  warnings: number;
  errors: number;
  code?: string | undefined;
  message?: string | undefined;
  hint?: string | undefined;
  sources: Array<{ source: string; url: string; mode: SyncMode; fellBack: string | null; stopped: boolean; usersRead: number; groupsRead: boolean } & SyncCounts>;
  /** Dry runs: what would change (lists capped at 1,000 each). */
  changes?: PlannedChanges | undefined;
  issues?: Array<{ level: string; code: string; message: string; entry?: string | undefined }> | undefined;
}

const LEASE = 'sync';
const LEASE_MS = 120_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where the sync worker opens its own connection to the store (the app's config). */
export interface StoreLocation {
  databaseUrl: string | undefined;
  dataDir: string;
}

/** Below this many users a worker's start-up (~0.5 s) costs more than it saves. */
const WORKER_MIN_USERS = 5000;

function mergeChanges(a: PlannedChanges | undefined, b: PlannedChanges): PlannedChanges {
  if (!a) return b;
  for (const k of Object.keys(b) as Array<keyof PlannedChanges>) (a[k] as unknown[]).push(...(b[k] as unknown[]));
  return a;
}

export function createSyncRunner(deps: ServiceDeps, settings: SettingsService, storeLocation?: StoreLocation, options: { checkpointsHere?: boolean } = {}) {
  const { repos } = deps;
  let current: SyncProgress | null = null;
  let lastPersist = 0;

  async function lastCursor(): Promise<RunCursor> {
    const rows = await deps.store.db.selectFrom('syncRuns').select('cursor').where('source', '=', 'ldap').where('status', '=', 'succeeded').where('dryRun', '=', 0)
      .where('cursor', 'is not', null).orderBy('id', 'desc').limit(1).execute();
    return parseRunCursor(rows[0]?.cursor);
  }

  /**
   * A sync process killed on this machine leaves its lease until it expires; when the holder's process is gone
   * (same host, no such pid) the lease is taken over at once, so the next sync can complete the work.
   */
  async function takeOverDeadHolder(holder: string, expires: string): Promise<boolean> {
    const who = await repos.leases.holder(LEASE, nowIso(deps));
    const [host, pid] = (who ?? '').split(':');
    if (!who || host !== os.hostname() || !pid || Number(pid) === process.pid || processAlive(Number(pid))) return false;
    await repos.leases.release(LEASE, who);
    deps.log.warn({ holder: who }, 'took over the sync lease of a process that no longer runs');
    return repos.leases.acquire(LEASE, holder, nowIso(deps), expires);
  }

  /**
   * Full syncs of big (or not yet known) directories run in a worker thread (see run-in-worker.ts). Returns the
   * number of directory users Spool holds (to size the worker), or null to run in this thread.
   */
  async function useWorker(mode: SyncMode): Promise<number | null> {
    const env = process.env.SPOOL_SYNC_WORKER;
    if (env === 'off' || mode !== 'full' || !storeLocation) return null;
    const r = await deps.store.db.selectFrom('users').where('source', '=', 'ldap').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const n = Number(r.n);
    return env === 'on' || n === 0 || n >= WORKER_MIN_USERS ? n : null;
  }

  /**
   * SQLite, with a thread that only waits for the worker (options.checkpointsHere): once a first sync's new users are
   * committed, their pages (the users table, seven indexes, the accounts: about 60 MB of WAL at 100,000 users) are
   * copied into the database file here, on the other core, while the worker writes the memberships. The worker's own
   * automatic checkpoint, at the memberships' commit, then copies only the pages written since. A PASSIVE checkpoint
   * waits for nobody and stops short of frames it cannot copy yet. Bench first sync, three alternating pairs: the
   * memberships step 0.88-0.90 s against 1.04-1.07 s, the checkpoint here 0.28-0.35 s. Best effort: on failure the
   * worker's checkpoint copies everything, as before.
   */
  let checkpointing: Promise<unknown> = Promise.resolve();
  const onUsersWritten = options.checkpointsHere && deps.store.engine === 'sqlite'
    ? (): void => {
      const t = Date.now();
      checkpointing = sql<{ busy: number; log: number; checkpointed: number }>`pragma wal_checkpoint(PASSIVE)`.execute(deps.store.db).then((r) => {
        if (process.env.SPOOL_SYNC_DEBUG) process.stderr.write(`[sync] checkpoint of ${r.rows[0]?.checkpointed} of ${r.rows[0]?.log} WAL pages in ${Date.now() - t} ms\n`);
      }, () => undefined);
    }
    : undefined;

  async function persistProgress(p: SyncProgress, force = false): Promise<void> {
    if (p.runId === null || (!force && Date.now() - lastPersist < 2000)) return;
    lastPersist = Date.now();
    await deps.store.db.updateTable('syncRuns').set({ stats: JSON.stringify({ progress: p }) }).where('id', '=', p.runId).where('status', '=', 'running').execute().catch(() => undefined);
  }

  async function run(opts: RunSyncOptions = {}): Promise<SyncRunResult> {
    const snapshot = await settings.snapshot();
    const names = enabledSourceNames(snapshot);
    if (names.length === 0) {
      throw new SpoolError('sync.not_configured', 'No LDAP directory is configured for sync (sync.primary-source is not "ldap").', {
        hint: 'Set the directory up, e.g. "spool config set sync.primary-source ldap", ldap.hosts, ldap.base-dn, ldap.bind-dn and ldap.bind-password; check it with "spool sync test".',
      });
    }
    const sources: LdapSource[] = [];
    for (const n of names) {
      const s = await ldapSourceFromSettings(snapshot, n);
      assertConfigured(s);
      sources.push(s);
    }
    const dryRun = Boolean(opts.dryRun);
    const requested: SyncMode = opts.incremental ? 'incremental' : 'full';
    const trigger = opts.trigger ?? 'manual';
    const actor = opts.actor ?? `sync:${trigger}`;
    const startedAt = nowIso(deps);
    const t0 = Date.now();
    const holder = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    let runId: number | null = null;
    let renew: NodeJS.Timeout | undefined;
    if (!dryRun) {
      const expires = (): string => new Date(deps.clock().getTime() + LEASE_MS).toISOString();
      if (!(await repos.leases.acquire(LEASE, holder, nowIso(deps), expires())) && !(await takeOverDeadHolder(holder, expires()))) {
        const who = await repos.leases.holder(LEASE, nowIso(deps));
        throw new SpoolError('sync.already_running', `A sync is already running${who ? ` (${who.split(':').slice(0, 2).join(', process ')})` : ''}; only one sync runs at a time.`, {
          hint: 'Wait for it to finish ("spool sync runs" shows it), then try again.', status: 409,
        });
      }
      renew = setInterval(() => void repos.leases.renew(LEASE, holder, expires()).catch(() => undefined), LEASE_MS / 4);
      renew.unref();
    }
    const lines: SyncLogLine[] = [];
    const log = (l: SyncLogLine): void => void lines.push(l.at ? l : { ...l, at: nowIso(deps) });
    const flushLog = async (): Promise<void> => {
      if (runId !== null && lines.length) await repos.syncRuns.log(runId, lines.splice(0), nowIso(deps));
    };
    const progress: SyncProgress = { runId: null, source: null, phase: 'starting', usersRead: 0, groupsRead: 0, applied: 0, toApply: 0, startedAt };
    current = progress;
    const totals = emptyCounts();
    const perSource: SyncRunResult['sources'] = [];
    const issues: SyncIssue[] = [];
    let warnings = 0;
    let errors = 0;
    let changes: PlannedChanges | undefined;
    const cursor: RunCursor = {};
    let status: RunStatus = 'succeeded';
    let failure: { code: string; message: string; hint?: string | undefined } | undefined;
    try {
      if (!dryRun) {
        await repos.syncRuns.markAbandoned(startedAt);
        runId = await repos.syncRuns.start({ source: 'ldap', mode: requested, trigger, dryRun }, startedAt);
        progress.runId = runId;
      }
      const previous = requested === 'incremental' ? await lastCursor() : {};
      const pinKey = deps.secrets.subkey(DIRECTORY_PIN_PURPOSE).toString('base64');
      const defaults = { balanceCents: Number(snapshot['sync.initial-credit-cents']), restricted: Boolean(snapshot['sync.initial-restricted']) };
      for (const src of sources) {
        progress.source = src.name;
        for (const w of src.warnings) log({ level: 'warn', message: w });
        log({ level: 'info', message: `${requested === 'incremental' ? 'Incremental' : 'Full'} sync of the ${src.name} directory (${src.serverType}) started${dryRun ? ' (dry run: nothing is written)' : ''}.` });
        let r: SourceRunResult;
        const onPhase: SourceRunOptions['onPhase'] = (phase, extra) => {
          // SPOOL_SYNC_DEBUG=1: phase changes as this thread sees them, on stderr (a pass in the worker also prints its own, with memory).
          if (process.env.SPOOL_SYNC_DEBUG && phase !== progress.phase) process.stderr.write(`[sync] ${((Date.now() - t0) / 1000).toFixed(3)} s ${phase}\n`);
          Object.assign(progress, { phase }, extra ?? {});
          opts.onProgress?.({ ...progress });
          void persistProgress(progress);
        };
        try {
          const base = { now: deps.clock(), actor, mode: requested, dryRun, allowMassDelete: Boolean(opts.allowMassDelete), cursor: previous[src.name], defaults, pinKey };
          const known = await useWorker(requested);
          const viaWorker = known !== null && storeLocation
            ? await runSourceInWorker({ store: storeLocation, settings: snapshot, source: src.name, options: { ...base, now: base.now.toISOString() } }, known, { log, onPhase, onUsersWritten },
              () => preloadStore(deps.store.db, deps.store.engine, src.name))
            : null;
          r = viaWorker ?? await runSource(src, { ...base, db: deps.store.db, engine: deps.store.engine, settings: snapshot, log, onPhase });
        } catch (e) {
          status = 'failed';
          failure = isSpoolError(e) ? { code: e.code, message: e.message, hint: e.hint } : { code: 'sync.failed', message: describeError(e) };
          log({ level: 'error', message: `The sync of the ${src.name} directory failed: ${failure.message}${failure.hint ? ` ${failure.hint}` : ''} Nothing more was changed; the next sync completes the work.` });
          if (!isSpoolError(e)) deps.log.error({ err: e }, 'sync failed');
          break;
        }
        addCounts(totals, r.counts);
        issues.push(...r.issues);
        warnings += r.warnings;
        errors += r.errors;
        if (r.changes) changes = mergeChanges(changes, r.changes);
        perSource.push({ source: r.source, url: r.url, mode: r.mode, fellBack: r.fellBack, stopped: r.stopped !== null, usersRead: r.usersRead, groupsRead: r.groupsRead, ...r.counts });
        if (r.stopped) {
          status = 'stopped';
          failure = { code: r.stopped.code, message: r.stopped.message, hint: r.stopped.hint };
          log({ level: 'error', message: `${r.stopped.message} ${r.stopped.hint}` });
        } else if (r.cursor) cursor[src.name] = r.cursor;
        await flushLog();
      }
    } finally {
      await checkpointing; // done before the caller may close the store
      if (renew) clearInterval(renew);
      const durationMs = Date.now() - t0;
      const c = totals;
      const summary = `${status === 'succeeded' ? 'Finished' : status === 'stopped' ? 'Stopped' : 'Failed'} in ${(durationMs / 1000).toFixed(1)} s: ${describeCounts(c)}.`;
      log({ level: status === 'succeeded' ? 'info' : 'error', message: summary });
      if (runId !== null) {
        try {
          await flushLog();
          const mode = perSource.length && perSource.every((s) => s.mode === 'incremental') ? 'incremental' : requested === 'incremental' && perSource.length ? 'full' : requested;
          await deps.store.db.updateTable('syncRuns').set({ mode }).where('id', '=', runId).execute();
          await repos.syncRuns.finish(runId, {
            status, finishedAt: nowIso(deps), durationMs, stats: { ...totals, sources: perSource, ...(failure ? { code: failure.code } : {}) },
            error: failure ? `${failure.message}${failure.hint ? ` ${failure.hint}` : ''}` : null,
            cursor: status === 'succeeded' && Object.keys(cursor).length ? JSON.stringify(cursor) : null,
          });
          await repos.audit.record(actor, 'sync.run', 'ldap', { runId, status, ...totals }, nowIso(deps));
        } catch (e) {
          deps.log.error({ err: e }, 'could not record the sync run');
        }
      }
      if (!dryRun) await repos.leases.release(LEASE, holder).catch(() => undefined);
      current = null;
    }
    const result: SyncRunResult = {
      runId, status, mode: perSource.length && perSource.every((s) => s.mode === 'incremental') ? 'incremental' : 'full', dryRun, durationMs: Date.now() - t0, startedAt,
      ...totals, warnings, errors,
      ...(failure ? { code: failure.code, message: failure.message, hint: failure.hint } : {}),
      sources: perSource,
    };
    if (dryRun) {
      result.changes = changes;
      result.issues = issues.slice(0, 1000).map((i) => ({ level: i.level, code: i.code, message: i.message, entry: i.entry }));
    }
    return result;
  }

  return {
    run,
    /** The sync running in this process, if any. */
    current: (): SyncProgress | null => (current ? { ...current } : null),
    persistProgress: () => (current ? persistProgress(current, true) : Promise.resolve()),
  };
}
export type SyncRunner = ReturnType<typeof createSyncRunner>;

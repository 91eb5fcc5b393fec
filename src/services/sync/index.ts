/**
 * The directory sync service: Synchronize now, Test settings, the run history and its log, live status, the
 * group picker and directory sign-in. Built from ServiceDeps like every service (see app.ts).
 */
import type { SourceName } from '../../domain/sync/types.ts';
import { SpoolError } from '../../errors.ts';
import type { SyncRunRow } from '../../store/schema.ts';
import { levelsFrom } from '../../store/sync-runs-repo.ts';
import { nowIso, type ServiceDeps } from '../deps.ts';
import type { SettingsService } from '../settings-service.ts';
import { createDirectoryAuth } from './directory-auth.ts';
import { searchDirectoryGroups } from './group-search.ts';
import { startSyncSchedule } from './schedule.ts';
import { createSyncRunner, type RunSyncOptions, type StoreLocation, type SyncProgress } from './sync-service.ts';
import { testLdapSettings } from './test-settings.ts';

export type { RunSyncOptions, SyncProgress, SyncRunResult } from './sync-service.ts';
export type { TestReport } from './test-settings.ts';
export type { AuthResult } from './directory-auth.ts';

export interface SyncRunView {
  id: number;
  source: string;
  mode: string;
  trigger: string;
  dryRun: boolean;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  stats: Record<string, unknown>;
  error: string | null;
}

export function toRunView(r: SyncRunRow): SyncRunView {
  let stats: Record<string, unknown> = {};
  try {
    stats = JSON.parse(r.stats) as Record<string, unknown>;
  } catch {
    // keep {}
  }
  return { id: r.id, source: r.source, mode: r.mode, trigger: r.trigger, dryRun: r.dryRun === 1, status: r.status, startedAt: r.startedAt, finishedAt: r.finishedAt, durationMs: r.durationMs, stats, error: r.error };
}

/**
 * `storeLocation` (the app config's database URL and data dir) lets big syncs run in a worker thread;
 * `checkpointsHere` lets that worker's sync give this thread SQLite checkpoints to do (AppOptions.idleDuringSync).
 */
export function createSyncService(deps: ServiceDeps, settings: SettingsService, storeLocation?: StoreLocation, options: { checkpointsHere?: boolean } = {}) {
  const runner = createSyncRunner(deps, settings, storeLocation, options);
  const auth = createDirectoryAuth(deps, settings);
  const { repos } = deps;

  async function requireRun(ref?: number): Promise<SyncRunRow> {
    const run = ref === undefined ? (await repos.syncRuns.latest({ source: 'ldap', limit: 1 }))[0] : await repos.syncRuns.get(ref);
    if (!run) {
      throw new SpoolError('sync.run_not_found', ref === undefined ? 'No sync has run yet.' : `No sync run #${ref}.`, { status: 404, hint: 'List runs with "spool sync runs"; start one with "spool sync now".' });
    }
    return run;
  }

  return {
    run: (opts: RunSyncOptions = {}) => runner.run(opts),
    test: async (source: SourceName = 'primary') => testLdapSettings(await settings.snapshot(), source, deps.clock()),
    async runs(limit = 20): Promise<SyncRunView[]> {
      return (await repos.syncRuns.latest({ source: 'ldap', limit })).map(toRunView);
    },
    async log(ref?: number, opts: { level?: 'info' | 'warn' | 'error' | undefined; limit?: number | undefined; afterId?: number | undefined; search?: string | undefined } = {}) {
      const run = await requireRun(ref);
      const levels = levelsFrom(opts.level);
      const limit = opts.limit ?? 1000;
      // One line more than asked for tells whether there are more (afterId = the last line's id pages on).
      const lines = await repos.syncRuns.lines(run.id, { limit: limit + 1, levels, afterId: opts.afterId, search: opts.search });
      const more = lines.length > limit;
      return { run: toRunView(run), lines: lines.slice(0, limit).map((l) => ({ id: l.id, level: l.level, message: l.message, entry: l.entry, createdAt: l.createdAt })), more };
    },
    /** Live progress: this process's sync, or one another process (CLI, another node) is running. */
    async status(): Promise<{ running: boolean; progress: SyncProgress | null; lastRun: SyncRunView | null }> {
      const mine = runner.current();
      const [last] = await repos.syncRuns.latest({ source: 'ldap', limit: 1 });
      if (mine) return { running: true, progress: mine, lastRun: last ? toRunView(last) : null };
      const holder = await repos.leases.holder('sync', nowIso(deps));
      const running = holder ? (await repos.syncRuns.latest({ source: 'ldap', status: 'running', limit: 1 }))[0] : undefined;
      const progress = running ? ((toRunView(running).stats.progress as SyncProgress | undefined) ?? null) : null;
      return { running: Boolean(holder), progress, lastRun: last ? toRunView(last) : null };
    },
    searchGroups: async (search: string, limit = 25, source: SourceName = 'primary') => searchDirectoryGroups(await settings.snapshot(), source, search, limit),
    authenticate: (login: string, password: string) => auth.authenticate(login, password),
    /** For `spool serve`: the nightly full and frequent incremental syncs. Returns stop(). */
    startSchedule: () => startSyncSchedule({ log: deps.log, snapshot: () => settings.snapshot(), run: (o) => runner.run(o) }),
  };
}
export type SyncService = ReturnType<typeof createSyncService>;

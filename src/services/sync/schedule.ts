/**
 * The sync schedule of `spool serve`: a nightly full sync at sync.schedule.full-time (server local time) and an
 * incremental sync every sync.schedule.incremental-minutes. Settings are re-read every minute, so a change in the
 * console takes effect without a restart. Several Spool nodes may all schedule: the `sync` lease lets one run.
 */
import { Cron } from 'croner';
import { isSpoolError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { enabledSourceNames } from './ldap-source.ts';
import type { RunSyncOptions, SyncRunResult } from './sync-service.ts';

export interface SchedulerDeps {
  log: Logger;
  snapshot(): Promise<Record<string, unknown>>;
  run(opts: RunSyncOptions): Promise<SyncRunResult>;
}

interface Plan {
  key: string;
  full: string | null;
  incrementalMinutes: number;
}

/** Starts the schedule; returns stop(). */
export function startSyncSchedule(deps: SchedulerDeps, checkEveryMs = 60_000): () => void {
  let jobs: Cron[] = [];
  let active = '';
  let stopped = false;

  const trigger = async (incremental: boolean): Promise<void> => {
    try {
      const r = await deps.run({ incremental, trigger: 'schedule', actor: 'schedule' });
      deps.log.info({ runId: r.runId, status: r.status, mode: r.mode, durationMs: r.durationMs }, 'scheduled sync finished');
    } catch (e) {
      if (isSpoolError(e) && e.code === 'sync.already_running') deps.log.debug('scheduled sync skipped: another sync is running');
      else deps.log.warn({ err: e }, 'scheduled sync failed');
    }
  };

  async function desired(): Promise<Plan> {
    const s = await deps.snapshot();
    if (!s['sync.schedule.enabled'] || enabledSourceNames(s).length === 0) return { key: 'off', full: null, incrementalMinutes: 0 };
    const [hh, mm] = String(s['sync.schedule.full-time']).split(':');
    const full = `${Number(mm)} ${Number(hh)} * * *`;
    const incrementalMinutes = Number(s['sync.schedule.incremental-minutes']);
    return { key: `${full}|${incrementalMinutes}`, full, incrementalMinutes };
  }

  async function refresh(): Promise<void> {
    const plan = await desired();
    if (stopped || plan.key === active) return;
    for (const j of jobs) j.stop();
    jobs = [];
    active = plan.key;
    if (plan.full) jobs.push(new Cron(plan.full, { name: 'sync-full', protect: true }, () => trigger(false)));
    if (plan.incrementalMinutes > 0) {
      // Every minute, at least N minutes apart (croner's interval), so any N works, not only divisors of 60.
      jobs.push(new Cron('* * * * *', { name: 'sync-incremental', protect: true, interval: plan.incrementalMinutes * 60 }, () => trigger(true)));
    }
    deps.log.info({ schedule: plan.key, next: jobs.map((j) => j.nextRun()?.toISOString()) }, plan.key === 'off' ? 'sync schedule off' : 'sync schedule set');
  }

  const timer = setInterval(() => void refresh().catch((e: unknown) => deps.log.warn({ err: e }, 'could not read the sync schedule')), checkEveryMs);
  timer.unref();
  void refresh().catch((e: unknown) => deps.log.warn({ err: e }, 'could not read the sync schedule'));
  return () => {
    stopped = true;
    clearInterval(timer);
    for (const j of jobs) j.stop();
  };
}

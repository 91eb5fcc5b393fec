/**
 * Full syncs run in a worker thread with heap limits of their own (Worker resourceLimits, tuned below). Reading
 * 100,000 LDAP entries and writing them allocates millions of short-lived objects, and the heap's sizing decides
 * how often they are copied and collected (once measured: ~700 scavenges, 10+ s, for 100,000 users). The worker
 * uses its own database connection; the main thread keeps the lease, the run record and the log. If a worker
 * cannot start, the caller runs the pass in this thread.
 */
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { InitialAccount } from '../../domain/groups.ts';
import type { SourceName, SyncMode } from '../../domain/sync/types.ts';
import type { ErrorStatus } from '../../errors.ts';
import { isSpoolError, SpoolError } from '../../errors.ts';
import type { SyncLogLine } from '../../store/sync-runs-repo.ts';
import type { SourceCursor } from './cursor.ts';
import type { SourceRunResult } from './run-source.ts';
import type { PreloadedStore } from './store-snapshot.ts';

export interface SyncWorkerInput {
  store: { databaseUrl: string | undefined; dataDir: string };
  /** The main thread sends a PreloadedStore (or null) as the worker's first message. */
  preload: boolean;
  settings: Record<string, unknown>;
  source: SourceName;
  options: {
    now: string;
    actor: string;
    mode: SyncMode;
    dryRun: boolean;
    allowMassDelete: boolean;
    cursor: SourceCursor | undefined;
    defaults: InitialAccount;
    pinKey: string;
  };
}

type PhaseExtra = Partial<{ usersRead: number; groupsRead: number; applied: number; toApply: number }>;

/** Main thread → worker. */
export type SyncWorkerCommand = { type: 'store'; store: PreloadedStore | null };

export type SyncWorkerMessage =
  | { type: 'phase'; phase: string; extra: PhaseExtra }
  | { type: 'log'; lines: SyncLogLine[] }
  | { type: 'users-written' }
  | { type: 'done'; result: SourceRunResult }
  | { type: 'error'; error: { code: string; message: string; hint?: string | undefined; status: number; details?: Record<string, unknown> | undefined } };

type SyncWorkerError = Extract<SyncWorkerMessage, { type: 'error' }>['error'];

/** A failure as a message to post (and back: errorFromMessage). */
export function errorMessage(e: unknown): SyncWorkerError {
  return isSpoolError(e)
    ? { code: e.code, message: e.message, hint: e.hint, status: e.status, details: e.details }
    : { code: 'sync.failed', message: (e as Error)?.message ?? String(e), status: 500 };
}

export const errorFromMessage = (m: SyncWorkerError): SpoolError => new SpoolError(m.code, m.message, { hint: m.hint, status: m.status as ErrorStatus, details: m.details });

/**
 * From the TypeScript sources the entry registers tsx first; in dist/ (see scripts/build.mjs) this module is part
 * of a bundle, beside the start file that runs the worker's own bundle with V8's code cache.
 */
export const WORKER_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './worker-entry.mjs' : './sync-worker-start.cjs', import.meta.url);

/**
 * Young generation of the worker (V8 splits it into semi-spaces of a third each). First sync of the bench's 100,000
 * users, two or three runs each: 96 MB 7.4-7.5 s, 48 MB 7.1-7.3 s, 32 MB 6.4-7.0 s, 24 MB 6.8-6.9 s, 16 MB 7.9-8.0 s.
 */
const YOUNG_GENERATION_MB = Number(process.env.SPOOL_SYNC_YOUNG_MB) || 32;

/**
 * Old generation of the worker. The cap bounds peak RSS, but V8 also grows the heap more timidly the lower the
 * cap (its growing factor shrinks below about 1 GB), collecting far more often: the bench's first sync (about 110 MB
 * live) took 7.4-7.6 s at caps of 192-320 MB and 6.4-7.0 s at 768 MB (peak RSS 346-352 MB), 6.3-6.7 s uncapped
 * (peak RSS up to 425 MB). A directory bigger than expected makes the worker run out of memory, and the pass is then
 * redone in the main thread (writes are idempotent).
 */
export function oldGenerationMb(knownUsers: number): number {
  return Math.min(4096, Math.max(768, 96 + Math.round(knownUsers * 0.004)));
}

/**
 * Old generation the worker starts with (V8's --initial-old-space-size; by default V8 starts near nothing and grows).
 * A first sync builds up about 120 MB of live data from an empty heap, and V8 ran a full mark-compact at every step of
 * its growth: 11 of them, each marking the whole heap so far (about 530 MB marked in all), on the worker and on
 * V8's helper threads, which share this machine's two cores with the worker and the directory server. Starting at
 * 128 MB left 2 (bench first sync, four alternating pairs: 5.8-8.4 s against 6.3-9.4 s, about 0.6 s less CPU;
 * peak RSS unchanged at 340-370 MB; 192 MB and more raised it toward 390-440 MB).
 * Since the first sync's writes make less garbage (session 15: no row arrays for users or memberships), SQLite's
 * starts at 192 MB: seven alternating pairs, faster in six by 0.05-0.1 s, peak RSS 347-355 MB against 319-338 MB.
 * PostgreSQL's stays at 128 MB: its first sync peaked at 377 MB at 192 MB against 334 MB (the pg driver's buffers).
 */
const initialOldGenerationMb = (postgres: boolean): number => Number(process.env.SPOOL_SYNC_INITIAL_OLD_MB) || (postgres ? 128 : 192);

/**
 * Resolves with the pass's result, or null when the worker could not run (it did not start, or ran out of memory):
 * the caller then runs the pass in this thread.
 */
export function runSourceInWorker(
  input: Omit<SyncWorkerInput, 'preload'>, knownUsers: number, hooks: { log: (l: SyncLogLine) => void; onPhase: (phase: string, extra?: PhaseExtra) => void; onUsersWritten?: (() => void) | undefined },
  preload?: () => Promise<PreloadedStore>,
): Promise<SourceRunResult | null> {
  return new Promise((resolve, reject) => {
    let worker: Worker;
    // V8 flags are per process and read when an isolate is created: set for this worker's, unset once it is online
    // (so that no other isolate starts with it).
    setFlagsFromString(`--initial-old-space-size=${initialOldGenerationMb(Boolean(input.store.databaseUrl))}`);
    const unset = (): void => setFlagsFromString('--initial-old-space-size=0');
    if (process.env.SPOOL_SYNC_DEBUG) process.stderr.write(`[sync] starting the worker (${new Date().toISOString().slice(11, 23)})\n`);
    try {
      worker = new Worker(WORKER_ENTRY, {
        workerData: { ...input, preload: preload !== undefined } satisfies SyncWorkerInput,
        // Not the parent's flags (e.g. a test runner's --import tsx): the entry registers the TypeScript loader itself.
        // SPOOL_SYNC_CPU_PROF=DIR writes a V8 CPU profile of the worker there, for tuning big syncs.
        execArgv: process.env.SPOOL_SYNC_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SPOOL_SYNC_CPU_PROF}`] : [],
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: oldGenerationMb(knownUsers) },
      });
    } catch {
      unset();
      resolve(null);
      return;
    }
    worker.once('online', unset);
    // The own digests are read here while the worker starts and loads the groups (0.06 s of a no-change sync at
    // 100,000 users); on failure the worker reads them itself.
    if (preload) {
      const send = (store: PreloadedStore | null): void => {
        const m: SyncWorkerCommand = { type: 'store', store };
        worker.postMessage(m, store ? [store.digests.keys.buffer as ArrayBuffer, store.digests.ids.buffer as ArrayBuffer] : []);
      };
      const t = Date.now();
      preload().then((p) => {
        if (process.env.SPOOL_SYNC_DEBUG) process.stderr.write(`[sync] store preloaded in ${Date.now() - t} ms\n`);
        send(p);
      }, () => send(null));
    }
    let heard = false;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      unset(); // a worker that failed before it was online
      fn();
    };
    worker.on('message', (m: SyncWorkerMessage) => {
      heard = true;
      if (m.type === 'phase') hooks.onPhase(m.phase, m.extra);
      else if (m.type === 'users-written') hooks.onUsersWritten?.();
      else if (m.type === 'log') for (const l of m.lines) hooks.log(l);
      else if (m.type === 'done') settle(() => resolve(m.result));
      else settle(() => reject(errorFromMessage(m.error)));
    });
    worker.on('error', (e) => settle(() => {
      if ((e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        hooks.log({ level: 'warn', message: 'The sync worker ran out of memory; the sync continues in the main thread.' });
        resolve(null);
      } else if (heard) reject(e);
      else resolve(null);
    }));
    worker.on('exit', (code) => settle(() => (heard ? reject(new SpoolError('sync.failed', `The sync worker stopped unexpectedly (exit code ${code}).`, { status: 500 })) : resolve(null))));
  });
}
